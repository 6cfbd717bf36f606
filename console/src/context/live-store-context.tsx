import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { connectLiveSocket } from '../api/live/live-socket';
import { LiveStore } from '../api/live/live-store';

const LiveStoreContext = createContext<LiveStore | null>(null);

/** Owns the console's one live connection to the hub and the store it fills. */
export function LiveStoreProvider({ children }: { children: ReactNode }) {
  const [store] = useState(() => new LiveStore());
  useEffect(() => connectLiveSocket(store), [store]);
  return <LiveStoreContext value={store}>{children}</LiveStoreContext>;
}

export function useLiveStore(): LiveStore {
  const store = useContext(LiveStoreContext);
  if (!store) throw new Error('useLiveStore needs a <LiveStoreProvider> above it');
  return store;
}
