import type { AlertRecord, AlertState } from '@citywatch/protocol';

/** The alerts the console holds, each at its latest state (highest `seq`), newest first. */
export interface AlertWindow {
  readonly byId: ReadonlyMap<string, AlertRecord>;
  /** Newest alert first (by id: the hub numbers alerts in the order they were raised). */
  readonly items: readonly AlertRecord[];
  /** The highest `seq` seen: where a catch-up after a reconnect starts. */
  readonly lastSeq: number;
}

export const OPEN_ALERT_STATES: readonly AlertState[] = ['new', 'claimed', 'assigned'];

export const isOpenAlert = (alert: Pick<AlertRecord, 'state'>) => OPEN_ALERT_STATES.includes(alert.state);

export function emptyAlertWindow(): AlertWindow {
  return { byId: new Map(), items: [], lastSeq: 0 };
}

/** Orders numeric ids held as strings (bigint in the database) without parsing them. */
export function compareAlertIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Applies alert records (from pushes, a catch-up or a list) to the window: a record replaces the one held
 * only when its `seq` is higher, so late or repeated deliveries never roll an alert back. Past `capacity`,
 * the oldest closed alerts go first, then the oldest open ones.
 */
export function applyAlerts(
  window: AlertWindow,
  records: readonly AlertRecord[],
  capacity: number,
  upToSeq = 0,
): AlertWindow {
  let changed = false;
  let lastSeq = Math.max(window.lastSeq, upToSeq);
  const byId = new Map(window.byId);
  for (const record of records) {
    lastSeq = Math.max(lastSeq, record.seq);
    const held = byId.get(record.id);
    if (held && held.seq >= record.seq) continue;
    byId.set(record.id, record);
    changed = true;
  }
  if (!changed) return lastSeq === window.lastSeq ? window : { ...window, lastSeq };
  let items = [...byId.values()].sort((a, b) => compareAlertIds(b.id, a.id));
  if (items.length > capacity) {
    const excess = items.length - capacity;
    const closedOldestFirst = items.filter((alert) => !isOpenAlert(alert)).reverse();
    const dropped = new Set(closedOldestFirst.slice(0, excess).map((alert) => alert.id));
    for (let i = items.length - 1; dropped.size < excess && i >= 0; i -= 1) dropped.add(items[i]!.id);
    items = items.filter((alert) => !dropped.has(alert.id));
    for (const alertId of dropped) byId.delete(alertId);
  }
  return { byId, items, lastSeq };
}
