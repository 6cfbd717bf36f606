import type { SessionUser, TokenPair } from '@citywatch/protocol';

/** Where the session is kept: this tab only (sessionStorage), so a shared wall browser never leaks a login. */
export const SESSION_STORAGE_KEY = 'citywatch.session';

/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

type SessionStorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export interface SessionStoreOptions {
  storage?: SessionStorageLike;
  /** Trades a refresh token for a new pair (POST /api/auth/refresh); rejects when the hub refuses. */
  refresh: (refreshToken: string) => Promise<TokenPair>;
  now?: () => number;
}

/**
 * The signed-in session, outside React: the token pair, kept in this tab's storage, refreshed shortly before
 * the access token expires and on demand after a 401 (one refresh at a time, shared by every caller).
 */
export class SessionStore {
  private pair: TokenPair | null;
  private readonly listeners = new Set<() => void>();
  private refreshing: Promise<boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SessionStoreOptions) {
    this.now = options.now ?? Date.now;
    this.pair = readPair(options.storage);
    if (this.pair && Date.parse(this.pair.refreshTokenExpiresAt) <= this.now()) this.clear();
    this.schedule();
  }

  get user(): SessionUser | null {
    return this.pair?.user ?? null;
  }

  get accessToken(): string | null {
    return this.pair?.accessToken ?? null;
  }

  /** The same object until the session changes (for useSyncExternalStore). */
  snapshot = (): TokenPair | null => this.pair;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Keeps a pair the hub just issued (sign-in or refresh). */
  accept(pair: TokenPair): void {
    this.pair = pair;
    try {
      this.options.storage?.setItem(SESSION_STORAGE_KEY, JSON.stringify(pair));
    } catch {
      // not kept across reloads; the session still works in this page
    }
    this.schedule();
    this.emit();
  }

  /** Forgets the session (signed out, or the hub refused the refresh). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const had = this.pair !== null;
    this.pair = null;
    try {
      this.options.storage?.removeItem(SESSION_STORAGE_KEY);
    } catch {
      // nothing kept
    }
    if (had) this.emit();
  }

  /**
   * Trades the refresh token for a new pair; resolves whether the session goes on. Concurrent callers share one
   * request (each refresh token works once). A refusal ends the session.
   */
  refresh(): Promise<boolean> {
    if (this.refreshing) return this.refreshing;
    const pair = this.pair;
    if (!pair) return Promise.resolve(false);
    this.refreshing = this.options
      .refresh(pair.refreshToken)
      .then((next) => {
        // Signed out (or in as someone else) while the request was in flight: keep what is there now.
        if (this.pair !== pair) return this.pair !== null;
        this.accept(next);
        return true;
      })
      .catch(() => {
        if (this.pair === pair) this.clear();
        return false;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pair) return;
    const due = Date.parse(this.pair.accessTokenExpiresAt) - REFRESH_MARGIN_MS - this.now();
    // Timers longer than 2^31 ms fire at once; tokens live minutes, so clamp anyway.
    this.timer = setTimeout(() => void this.refresh(), Math.min(Math.max(due, 1_000), 2 ** 31 - 1));
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function readPair(storage: SessionStorageLike | undefined): TokenPair | null {
  try {
    const text = storage?.getItem(SESSION_STORAGE_KEY);
    if (!text) return null;
    const pair = JSON.parse(text) as TokenPair;
    return typeof pair?.accessToken === 'string' && typeof pair.refreshToken === 'string' && pair.user ? pair : null;
  } catch {
    return null;
  }
}
