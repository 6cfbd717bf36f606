import type { AlertRecord } from '@citywatch/protocol';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { feedNavigationKey, nextActiveIndex } from '../../utils/list-navigation';
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

const cardOf = (element: EventTarget | null) =>
  element instanceof HTMLElement ? element.closest<HTMLElement>('.alert-card') : null;

/**
 * The alerts, newest first, virtualised: however many the console holds, only the cards on screen exist in
 * the page, and the store hands changes on at most every 200 ms, so a storm costs a few renders a second.
 *
 * Keyboard: the cards are one tab stop (the focused card, else the first); ↑/↓ or k/j move focus to the
 * previous/next card, Page Up/Down by a screen, Home/End to either end, scrolling the card into view; Enter
 * opens the focused card's detail. The focused card stays in the page even when newer alerts push it out of
 * view, so focus is never lost to a storm; closing the detail, or claiming from the card's button (which
 * then goes), hands focus back to the card.
 */
export function AlertWall({ alerts, selectedId, canClaim, busyIds, onOpen, onClaim }: AlertWallProps) {
  const { t } = useTranslation();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [focusedId, setFocusedId] = useState<string>();
  /** A card to focus once it is drawn (after a key moved to it). */
  const pendingFocus = useRef<string | undefined>(undefined);
  /** A card claimed from its own button: when the button goes (claimed), focus goes to the card. */
  const claimedFrom = useRef<string | undefined>(undefined);
  const activeId = focusedId ?? selectedId;
  const activeIndex = activeId === undefined ? -1 : alerts.findIndex((alert) => alert.id === activeId);

  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      if (activeIndex < 0 || indexes.includes(activeIndex)) return indexes;
      return [...indexes, activeIndex].sort((a, b) => a - b);
    },
    [activeIndex],
  );
  const virtualizer = useVirtualizer({
    count: alerts.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => CARD_HEIGHT_PX,
    getItemKey: (index) => alerts[index]!.id,
    overscan: 4,
    rangeExtractor,
  });

  const cardElement = (alertId: string) =>
    scrollRef.current?.querySelector<HTMLElement>(`.alert-card[data-alert-id="${CSS.escape(alertId)}"]`);

  useLayoutEffect(() => {
    const claimed = claimedFrom.current;
    if (claimed !== undefined) {
      const active = document.activeElement;
      if (!active || active === document.body) {
        claimedFrom.current = undefined;
        cardElement(claimed)?.focus({ preventScroll: true });
      } else if (cardOf(active)?.dataset.alertId !== claimed) claimedFrom.current = undefined;
    }
    if (pendingFocus.current === undefined) return;
    const card = cardElement(pendingFocus.current);
    if (!card) return;
    pendingFocus.current = undefined;
    card.focus({ preventScroll: true });
  });

  const claim = useCallback(
    (alertId: string) => {
      if (cardOf(document.activeElement)?.dataset.alertId === alertId) claimedFrom.current = alertId;
      onClaim(alertId);
    },
    [onClaim],
  );

  // Closing the detail (Escape, ✕) removes what had focus: hand it back to the card.
  const previousSelected = useRef(selectedId);
  useEffect(() => {
    const closed = previousSelected.current !== undefined && selectedId === undefined;
    previousSelected.current = selectedId;
    if (!closed || !activeId) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    cardElement(activeId)?.focus({ preventScroll: true });
  }, [selectedId, activeId]);

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) return;
    const card = cardOf(event.target);
    if (event.key === 'Enter') {
      // Only on the card itself: Enter on one of its buttons does what the button does.
      if (card && card === event.target && card.dataset.alertId) {
        event.preventDefault();
        onOpen(card.dataset.alertId);
      }
      return;
    }
    const current = card?.dataset.alertId ? alerts.findIndex((a) => a.id === card.dataset.alertId) : activeIndex;
    const pageSize = Math.floor((scrollRef.current?.clientHeight ?? 0) / CARD_HEIGHT_PX) - 1;
    const next = nextActiveIndex(feedNavigationKey(event.key), current, alerts.length, pageSize);
    if (next === undefined) return;
    event.preventDefault();
    const nextId = alerts[next]!.id;
    pendingFocus.current = nextId;
    setFocusedId(nextId);
    virtualizer.scrollToIndex(next, { align: 'auto' });
    // Already drawn: focus at once (the layout effect covers a card drawn by this move).
    const drawn = cardElement(nextId);
    if (drawn) {
      pendingFocus.current = undefined;
      drawn.focus({ preventScroll: true });
    }
  }

  const tabStop = activeIndex >= 0 ? activeIndex : 0;
  return (
    <div
      className="alert-wall"
      ref={scrollRef}
      role="feed"
      aria-label={t('alerts.wallLabel')}
      aria-busy={false}
      onKeyDown={onKeyDown}
      onFocus={(event) => {
        const id = cardOf(event.target)?.dataset.alertId;
        if (id && id !== focusedId) setFocusedId(id);
      }}
    >
      <div className="alert-wall__cards" style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((item) => {
          const alert = alerts[item.index]!;
          return (
            <AlertCard
              key={item.key}
              alert={alert}
              selected={alert.id === selectedId}
              tabStop={item.index === tabStop}
              position={item.index + 1}
              setSize={alerts.length}
              canClaim={canClaim}
              busy={busyIds.has(alert.id)}
              top={item.start}
              onOpen={onOpen}
              onClaim={claim}
            />
          );
        })}
      </div>
    </div>
  );
}
