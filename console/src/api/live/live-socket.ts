import type { AlertRecord, ClientToServerEvents, ServerToClientEvents } from '@citywatch/protocol';
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

const SYNC_TIMEOUT_MS = 15_000;

export interface LiveSocketSession {
  /** The access token for the handshake, read at every (re)connect. */
  getToken(): string | null;
  /** Trades the refresh token for a new pair after the hub refused the handshake; false ends the session. */
  refresh(): Promise<boolean>;
  /** The open alerts to start from, before the first catch-up (GET /api/alerts?open=true). */
  listOpenAlerts(): Promise<AlertRecord[]>;
}

/**
 * Opens the one socket.io connection of the console (namespace `/live` on the page's own origin, so the
 * hub in production and Vite's proxy in development both serve it), signed in with the session's access
 * token, and writes what it hears into the store. After every (re)connect it catches the alerts up with
 * `alerts:sync` from the last `seq` it saw. Returns the function that closes it.
 */
export function connectLiveSocket(store: LiveStore, session: LiveSocketSession): () => void {
  store.setConnection({ state: 'connecting', attempt: 0 });
  const socket: LiveSocket = io(LIVE_NAMESPACE, {
    ...RECONNECT_BACKOFF,
    reconnection: true,
    auth: (send) => send({ token: session.getToken() ?? '' }),
  });
  let closed = false;
  let refusedInARow = 0;
  let seeded = false;

  /** A refused handshake (expired token) is not retried by socket.io: refresh, then try again with back-off. */
  async function retryAfterRefusal(): Promise<void> {
    refusedInARow += 1;
    store.setConnection({ state: 'reconnecting', attempt: refusedInARow });
    if (!(await session.refresh()) || closed) return;
    const delay = Math.min(
      RECONNECT_BACKOFF.reconnectionDelayMax,
      RECONNECT_BACKOFF.reconnectionDelay * 2 ** (refusedInARow - 1),
    );
    setTimeout(
      () => {
        if (!closed && !socket.connected) socket.connect();
      },
      refusedInARow === 1 ? 0 : delay,
    );
  }

  async function catchUp(): Promise<void> {
    store.setAlertSync('syncing');
    try {
      if (!seeded) {
        store.receiveAlerts(await session.listOpenAlerts());
        seeded = true;
      }
      let lastSeq = store.get('alerts').lastSeq;
      for (let round = 0; round < 1_000 && socket.connected; round += 1) {
        const reply = await socket.timeout(SYNC_TIMEOUT_MS).emitWithAck('alerts:sync', { lastSeq });
        if (!reply.ok) throw new Error(reply.error.message);
        store.receiveAlerts(reply.alerts, reply.upToSeq);
        if (!reply.more) break;
        lastSeq = reply.upToSeq;
      }
      store.setAlertSync('synced');
    } catch {
      if (!closed) store.setAlertSync('failed');
    }
  }

  socket.on('connect', () => {
    refusedInARow = 0;
    store.setConnection({ state: 'connected', attempt: 0 });
    void catchUp();
  });
  socket.on('connect_error', (error) => {
    const status = (error as Error & { data?: { status?: number } }).data?.status;
    if (!socket.active || status === 401) void retryAfterRefusal();
  });
  socket.on('disconnect', (reason) => {
    store.setConnection({ state: 'reconnecting', attempt: 0 });
    // The hub closes a socket on purpose when its session ends: a refresh tells whether it goes on.
    if (reason === 'io server disconnect') void retryAfterRefusal();
  });
  socket.io.on('reconnect_attempt', (attempt) => store.setConnection({ state: 'reconnecting', attempt }));
  socket.io.on('reconnect_failed', () => store.setConnection({ state: 'disconnected', attempt: 0 }));

  socket.on(SOCKET_EVENTS.passageNew, (passage) => store.receivePassage(passage));
  socket.on(SOCKET_EVENTS.deviceStatus, (change) => store.receiveDeviceStatus(change));
  socket.on(SOCKET_EVENTS.alertChange, (change) => store.receiveAlertChange(change));

  return () => {
    closed = true;
    socket.removeAllListeners();
    socket.io.removeAllListeners();
    socket.disconnect();
    store.setConnection({ state: 'disconnected', attempt: 0 });
  };
}
