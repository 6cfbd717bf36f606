import { describe, expect, it } from 'vitest';
import { waitUntilDrained, type DrainProbe } from './session-drain';

function probe(state: { last: number; pending: number; closed?: string }): DrainProbe {
  return {
    lastMessageAt: () => state.last,
    pending: () => state.pending,
    closedBecause: () => state.closed,
  };
}

describe('waitUntilDrained', () => {
  it('waits for a quiet spell with nothing pending', async () => {
    let now = 0;
    const state = { last: 0, pending: 2 };
    const done = waitUntilDrained(probe(state), { quietMs: 1_000, timeoutMs: 60_000, pollMs: 1, now: () => now });
    now = 5_000; // quiet for long, but two acknowledgements are still held
    await new Promise((resolve) => setTimeout(resolve, 10));
    state.pending = 0;
    state.last = 4_500; // and a message came half a second ago
    await new Promise((resolve) => setTimeout(resolve, 10));
    let settled = false;
    void done.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    now = 5_500;
    expect(await done).toEqual({ drained: true });
  });

  it('stops when the connection closes, saying why', async () => {
    const state = { last: 0, pending: 1, closed: 'the replica came back' };
    expect(await waitUntilDrained(probe(state), { quietMs: 1_000, timeoutMs: 60_000, pollMs: 1 })).toEqual({
      drained: false,
      reason: 'the replica came back',
    });
  });

  it('gives up after the timeout while messages keep coming', async () => {
    let now = 0;
    const state = { last: 0, pending: 0 };
    const done = waitUntilDrained(probe(state), { quietMs: 1_000, timeoutMs: 3_000, pollMs: 1, now: () => now });
    for (now = 0; now <= 3_000; now += 500) {
      state.last = now;
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    expect(await done).toEqual({ drained: false, reason: 'still receiving after 3 s' });
  });
});
