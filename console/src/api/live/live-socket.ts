import type { ClientToServerEvents, ServerToClientEvents } from '@citywatch/protocol';
import { LIVE_NAMESPACE, SOCKET_EVENTS } from '@citywatch/protocol/socket-events';
import { io, type Socket } from 'socket.io-client';
import type { LiveStore } from './live-store';

export type LiveSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** Reconnection back-off: 1 s doubling to at most 15 s, each delay jittered by half. */
const RECONNECT_BACKOFF = {
  reconnectionDelay: 1_000,
  reconnectionDelayMax: 15_000,
  randomizationFactor: 0.5,
} as const;

/**
 * Opens the one socket.io connection of the console (namespace `/live` on the page's own origin, so the
 * hub in production and Vite's proxy in development both serve it) and writes what it hears into the
 * store. Returns the function that closes it.
 */
export function connectLiveSocket(store: LiveStore): () => void {
  store.setConnection({ state: 'connecting', attempt: 0 });
  const socket: LiveSocket = io(LIVE_NAMESPACE, { ...RECONNECT_BACKOFF, reconnection: true });

  socket.on('connect', () => store.setConnection({ state: 'connected', attempt: 0 }));
  socket.on('disconnect', (reason) => {
    store.setConnection({ state: 'reconnecting', attempt: 0 });
    // socket.io reconnects by itself except after the server (or we) closed the socket on purpose.
    if (reason === 'io server disconnect') socket.connect();
  });
  socket.io.on('reconnect_attempt', (attempt) => store.setConnection({ state: 'reconnecting', attempt }));
  socket.io.on('reconnect_failed', () => store.setConnection({ state: 'disconnected', attempt: 0 }));

  socket.on(SOCKET_EVENTS.passageNew, (passage) => store.receivePassage(passage));
  socket.on(SOCKET_EVENTS.deviceStatus, (change) => store.receiveDeviceStatus(change));

  return () => {
    socket.removeAllListeners();
    socket.io.removeAllListeners();
    socket.disconnect();
    store.setConnection({ state: 'disconnected', attempt: 0 });
  };
}
