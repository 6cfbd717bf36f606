import type { TokenPair } from '@citywatch/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SESSION_STORAGE_KEY, SessionStore } from './session-store';

const NOW = Date.parse('2026-11-27T08:00:00Z');

function pair(n: number, accessMinutes = 15): TokenPair {
  return {
    accessToken: `access-${n}`,
    accessTokenExpiresAt: new Date(NOW + accessMinutes * 60_000).toISOString(),
    refreshToken: `refresh-${n}`,
    refreshTokenExpiresAt: new Date(NOW + 8 * 3600_000).toISOString(),
    user: { id: '1', username: 'op', displayName: 'Operator', role: 'operator', departmentId: null },
  };
}

function memoryStorage() {
  const map = new Map<string, string>();
  return {
    getItem: (key: string) => map.get(key) ?? null,
    setItem: (key: string, value: string) => void map.set(key, value),
    removeItem: (key: string) => void map.delete(key),
    map,
  };
}

describe('SessionStore', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
  });
  afterEach(() => vi.useRealTimers());

  it('keeps an accepted pair in storage and reads it back', () => {
    const storage = memoryStorage();
    const store = new SessionStore({ storage, refresh: vi.fn() });
    const listener = vi.fn();
    store.subscribe(listener);
    store.accept(pair(1));
    expect(listener).toHaveBeenCalledTimes(1);
    expect(new SessionStore({ storage, refresh: vi.fn() }).accessToken).toBe('access-1');
    store.clear();
    expect(storage.map.has(SESSION_STORAGE_KEY)).toBe(false);
  });

  it('refreshes a minute before the access token expires', async () => {
    const refresh = vi.fn(async () => pair(2));
    const store = new SessionStore({ storage: memoryStorage(), refresh });
    store.accept(pair(1, 15));
    await vi.advanceTimersByTimeAsync(13 * 60_000);
    expect(refresh).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(refresh).toHaveBeenCalledWith('refresh-1');
    expect(store.accessToken).toBe('access-2');
  });

  it('shares one refresh between concurrent callers', async () => {
    let answer!: (value: TokenPair) => void;
    const refresh = vi.fn(() => new Promise<TokenPair>((resolve) => (answer = resolve)));
    const store = new SessionStore({ storage: memoryStorage(), refresh });
    store.accept(pair(1));
    const first = store.refresh();
    const second = store.refresh();
    answer(pair(2));
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('ends the session when the hub refuses the refresh', async () => {
    const store = new SessionStore({
      storage: memoryStorage(),
      refresh: vi.fn(async () => Promise.reject(new Error('401'))),
    });
    store.accept(pair(1));
    expect(await store.refresh()).toBe(false);
    expect(store.user).toBeNull();
  });

  it('drops a stored session whose refresh token has expired', () => {
    const storage = memoryStorage();
    storage.setItem(
      SESSION_STORAGE_KEY,
      JSON.stringify({ ...pair(1), refreshTokenExpiresAt: new Date(NOW - 1).toISOString() }),
    );
    expect(new SessionStore({ storage, refresh: vi.fn() }).user).toBeNull();
  });
});
