import type { AlertChange, AlertRecord, DeviceStatusChange, LivePassage } from '@citywatch/protocol';
import { applyAlerts, emptyAlertWindow, type AlertWindow } from './alert-window';
import { BufferedFeed } from './buffered-feed';
import { appendToFeedWindow, emptyFeedWindow, type FeedWindow } from './feed-window';
import { TopicStore, type TopicListener } from './topic-store';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface ConnectionStatus {
  state: ConnectionState;
  /** Reconnection attempts since the connection was lost; 0 while connected. */
  attempt: number;
}

/** Everything the console hears from the hub, one topic per kind of news. */
export interface LiveTopics {
  connection: ConnectionStatus;
  passages: FeedWindow<LivePassage>;
  deviceStatus: FeedWindow<DeviceStatusChange>;
  alerts: AlertWindow;
  /** Critical alerts raised since the console opened (the alarm sound follows it). */
  criticalRaised: number;
  /** Whether the alerts are caught up after the latest (re)connect. */
  alertSync: 'idle' | 'syncing' | 'synced' | 'failed';
}

export interface LiveStoreOptions {
  /** Passages kept for the live list. */
  passageWindow: number;
  /** Device status changes kept. */
  deviceStatusWindow: number;
  /** Alerts held for the wall. */
  alertWindow: number;
  flushIntervalMs: number;
}

export const DEFAULT_LIVE_STORE_OPTIONS: LiveStoreOptions = {
  passageWindow: 500,
  deviceStatusWindow: 200,
  alertWindow: 3_000,
  flushIntervalMs: 200,
};

/** The live state of the console: what the socket writes in and what components subscribe to. */
export class LiveStore {
  private readonly topics = new TopicStore<LiveTopics>({
    connection: { state: 'connecting', attempt: 0 },
    passages: emptyFeedWindow(),
    deviceStatus: emptyFeedWindow(),
    alerts: emptyAlertWindow(),
    criticalRaised: 0,
    alertSync: 'idle',
  });
  private readonly passageFeed: BufferedFeed<LivePassage>;
  private readonly deviceStatusFeed: BufferedFeed<DeviceStatusChange>;
  private readonly alertFeed: BufferedFeed<AlertChange>;
  private readonly alertWindow: number;

  constructor(options: LiveStoreOptions = DEFAULT_LIVE_STORE_OPTIONS) {
    const { flushIntervalMs, passageWindow, deviceStatusWindow, alertWindow } = options;
    this.alertWindow = alertWindow;
    this.alertFeed = new BufferedFeed({
      flushIntervalMs,
      // Changes beyond this in one interval are dropped here; the catch-up after a reconnect has them all.
      maxPending: alertWindow * 4,
      onFlush: (changes) => {
        this.topics.update('alerts', (window) =>
          applyAlerts(
            window,
            changes.map((change) => change.alert),
            alertWindow,
          ),
        );
        const critical = changes.filter((c) => c.kind === 'raised' && c.alert.severity === 'critical').length;
        if (critical > 0) this.topics.update('criticalRaised', (count) => count + critical);
      },
    });
    this.passageFeed = new BufferedFeed({
      flushIntervalMs,
      maxPending: passageWindow,
      onFlush: (arrivals, arrivedCount) =>
        this.topics.update('passages', (window) => appendToFeedWindow(window, arrivals, passageWindow, arrivedCount)),
    });
    this.deviceStatusFeed = new BufferedFeed({
      flushIntervalMs,
      maxPending: deviceStatusWindow,
      onFlush: (arrivals, arrivedCount) =>
        this.topics.update('deviceStatus', (window) =>
          appendToFeedWindow(window, arrivals, deviceStatusWindow, arrivedCount),
        ),
    });
  }

  get<Topic extends keyof LiveTopics>(topic: Topic): LiveTopics[Topic] {
    return this.topics.get(topic);
  }

  subscribe(topic: keyof LiveTopics, listener: TopicListener): () => void {
    return this.topics.subscribe(topic, listener);
  }

  receivePassage(passage: LivePassage): void {
    this.passageFeed.push(passage);
  }

  receiveDeviceStatus(change: DeviceStatusChange): void {
    this.deviceStatusFeed.push(change);
  }

  /** A pushed change; applied with the others that arrive within the flush interval. */
  receiveAlertChange(change: AlertChange): void {
    this.alertFeed.push(change);
  }

  /** Alerts from a list or a catch-up, applied at once; `upToSeq` is how far the catch-up reached. */
  receiveAlerts(records: readonly AlertRecord[], upToSeq = 0): void {
    this.topics.update('alerts', (window) => applyAlerts(window, records, this.alertWindow, upToSeq));
  }

  setAlertSync(state: LiveTopics['alertSync']): void {
    this.topics.set('alertSync', state);
  }

  setConnection(status: ConnectionStatus): void {
    const current = this.topics.get('connection');
    if (current.state === status.state && current.attempt === status.attempt) return;
    this.topics.set('connection', status);
  }

  dispose(): void {
    this.passageFeed.dispose();
    this.deviceStatusFeed.dispose();
    this.alertFeed.dispose();
  }
}
