import type { Queryable } from '../platform/database/database';

export interface WriterJob<T> {
  /** Runs inside the transaction (the write lock already held). */
  work(tx: Queryable): Promise<T>;
  /** Runs after the commit, before the next job starts: announce here, so announcements follow commit order. */
  committed?(result: T): void;
}

interface Queued<I, R> {
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/**
 * Runs alert writes one transaction at a time in this process, so the order of commits is the order of
 * announcements. Raises that arrive while a transaction runs are gathered into the next one (a batch),
 * which keeps latency low when quiet and throughput high under load.
 */
export class AlertWriter<I, R> {
  private readonly raises: Queued<I, R>[] = [];
  private readonly jobs: Queued<WriterJob<unknown>, unknown>[] = [];
  private running = false;
  private current: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly options: {
      maxBatch: number;
      /** Opens a transaction with the write lock held. */
      transaction<T>(work: (tx: Queryable) => Promise<T>, kind: 'raises' | 'job'): Promise<T>;
      /** Writes a batch of raises; returns one result per item, in order. */
      writeRaises(tx: Queryable, items: I[]): Promise<{ results: R[]; committed(): void }>;
      onError(error: unknown, items: number): void;
    },
  ) {}

  raise(item: I): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the alerts writer is closed'));
    return new Promise<R>((resolve, reject) => {
      this.raises.push({ item, resolve, reject });
      this.kick();
    });
  }

  run<T>(job: WriterJob<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the alerts writer is closed'));
    return new Promise<T>((resolve, reject) => {
      this.jobs.push({ item: job as WriterJob<unknown>, resolve: resolve as (r: unknown) => void, reject });
      this.kick();
    });
  }

  /** Resolves when the transaction running now (if any) has committed and been announced. */
  barrier(): Promise<void> {
    return this.current;
  }

  get depth(): number {
    return this.raises.length + this.jobs.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.current;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.raises.length > 0 || this.jobs.length > 0) {
        // Alternate: a waiting operator's claim is never stuck behind a flood of raises.
        const job = this.jobs.shift();
        if (job) {
          this.current = this.runJob(job);
          await this.current;
        }
        if (this.raises.length > 0) {
          const batch = this.raises.splice(0, this.options.maxBatch);
          this.current = this.runRaises(batch);
          await this.current;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async runJob(queued: Queued<WriterJob<unknown>, unknown>): Promise<void> {
    try {
      const result = await this.options.transaction((tx) => queued.item.work(tx), 'job');
      queued.item.committed?.(result);
      queued.resolve(result);
    } catch (error) {
      queued.reject(error);
    }
  }

  private async runRaises(batch: Queued<I, R>[]): Promise<void> {
    try {
      const written = await this.options.transaction(
        (tx) =>
          this.options.writeRaises(
            tx,
            batch.map((q) => q.item),
          ),
        'raises',
      );
      written.committed();
      batch.forEach((queued, i) => queued.resolve(written.results[i]!));
    } catch (error) {
      this.options.onError(error, batch.length);
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      // One bad raise must not sink the others: write them one by one.
      for (const queued of batch) await this.runRaises([queued]);
    }
  }
}
