import { isConnectionError } from '../platform/database/database';

export interface WriteBatcherOptions<T> {
  name: string;
  /** Most items written in one call. */
  maxBatch: number;
  /** Longest an item waits for its batch to fill. */
  flushMs: number;
  /** Items held (queued and being written) before `push` stops admitting. */
  queueLimit: number;
  /** Writes a batch in one transaction; throws on failure. */
  write(items: T[]): Promise<void>;
  /** An item the database refuses on its own (not because the database is away): keep it elsewhere. */
  reject(item: T, error: unknown): Promise<void>;
  /** Told about each failed attempt that will be retried. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /** Told about each committed batch. */
  onCommitted?(count: number, millis: number): void;
}

interface Pending<T> {
  item: T;
  resolve(): void;
  reject(error: unknown): void;
}

export interface PushTicket {
  admitted: Promise<void>;
  committed: Promise<void>;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * A bounded queue that writes in batches by size and time, one batch at a time, in arrival order.
 * When the database is away it retries the same batch with back-off for as long as it takes; the
 * queue fills, `push` stops admitting, and the reader upstream stops reading (back-pressure).
 */
export class WriteBatcher<T> {
  private queue: Pending<T>[] = [];
  private waiting: (() => void)[] = [];
  private timer?: NodeJS.Timeout;
  private writing = false;
  private closed = false;
  private inFlight = 0;

  constructor(private readonly options: WriteBatcherOptions<T>) {}

  /** Items held now: queued plus the batch being written. */
  get depth(): number {
    return this.queue.length + this.inFlight;
  }

  push(item: T): PushTicket {
    let resolveCommitted!: () => void;
    let rejectCommitted!: (error: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => {
      resolveCommitted = resolve;
      rejectCommitted = reject;
    });
    const pending: Pending<T> = { item, resolve: resolveCommitted, reject: rejectCommitted };
    const admitted =
      this.depth < this.options.queueLimit ? Promise.resolve(this.enqueue(pending)) : this.waitForRoom(pending);
    return { admitted, committed };
  }

  private waitForRoom(pending: Pending<T>): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiting.push(() => {
        this.enqueue(pending);
        resolve();
      });
    });
  }

  private enqueue(pending: Pending<T>): void {
    this.queue.push(pending);
    if (this.queue.length >= this.options.maxBatch) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.options.flushMs);
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    void this.drain().finally(() => {
      this.writing = false;
      if (this.queue.length > 0 && !this.closed) {
        if (this.queue.length >= this.options.maxBatch) this.kick();
        else this.timer ??= setTimeout(() => this.kick(), this.options.flushMs);
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length >= this.options.maxBatch || (this.queue.length > 0 && this.timer === undefined)) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight = batch.length;
      this.admitWaiting();
      await this.writeWithRetry(batch);
      this.inFlight = 0;
      this.admitWaiting();
      if (this.queue.length < this.options.maxBatch) break;
    }
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.depth < this.options.queueLimit) this.waiting.shift()!();
  }

  private async writeWithRetry(batch: Pending<T>[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await this.options.write(batch.map((pending) => pending.item));
        this.options.onCommitted?.(batch.length, performance.now() - started);
        for (const pending of batch) pending.resolve();
        return;
      } catch (error) {
        if (!isConnectionError(error) && !this.closed) {
          await this.writeOneByOne(batch);
          return;
        }
        if (this.closed) {
          const closed = new Error(`${this.options.name} closed before these items were written`, { cause: error });
          for (const pending of batch) pending.reject(closed);
          return;
        }
        const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt - 1, 10));
        this.options.onRetry?.(error, attempt, delay);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** A batch the database refused for its data: find the bad items, keep the good ones. */
  private async writeOneByOne(batch: Pending<T>[]): Promise<void> {
    for (const pending of batch) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.options.write([pending.item]);
          pending.resolve();
          break;
        } catch (error) {
          if (isConnectionError(error) && !this.closed) {
            const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt - 1, 10));
            this.options.onRetry?.(error, attempt, delay);
            await new Promise((resolve) => setTimeout(resolve, delay));
            continue;
          }
          try {
            await this.options.reject(pending.item, error);
            pending.resolve();
          } catch (rejectError) {
            pending.reject(rejectError);
          }
          break;
        }
      }
    }
  }

  /** Writes what is queued, then stops. Past the deadline (database away), what is left is given up unacknowledged. */
  async close(deadlineMs = 10_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while ((this.queue.length > 0 || this.writing) && Date.now() < deadline) {
      if (!this.writing) this.kick();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.closed = true;
    const error = new Error(`${this.options.name} closed before these items were written`);
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }
}
