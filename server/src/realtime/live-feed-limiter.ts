/**
 * Caps how many items a live feed pushes per second. Consoles show the newest few hundred passages; at
 * a city's tens of thousands per second, encoding each for every socket would cost the hub more than
 * storing it. Past the cap, items are left out of the feed (they are stored all the same) and counted.
 */
export class LiveFeedLimiter {
  private windowStart = 0;
  private sent = 0;

  constructor(
    private readonly perSecond: number,
    private readonly onDropped: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether this item may go out now. */
  admit(): boolean {
    const now = this.now();
    if (now - this.windowStart >= 1_000) {
      this.windowStart = now;
      this.sent = 0;
    }
    if (this.sent < this.perSecond) {
      this.sent += 1;
      return true;
    }
    this.onDropped();
    return false;
  }
}
