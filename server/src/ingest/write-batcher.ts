import { isConnectionError } from '../platform/database/database';

export interface WriteBatcherOptions<T> {
  name: string;
  /** Most items written in one call. */
  maxBatch: number;
  /** Longest an item waits for its batch to fill. */
  flushMs: number;
  /** Items held (queued and being written) before `push` stops admitting. */
  queueLimit: number;
  /** Batches written at the same time (each on its own connection); commits are still reported in order. */
  concurrency?: number;
  /**
   * Writes a batch in one transaction; throws on failure. May hand back work that follows the commit
   * (`after`): the items count as committed once it settles, but the writer is free for the next batch.
   */
  write(items: T[]): Promise<void | { after: Promise<void> }>;
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

/** What became of one item: written (or kept elsewhere), or given up with this error. */
type Outcome = { ok: true } | { ok: false; error: unknown };

/** A batch written: each item's outcome, and the work that follows the commit. */
interface Written {
  outcomes: Outcome[];
  after: Promise<void>[];
}

export interface PushTicket {
  admitted: Promise<void>;
  committed: Promise<void>;
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5_000;

/** How long to wait before attempt `attempt + 1` while the database is away: 100 ms doubling to 5 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(attempt - 1, 10));
}
const OK: Outcome = { ok: true };

/**
 * A bounded queue that writes in batches by size and time. Up to `concurrency` batches are written at
 * once, but their items are reported committed strictly in arrival order, so acknowledgements leave in
 * the order messages came. When the database is away each batch is retried with back-off for as long
 * as it takes; the queue fills, `push` stops admitting, and the reader upstream stops reading.
 */
export class WriteBatcher<T> {
  private queue: Pending<T>[] = [];
  private waiting: (() => void)[] = [];
  private timer?: NodeJS.Timeout;
  private closed = false;
  private batchesInFlight = 0;
  private itemsInFlight = 0;
  /** Settles when every batch launched so far has been reported. */
  private reported: Promise<void> = Promise.resolve();
  private readonly concurrency: number;

  constructor(private readonly options: WriteBatcherOptions<T>) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
  }

  /** Items held now: queued plus those being written. */
  get depth(): number {
    return this.queue.length + this.itemsInFlight;
  }

  push(item: T): PushTicket {
    let resolveCommitted!: () => void;
    let rejectCommitted!: (error: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => {
      resolveCommitted = resolve;
      rejectCommitted = reject;
    });
    const pending: Pending<T> = { item, resolve: resolveCommitted, reject: rejectCommitted };
    if (this.closed) {
      pending.reject(new Error(`${this.options.name} is closed`));
      return { admitted: Promise.resolve(), committed };
    }
    const admitted =
      this.depth < this.options.queueLimit && this.waiting.length === 0
        ? Promise.resolve(this.enqueue(pending))
        : this.waitForRoom(pending);
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
    if (this.queue.length >= this.options.maxBatch) this.launch(false);
    else this.timer ??= setTimeout(() => this.launch(true), this.options.flushMs);
  }

  /** Starts writing full batches (and, when the flush timer fired, a partial one) while slots are free. */
  private launch(timerFired: boolean): void {
    if (timerFired) this.timer = undefined;
    while (this.queue.length > 0 && this.batchesInFlight < this.concurrency) {
      const full = this.queue.length >= this.options.maxBatch;
      if (!full && !timerFired && !this.closing) break;
      this.startBatch(this.queue.splice(0, this.options.maxBatch));
      timerFired = false;
    }
    if (this.queue.length > 0 && this.timer === undefined && this.batchesInFlight < this.concurrency) {
      this.timer = setTimeout(() => this.launch(true), this.options.flushMs);
    }
  }

  private closing = false;

  private startBatch(batch: Pending<T>[]): void {
    if (this.timer && this.queue.length === 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.batchesInFlight += 1;
    this.itemsInFlight += batch.length;
    const written = this.writeWithRetry(batch.map((pending) => pending.item));
    // The writer is free once the transaction is done; the items stay held until what follows it settles.
    void written.then(() => {
      this.batchesInFlight -= 1;
      this.launchNext();
    });
    const settled = written.then(async ({ outcomes, after }) => {
      await Promise.all(after.map((work) => work.catch(() => undefined)));
      return outcomes;
    });
    const previous = this.reported;
    this.reported = Promise.all([previous, settled]).then(([, outcomes]) => {
      batch.forEach((pending, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) pending.resolve();
        else pending.reject(outcome.error);
      });
      this.itemsInFlight -= batch.length;
      this.admitWaiting();
      this.launchNext();
    });
  }

  private launchNext(): void {
    if (this.queue.length >= this.options.maxBatch || this.closing) this.launch(false);
    else if (this.queue.length > 0) this.timer ??= setTimeout(() => this.launch(true), this.options.flushMs);
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.depth < this.options.queueLimit) this.waiting.shift()!();
  }

  private async writeWithRetry(items: T[]): Promise<Written> {
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        const result = await this.options.write(items);
        this.options.onCommitted?.(items.length, performance.now() - started);
        return { outcomes: items.map(() => OK), after: result ? [result.after] : [] };
      } catch (error) {
        if (this.closed)
          return { outcomes: items.map(() => ({ ok: false, error: this.closedError(error) })), after: [] };
        if (!isConnectionError(error)) return this.writeOneByOne(items);
        await this.backOff(error, attempt);
      }
    }
  }

  /** A batch the database refused for its data: find the bad items, keep the good ones. */
  private async writeOneByOne(items: T[]): Promise<Written> {
    const outcomes: Outcome[] = [];
    const after: Promise<void>[] = [];
    for (const item of items) {
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await this.options.write([item]);
          if (result) after.push(result.after);
          outcomes.push(OK);
          break;
        } catch (error) {
          if (this.closed) {
            outcomes.push({ ok: false, error: this.closedError(error) });
            break;
          }
          if (isConnectionError(error)) {
            await this.backOff(error, attempt);
            continue;
          }
          try {
            await this.options.reject(item, error);
            outcomes.push(OK);
          } catch (rejectError) {
            outcomes.push({ ok: false, error: rejectError });
          }
          break;
        }
      }
    }
    return { outcomes, after };
  }

  private async backOff(error: unknown, attempt: number): Promise<void> {
    const delay = retryDelayMs(attempt);
    this.options.onRetry?.(error, attempt, delay);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  private closedError(cause: unknown): Error {
    return new Error(`${this.options.name} closed before these items were written`, { cause });
  }

  /** Writes what is queued, then stops. Past the deadline (database away), what is left is given up unacknowledged. */
  async close(deadlineMs = 10_000): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    this.closing = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.launch(false);
    while (this.depth > 0 && Date.now() < deadline) {
      this.launch(false);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    this.closed = true;
    const error = new Error(`${this.options.name} closed before these items were written`);
    for (const pending of this.queue.splice(0)) pending.reject(error);
    for (const admit of this.waiting.splice(0)) admit();
    for (const pending of this.queue.splice(0)) pending.reject(error);
    await Promise.race([this.reported, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  }
}
