import type { LivePassage } from '@citywatch/protocol';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState, type KeyboardEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { nextActiveIndex } from '../../utils/list-navigation';
import { PASSAGE_COLUMNS } from './passage-columns';
import { PassageRow } from './passage-row';

/** Matches `--passage-row-height` in the styles. */
const ROW_HEIGHT_PX = 64;

const rowId = (eventId: string) => `passage-${eventId}`;

/**
 * The live passages, newest first, in a virtualised grid: only the rows on screen exist in the page,
 * however many the window holds. Arrow keys, Page Up/Down, Home and End move the highlighted row, which
 * stays on its passage as newer ones arrive above it.
 */
export function PassageList({ passages }: { passages: readonly LivePassage[] }) {
  const { t } = useTranslation();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeEventId, setActiveEventId] = useState<string>();
  const activeIndex = activeEventId === undefined ? -1 : passages.findIndex((p) => p.eventId === activeEventId);

  const virtualizer = useVirtualizer({
    count: passages.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT_PX,
    getItemKey: (index) => passages[index].eventId,
    overscan: 8,
  });

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const pageSize = Math.floor((scrollRef.current?.clientHeight ?? 0) / ROW_HEIGHT_PX) - 1;
    const next = nextActiveIndex(event.key, activeIndex, passages.length, pageSize);
    if (next === undefined) {
      if (event.key === 'Escape') setActiveEventId(undefined);
      return;
    }
    event.preventDefault();
    setActiveEventId(passages[next].eventId);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  }

  return (
    <div
      className="passage-list"
      role="grid"
      aria-label={t('live.listLabel')}
      aria-rowcount={passages.length + 1}
      aria-colcount={PASSAGE_COLUMNS.length}
      aria-activedescendant={activeIndex >= 0 ? rowId(passages[activeIndex].eventId) : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div className="passage-list__head" role="rowgroup">
        <div className="passage-row passage-row--head" role="row" aria-rowindex={1}>
          {PASSAGE_COLUMNS.map((column) => (
            <div key={column} role="columnheader" className={`passage-list__column passage-list__column--${column}`}>
              {t(`live.columns.${column}`)}
            </div>
          ))}
        </div>
      </div>
      <div className="passage-list__body" ref={scrollRef} role="rowgroup">
        <div className="passage-list__rows" style={{ height: virtualizer.getTotalSize() }}>
          {virtualizer.getVirtualItems().map((item) => {
            const passage = passages[item.index];
            return (
              <PassageRow
                key={item.key}
                id={rowId(passage.eventId)}
                passage={passage}
                rowIndex={item.index + 2}
                active={item.index === activeIndex}
                top={item.start}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}
