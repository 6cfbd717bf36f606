/**
 * Gathers items handed over in the same turn of the event loop and processes them together on the next,
 * one batch at a time, in order.
 */
export class MicroBatch<T> {
  private pending: T[] = [];
  private next?: { promise: Promise<void>; resolve(): void; reject(error: unknown): void };
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly process: (items: T[]) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Adds one item; a failure is reported to `onError`. */
  push(item: T): void {
    this.pushAll([item]).catch(() => undefined);
  }

  /** Adds items; resolves once the batch holding them is processed (rejects if that failed). */
  pushAll(items: readonly T[]): Promise<void> {
    this.pending.push(...items);
    if (this.next) return this.next.promise;
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    const next = { promise, resolve, reject };
    this.next = next;
    setImmediate(() => {
      this.next = undefined;
      const batch = this.pending;
      this.pending = [];
      const run = this.chain.then(() => this.process(batch));
      this.chain = run.then(
        () => next.resolve(),
        (error: unknown) => {
          this.onError(error);
          next.reject(error);
        },
      );
    });
    return promise;
  }

  /** Resolves when everything pushed so far is processed. */
  async idle(): Promise<void> {
    while (this.next || this.pending.length > 0) await new Promise((resolve) => setImmediate(resolve));
    await this.chain;
  }
}
