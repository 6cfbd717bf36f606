/**
 * Where a key moves the active row of a list of `count` rows (`current` is -1 when none is active yet),
 * or undefined when the key does not move it. `pageSize` is how many rows fit on screen.
 */
export function nextActiveIndex(key: string, current: number, count: number, pageSize: number): number | undefined {
  if (count === 0) return undefined;
  const last = count - 1;
  const clamp = (index: number) => Math.min(last, Math.max(0, index));
  switch (key) {
    case 'ArrowDown':
      return current < 0 ? 0 : clamp(current + 1);
    case 'ArrowUp':
      return current < 0 ? 0 : clamp(current - 1);
    case 'PageDown':
      return clamp(Math.max(current, 0) + Math.max(1, pageSize));
    case 'PageUp':
      return clamp(current - Math.max(1, pageSize));
    case 'Home':
      return 0;
    case 'End':
      return last;
    default:
      return undefined;
  }
}

/** Letter keys that move through a feed as in mail readers and news feeds: j next, k previous. */
const FEED_LETTER_KEYS: Readonly<Record<string, string>> = { j: 'ArrowDown', k: 'ArrowUp' };

/** The key `nextActiveIndex` understands for a key pressed on a feed: j and k as the arrows, others as they are. */
export function feedNavigationKey(key: string): string {
  return FEED_LETTER_KEYS[key] ?? key;
}
