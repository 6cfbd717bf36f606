import type { SessionUser } from '@citywatch/protocol';
import { createContext, useContext, useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { createHubApi, type HubApi } from '../api/hub-api';
import { createRestClient } from '../api/rest-client';
import { SessionStore } from '../api/session-store';

interface SessionContextValue {
  store: SessionStore;
  api: HubApi;
}

const SessionContext = createContext<SessionContextValue | null>(null);

function tabStorage(): Storage | undefined {
  try {
    return globalThis.sessionStorage;
  } catch {
    return undefined;
  }
}

/**
 * Owns the session and the one typed REST client: every call carries the access token, a 401 refreshes the
 * session once and retries, and a refused refresh signs the operator out (back to the sign-in page).
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [value] = useState<SessionContextValue>(() => {
    // Sign-in and refresh go through a client without the refresh hook (a refused refresh must not recurse).
    const bare = createHubApi(createRestClient({ baseUrl: '/api' }));
    const store = new SessionStore({ storage: tabStorage(), refresh: (token) => bare.auth.refresh(token) });
    const client = createRestClient({
      baseUrl: '/api',
      getToken: () => store.accessToken,
      refreshToken: () => store.refresh(),
      onUnauthorized: () => store.clear(),
    });
    return { store, api: createHubApi(client) };
  });
  useEffect(() => () => value.store.dispose(), [value]);
  return <SessionContext value={value}>{children}</SessionContext>;
}

function useSessionContext(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('needs a <SessionProvider> above it');
  return value;
}

export function useHubApi(): HubApi {
  return useSessionContext().api;
}

export function useSessionStore(): SessionStore {
  return useSessionContext().store;
}

/** The signed-in user, or null; re-renders on sign-in, refresh and sign-out. */
export function useCurrentUser(): SessionUser | null {
  const { store } = useSessionContext();
  return useSyncExternalStore(store.subscribe, store.snapshot)?.user ?? null;
}

/** The signed-in user, for components shown only after sign-in. */
export function useSignedInUser(): SessionUser {
  const user = useCurrentUser();
  if (!user) throw new Error('shown only when signed in');
  return user;
}
