/** Paces work to `ratePerS` with a burst of `burst`; `takeDelayMs` says how long to wait for one token. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private ratePerS: number,
    private readonly burst: number = Math.max(1, Math.ceil(ratePerS / 10)),
    private readonly clock: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.updatedAt = clock();
  }

  setRate(ratePerS: number): void {
    this.refill();
    this.ratePerS = ratePerS;
  }

  /** Takes a token and returns 0, or returns how many ms until one is available (taking nothing). */
  takeDelayMs(): number {
    if (!Number.isFinite(this.ratePerS) || this.ratePerS <= 0) return 0;
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.ratePerS) * 1000);
  }

  private refill(): void {
    const now = this.clock();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerS);
    this.updatedAt = now;
  }
}
