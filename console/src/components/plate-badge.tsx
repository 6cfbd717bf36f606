import type { LivePassage } from '@citywatch/protocol';
import { useTranslation } from 'react-i18next';
import type { PlateColor } from '../utils/passage-enums';
import { formatPlateNumber, unreadablePlateKey } from '../utils/plate';

/** A plate drawn like the real one: its colour, white or dark characters, the dot after the office letter. */
export function PlateBadge({ plateNo, plateColor }: { plateNo: LivePassage['plateNo']; plateColor: string }) {
  const { t } = useTranslation();
  const unreadable = unreadablePlateKey(plateNo);
  if (unreadable) {
    return <span className="plate plate--unreadable">{t(`plate.unreadable.${unreadable}`)}</span>;
  }
  const colorName = t(`plate.color.${plateColor as PlateColor}`);
  return (
    <span className={`plate plate--${plateColor}`} title={colorName} aria-label={`${plateNo} ${colorName}`}>
      {formatPlateNumber(plateNo)}
    </span>
  );
}
