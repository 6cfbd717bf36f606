import { describe, expect, it, vi } from 'vitest';
import type { Queryable } from '../platform/database/database';
import { AlertWriter } from './alert-writer';

const tx = {} as Queryable;

function writer(
  writeRaises = vi.fn(async (_tx: Queryable, items: number[]) => ({
    results: items.map((i) => i * 10),
    committed: () => undefined,
  })),
) {
  const log: string[] = [];
  let open = 0;
  const instance = new AlertWriter<number, number>({
    maxBatch: 3,
    transaction: async (work) => {
      open += 1;
      expect(open).toBe(1); // one transaction at a time
      try {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await work(tx);
      } finally {
        open -= 1;
      }
    },
    writeRaises: async (t, items) => {
      log.push(`raises ${items.join(',')}`);
      return writeRaises(t, items);
    },
    onError: () => undefined,
  });
  return { instance, log, writeRaises };
}

describe('AlertWriter', () => {
  it('runs one transaction at a time, batching raises that arrive meanwhile', async () => {
    const { instance, log } = writer();
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => instance.raise(i)));
    expect(results).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(log).toEqual(['raises 1', 'raises 2,3,4', 'raises 5,6,7']);
  });

  it('announces each job after its commit and before the next job starts', async () => {
    const { instance } = writer();
    const order: string[] = [];
    const jobs = [1, 2, 3].map((i) =>
      instance.run({
        work: async () => {
          order.push(`work ${i}`);
          return i;
        },
        committed: (result) => order.push(`announce ${result}`),
      }),
    );
    await Promise.all(jobs);
    expect(order).toEqual(['work 1', 'announce 1', 'work 2', 'announce 2', 'work 3', 'announce 3']);
  });

  it('writes a failed batch again one by one, so one bad raise sinks only itself', async () => {
    const writeRaises = vi.fn(async (_tx: Queryable, items: number[]) => {
      if (items.includes(13)) throw new Error('bad raise');
      return { results: items.map((i) => i), committed: () => undefined };
    });
    const { instance } = writer(writeRaises);
    const outcomes = await Promise.allSettled([1, 12, 13, 14].map((i) => instance.raise(i)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  });

  it('lets a barrier wait for the transaction in flight', async () => {
    const { instance } = writer();
    let announced = false;
    void instance.run({ work: async () => 1, committed: () => (announced = true) });
    await new Promise((resolve) => setTimeout(resolve, 1));
    await instance.barrier();
    expect(announced).toBe(true);
  });
});
