import type { LivePassage } from '@citywatch/protocol';
import { memo } from 'react';
import { useTranslation } from 'react-i18next';
import { PlateBadge } from '../../components/plate-badge';
import { formatClockTime, formatInteger } from '../../utils/format';
import type { Direction, VehicleClass } from '../../utils/passage-enums';
import { DirectionArrow } from './direction-arrow';

interface PassageRowProps {
  id: string;
  passage: LivePassage;
  /** Position among the grid's rows, header included (1-based). */
  rowIndex: number;
  active: boolean;
  /** Distance from the top of the list, in pixels. */
  top: number;
}

export const PassageRow = memo(function PassageRow({ id, passage, rowIndex, active, top }: PassageRowProps) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const direction = passage.direction as Direction;
  return (
    <div
      id={id}
      role="row"
      aria-rowindex={rowIndex}
      aria-selected={active}
      className="passage-row"
      data-event-id={passage.eventId}
      style={{ transform: `translateY(${top}px)` }}
    >
      <div role="gridcell" className="passage-row__time">
        <time dateTime={passage.passTime}>{formatClockTime(passage.passTime, locale)}</time>
      </div>
      <div role="gridcell" className="passage-row__plate">
        <PlateBadge plateNo={passage.plateNo} plateColor={passage.plateColor} />
      </div>
      <div role="gridcell" className="passage-row__tollgate">
        {passage.tollgateId}
      </div>
      <div role="gridcell">{t('live.laneNo', { laneNo: passage.laneNo })}</div>
      <div role="gridcell" className="passage-row__direction">
        <DirectionArrow direction={direction} />
        {t(`direction.${direction}`)}
      </div>
      <div role="gridcell">{t(`vehicleClass.${passage.vehicleClass as VehicleClass}`)}</div>
      <div role="gridcell" className="passage-row__speed">
        {t('live.speed', { speed: formatInteger(passage.speedKmh, locale) })}
      </div>
    </div>
  );
});
