import type { AlertRecord } from '@citywatch/protocol';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { AlertCard } from './alert-card';

/** Matches `--alert-card-height` (plus the gap) in the styles. */
const CARD_HEIGHT_PX = 132;

interface AlertWallProps {
  alerts: readonly AlertRecord[];
  selectedId: string | undefined;
  canClaim: boolean;
  busyIds: ReadonlySet<string>;
  onOpen: (alertId: string) => void;
  onClaim: (alertId: string) => void;
}

/**
 * The alerts, newest first, virtualised: however many the console holds, only the cards on screen exist in
 * the page, and the store hands changes on at most every 200 ms, so a storm costs a few renders a second.
 */
export function AlertWall({ alerts, selectedId, canClaim, busyIds, onOpen, onClaim }: AlertWallProps) {
  const { t } = useTranslation();
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: alerts.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CARD_HEIGHT_PX,
    getItemKey: (index) => alerts[index]!.id,
    overscan: 4,
  });
  return (
    <div className="alert-wall" ref={scrollRef} role="feed" aria-label={t('alerts.wallLabel')} aria-busy={false}>
      <div className="alert-wall__cards" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const alert = alerts[item.index]!;
          return (
            <AlertCard
              key={item.key}
              alert={alert}
              selected={alert.id === selectedId}
              canClaim={canClaim}
              busy={busyIds.has(alert.id)}
              top={item.start}
              onOpen={onOpen}
              onClaim={onClaim}
            />
          );
        })}
      </div>
    </div>
  );
}
