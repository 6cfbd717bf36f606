import { describe, expect, it } from 'vitest';
import { WriteBatcher } from './write-batcher';

const connectionLost = () => Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const badData = () => Object.assign(new Error('value too long'), { code: '22001' });

function batcher(overrides: Partial<ConstructorParameters<typeof WriteBatcher<number>>[0]> = {}) {
  const written: number[][] = [];
  const rejected: number[] = [];
  const instance = new WriteBatcher<number>({
    name: 'test',
    maxBatch: 10,
    flushMs: 5,
    queueLimit: 100,
    write: async (items) => {
      written.push([...items]);
    },
    reject: async (item) => {
      rejected.push(item);
    },
    ...overrides,
  });
  return { instance, written, rejected };
}

describe('WriteBatcher', () => {
  it('writes full batches at once and the rest after the flush interval, in order', async () => {
    const { instance, written } = batcher();
    const tickets = Array.from({ length: 25 }, (_, i) => instance.push(i));
    await Promise.all(tickets.map((t) => t.committed));
    expect(written.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(written.flat()).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  it('resolves committed only after the write finished', async () => {
    let finish!: () => void;
    const { instance } = batcher({ write: () => new Promise<void>((resolve) => (finish = resolve)) });
    const ticket = instance.push(1);
    let committed = false;
    void ticket.committed.then(() => (committed = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(committed).toBe(false);
    finish();
    await ticket.committed;
    expect(committed).toBe(true);
  });

  it('frees the writer while the work after a commit runs, and reports items committed only after it, in order', async () => {
    const releases: (() => void)[] = [];
    const written: number[][] = [];
    const { instance } = batcher({
      maxBatch: 2,
      concurrency: 1,
      write: async (items) => {
        written.push([...items]);
        return { after: new Promise<void>((resolve) => releases.push(resolve)) };
      },
    });
    const tickets = [1, 2, 3, 4].map((i) => instance.push(i));
    const committed: number[] = [];
    tickets.forEach((t, i) => void t.committed.then(() => committed.push(i + 1)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // One writer, yet both batches were written: the first one's follow-up did not hold it.
    expect(written).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(committed).toEqual([]);
    releases[1]!(); // the second batch's follow-up ends first; its items still wait for the first's
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(committed).toEqual([]);
    releases[0]!();
    await Promise.all(tickets.map((t) => t.committed));
    expect(committed).toEqual([1, 2, 3, 4]);
    expect(instance.depth).toBe(0);
  });

  it('stops admitting at the queue limit and admits again as batches commit', async () => {
    let release!: () => void;
    let gate = new Promise<void>((resolve) => (release = resolve));
    const { instance } = batcher({
      maxBatch: 5,
      queueLimit: 10,
      write: () => gate,
    });
    const tickets = Array.from({ length: 12 }, (_, i) => instance.push(i));
    const admitted = tickets.map(() => false);
    tickets.forEach((t, i) => void t.admitted.then(() => (admitted[i] = true)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(admitted.filter(Boolean)).toHaveLength(10);
    expect(instance.depth).toBe(10);
    const first = release;
    gate = new Promise<void>((resolve) => (release = resolve));
    first();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(admitted.every(Boolean)).toBe(true);
    release();
    await Promise.all(tickets.map((t) => t.committed));
  });

  it('writes batches concurrently but reports them committed in arrival order', async () => {
    const finishers: (() => void)[] = [];
    const { instance } = batcher({
      maxBatch: 2,
      concurrency: 2,
      write: () => new Promise<void>((resolve) => finishers.push(resolve)),
    });
    const tickets = [1, 2, 3, 4].map((i) => instance.push(i));
    const order: number[] = [];
    tickets.forEach((t, i) => void t.committed.then(() => order.push(i + 1)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(finishers).toHaveLength(2);
    finishers[1]!(); // the second batch commits first
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    finishers[0]!();
    await Promise.all(tickets.map((t) => t.committed));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it('retries the same batch while the database is away, then commits it', async () => {
    let failures = 3;
    const attempts: number[][] = [];
    const retries: number[] = [];
    const { instance } = batcher({
      write: async (items) => {
        attempts.push([...items]);
        if (failures-- > 0) throw connectionLost();
      },
      onRetry: (_error, attempt) => retries.push(attempt),
    });
    await Promise.all([1, 2, 3].map((i) => instance.push(i).committed));
    expect(retries).toEqual([1, 2, 3]);
    expect(attempts).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });

  it('finds the item the database refuses for its data and keeps the others', async () => {
    const stored: number[] = [];
    const { instance, rejected } = batcher({
      write: async (items) => {
        if (items.includes(13)) throw badData();
        stored.push(...items);
      },
    });
    await Promise.all([11, 12, 13, 14].map((i) => instance.push(i).committed));
    expect(stored).toEqual([11, 12, 14]);
    expect(rejected).toEqual([13]);
  });

  it('writes what is queued on close and refuses what cannot be written by the deadline', async () => {
    const { instance, written } = batcher({ flushMs: 1_000 });
    const ticket = instance.push(7);
    await instance.close();
    await ticket.committed;
    expect(written).toEqual([[7]]);

    const stuck = batcher({
      write: async () => {
        throw connectionLost();
      },
    });
    const lost = stuck.instance.push(1);
    await stuck.instance.close(50);
    await expect(lost.committed).rejects.toThrow(/closed/);
  });
});
