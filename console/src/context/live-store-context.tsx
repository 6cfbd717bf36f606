import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { connectLiveSocket } from '../api/live/live-socket';
import { LiveStore } from '../api/live/live-store';
import { useHubApi, useSessionStore } from './session-context';

const LiveStoreContext = createContext<LiveStore | null>(null);

/** Owns the console's one live connection to the hub (signed in) and the store it fills. */
export function LiveStoreProvider({ children }: { children: ReactNode }) {
  const [store] = useState(() => new LiveStore());
  const session = useSessionStore();
  const api = useHubApi();
  useEffect(
    () =>
      connectLiveSocket(store, {
        getToken: () => session.accessToken,
        refresh: () => session.refresh(),
        listOpenAlerts: () => api.alerts.list({ open: true, limit: 500 }),
      }),
    [store, session, api],
  );
  useEffect(() => () => store.dispose(), [store]);
  return <LiveStoreContext value={store}>{children}</LiveStoreContext>;
}

export function useLiveStore(): LiveStore {
  const store = useContext(LiveStoreContext);
  if (!store) throw new Error('useLiveStore needs a <LiveStoreProvider> above it');
  return store;
}
