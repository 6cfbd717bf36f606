import type { DeviceStatusChange, LivePassage } from '@citywatch/protocol';
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
}

export interface LiveStoreOptions {
  /** Passages kept for the live list. */
  passageWindow: number;
  /** Device status changes kept. */
  deviceStatusWindow: number;
  flushIntervalMs: number;
}

export const DEFAULT_LIVE_STORE_OPTIONS: LiveStoreOptions = {
  passageWindow: 500,
  deviceStatusWindow: 200,
  flushIntervalMs: 200,
};

/** The live state of the console: what the socket writes in and what components subscribe to. */
export class LiveStore {
  private readonly topics = new TopicStore<LiveTopics>({
    connection: { state: 'connecting', attempt: 0 },
    passages: emptyFeedWindow(),
    deviceStatus: emptyFeedWindow(),
  });
  private readonly passageFeed: BufferedFeed<LivePassage>;
  private readonly deviceStatusFeed: BufferedFeed<DeviceStatusChange>;

  constructor(options: LiveStoreOptions = DEFAULT_LIVE_STORE_OPTIONS) {
    const { flushIntervalMs, passageWindow, deviceStatusWindow } = options;
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

  setConnection(status: ConnectionStatus): void {
    const current = this.topics.get('connection');
    if (current.state === status.state && current.attempt === status.attempt) return;
    this.topics.set('connection', status);
  }

  dispose(): void {
    this.passageFeed.dispose();
    this.deviceStatusFeed.dispose();
  }
}
