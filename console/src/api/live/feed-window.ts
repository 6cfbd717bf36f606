/** The most recent items of a busy feed, newest first, and how many arrived in all. */
export interface FeedWindow<Item> {
  readonly items: readonly Item[];
  readonly total: number;
}

export function emptyFeedWindow<Item>(): FeedWindow<Item> {
  return { items: [], total: 0 };
}

/**
 * Adds items (oldest first, as they arrived) to the front of the window and drops what falls past its
 * capacity. `arrivedCount` counts arrivals already dropped before they got here.
 */
export function appendToFeedWindow<Item>(
  window: FeedWindow<Item>,
  arrivals: readonly Item[],
  capacity: number,
  arrivedCount = arrivals.length,
): FeedWindow<Item> {
  if (arrivedCount === 0) return window;
  const newestFirst = arrivals.slice(-capacity).reverse();
  const kept = window.items.slice(0, Math.max(0, capacity - newestFirst.length));
  return { items: newestFirst.concat(kept), total: window.total + arrivedCount };
}
