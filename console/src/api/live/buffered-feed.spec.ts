import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BufferedFeed } from './buffered-feed';

describe('BufferedFeed', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const makeFeed = (maxPending = 100) => {
    const onFlush = vi.fn<(arrivals: readonly number[], arrivedCount: number) => void>();
    return { feed: new BufferedFeed<number>({ flushIntervalMs: 200, maxPending, onFlush }), onFlush };
  };

  it('hands on a burst once, after the interval, in arrival order', () => {
    const { feed, onFlush } = makeFeed();
    for (let i = 1; i <= 50; i += 1) feed.push(i);
    vi.advanceTimersByTime(199);
    expect(onFlush).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onFlush).toHaveBeenCalledTimes(1);
    const [arrivals, arrivedCount] = onFlush.mock.calls[0];
    expect(arrivals).toHaveLength(50);
    expect(arrivals[0]).toBe(1);
    expect(arrivedCount).toBe(50);
  });

  it('does not flush when nothing arrived', () => {
    const { feed, onFlush } = makeFeed();
    feed.flush();
    vi.advanceTimersByTime(1_000);
    expect(onFlush).not.toHaveBeenCalled();
  });

  it('starts a new interval for arrivals after a flush', () => {
    const { feed, onFlush } = makeFeed();
    feed.push(1);
    vi.advanceTimersByTime(200);
    feed.push(2);
    feed.push(3);
    vi.advanceTimersByTime(200);
    expect(onFlush.mock.calls).toEqual([
      [[1], 1],
      [[2, 3], 2],
    ]);
  });

  it('holds at most maxPending arrivals, the newest, and counts the dropped ones', () => {
    const { feed, onFlush } = makeFeed(10);
    for (let i = 1; i <= 35; i += 1) feed.push(i);
    feed.flush();
    const [arrivals, arrivedCount] = onFlush.mock.calls[0];
    expect(arrivals).toEqual([26, 27, 28, 29, 30, 31, 32, 33, 34, 35]);
    expect(arrivedCount).toBe(35);
  });

  it('flushes at once when asked and cancels the pending timer', () => {
    const { feed, onFlush } = makeFeed();
    feed.push(1);
    feed.flush();
    vi.advanceTimersByTime(1_000);
    expect(onFlush).toHaveBeenCalledTimes(1);
  });

  it('forgets pending arrivals on dispose', () => {
    const { feed, onFlush } = makeFeed();
    feed.push(1);
    feed.dispose();
    vi.advanceTimersByTime(1_000);
    feed.flush();
    expect(onFlush).not.toHaveBeenCalled();
  });
});
