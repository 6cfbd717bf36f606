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
  private readonly alertWindow: number;
  private readonly flushIntervalMs: number;
  /**
   * Alert changes since the last flush, coalesced by alert (the highest seq wins): a storm of repeats costs one
   * entry per alert, and unlike passages no alert is ever dropped on the way to the wall.
   */
  private pendingAlerts = new Map<string, AlertRecord>();
  private pendingCritical = 0;
  private alertTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: LiveStoreOptions = DEFAULT_LIVE_STORE_OPTIONS) {
    const { flushIntervalMs, passageWindow, deviceStatusWindow, alertWindow } = options;
    this.alertWindow = alertWindow;
    this.flushIntervalMs = flushIntervalMs;
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
    const held = this.pendingAlerts.get(change.alert.id);
    if (!held || held.seq < change.alert.seq) this.pendingAlerts.set(change.alert.id, change.alert);
    if (change.kind === 'raised' && change.alert.severity === 'critical') this.pendingCritical += 1;
    this.alertTimer ??= setTimeout(() => this.flushAlerts(), this.flushIntervalMs);
  }

  /** Hands the pending alert changes to the wall at once. */
  flushAlerts(): void {
    clearTimeout(this.alertTimer);
    this.alertTimer = undefined;
    if (this.pendingAlerts.size > 0) {
      const records = [...this.pendingAlerts.values()];
      this.pendingAlerts = new Map();
      this.topics.update('alerts', (window) => applyAlerts(window, records, this.alertWindow));
    }
    if (this.pendingCritical > 0) {
      const critical = this.pendingCritical;
      this.pendingCritical = 0;
      this.topics.update('criticalRaised', (count) => count + critical);
    }
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
    clearTimeout(this.alertTimer);
    this.pendingAlerts.clear();
  }
}
