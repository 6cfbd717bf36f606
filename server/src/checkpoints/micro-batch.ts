/**
 * Gathers items handed over synchronously (one 'passage.stored' event per row of a committed batch) and
 * processes them together on the next turn of the event loop, one batch at a time, in order.
 */
export class MicroBatch<T> {
  private pending: T[] = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly process: (items: T[]) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const items = this.pending;
      this.pending = [];
      this.chain = this.chain.then(() => this.process(items)).catch(this.onError);
    });
  }

  /** Resolves when everything pushed so far is processed. */
  async idle(): Promise<void> {
    while (this.scheduled || this.pending.length > 0) await new Promise((resolve) => setImmediate(resolve));
    await this.chain;
  }
}
