export interface BufferedFeedOptions<Item> {
  /** How long arrivals wait to be handed on together; one re-render per flush however busy the feed. */
  flushIntervalMs: number;
  /** The most arrivals held between flushes; beyond it the oldest are dropped (and still counted). */
  maxPending: number;
  /** Receives the arrivals held, oldest first, and how many arrived in all since the last flush. */
  onFlush: (arrivals: readonly Item[], arrivedCount: number) => void;
}

/**
 * Collects the items of a busy feed and hands them on at most once per interval, so a burst of a
 * thousand events costs the page one render, not a thousand.
 */
export class BufferedFeed<Item> {
  private pending: Item[] = [];
  /** Arrivals since the last flush, including those dropped from `pending`. */
  private arrivedCount = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: BufferedFeedOptions<Item>) {}

  push(item: Item): void {
    this.pending.push(item);
    this.arrivedCount += 1;
    // A hidden tab's timers are throttled; dropping in halves keeps the buffer bounded and pushes cheap.
    if (this.pending.length >= this.options.maxPending * 2) this.pending.splice(0, this.options.maxPending);
    this.timer ??= setTimeout(() => this.flush(), this.options.flushIntervalMs);
  }

  /** Hands on what is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.arrivedCount === 0) return;
    const arrivals = this.pending.slice(-this.options.maxPending);
    const arrivedCount = this.arrivedCount;
    this.pending = [];
    this.arrivedCount = 0;
    this.options.onFlush(arrivals, arrivedCount);
  }

  /** Stops the timer and forgets what is pending. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.arrivedCount = 0;
  }
}
