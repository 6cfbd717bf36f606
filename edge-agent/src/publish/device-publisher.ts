import type { TopicScheme } from '@citywatch/protocol';
import type { SpoolEntry } from '../spool/spool-types';
import { silentLogger, type Logger } from '../util/logger';
import { TokenBucket } from '../util/token-bucket';

/** What the publisher needs from the spool. */
export interface SpoolQueue {
  readAfter(deviceId: string, afterSeq: number, limit: number): SpoolEntry[];
  remove(seqs: Iterable<number>): void;
  lastSeq(deviceId: string): number;
}

/** A QoS 1 publish whose callback fires when the broker acknowledged it (PUBACK) or it failed. */
export interface PublishChannel {
  publishEvent(topic: string, payload: Buffer, done: (error?: Error) => void): void;
}

export interface DevicePublisherOptions {
  deviceId: string;
  topics: TopicScheme;
  spool: SpoolQueue;
  channel: PublishChannel;
  /** Events handed to the MQTT client and not yet acknowledged, at most (default 64). */
  window?: number;
  /** Pace of the backlog after an outage or a restart, events/s; 0 means as fast as acks allow. */
  backlogRatePerS?: number;
  /** Wait before re-reading the spool after a failed publish (default 1000 ms). */
  retryDelayMs?: number;
  logger?: Logger;
}

export interface DevicePublisherStats {
  published: number;
  acknowledged: number;
  failed: number;
  inFlight: number;
  /** True while events spooled before the last (re)connection are still being sent. */
  sendingBacklog: boolean;
}

/**
 * Sends one device's spooled events in spool order and removes each one only after the broker
 * acknowledged it. Events spooled before the last (re)connection are the backlog and go out at
 * `backlogRatePerS`; live events follow them without pacing. After a failed publish it starts
 * again from the oldest unacknowledged event: the hub's idempotency by eventId absorbs the repeats.
 */
export class DevicePublisher {
  private readonly window: number;
  private readonly retryDelayMs: number;
  private readonly logger: Logger;
  private readonly backlogPace: TokenBucket;
  private cursor = 0;
  private page: SpoolEntry[] = [];
  private readonly inFlight = new Set<number>();
  private generation = 0;
  private backlogMark = 0;
  private wakeTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly counters = { published: 0, acknowledged: 0, failed: 0 };

  constructor(private readonly options: DevicePublisherOptions) {
    this.window = options.window ?? 64;
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.logger = options.logger ?? silentLogger;
    this.backlogPace = new TokenBucket(options.backlogRatePerS ?? 0);
  }

  get deviceId(): string {
    return this.options.deviceId;
  }

  /** Starts sending; everything already in the spool counts as backlog. */
  start(): void {
    this.running = true;
    this.markBacklog();
    this.pump();
  }

  stop(): void {
    this.running = false;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  /** Called after the connection came back: what is waiting now is backlog, paced. */
  markBacklog(): void {
    this.backlogMark = this.options.spool.lastSeq(this.options.deviceId);
  }

  /** The link is down on purpose (a severed connection): hold everything in the spool. */
  pause(): void {
    this.running = false;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  /** The MQTT session was replaced: resend everything not yet acknowledged, now. */
  resendUnacknowledged(): void {
    this.running = true;
    const oldest = this.inFlight.size > 0 ? Math.min(...this.inFlight) : this.cursor + 1;
    this.generation += 1;
    this.inFlight.clear();
    this.page = [];
    this.cursor = oldest - 1;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.pump();
  }

  setBacklogRate(ratePerS: number): void {
    this.backlogPace.setRate(ratePerS);
  }

  /** New events were committed to the spool. */
  notify(): void {
    if (this.running && !this.wakeTimer) this.pump();
  }

  stats(): DevicePublisherStats {
    return { ...this.counters, inFlight: this.inFlight.size, sendingBacklog: this.cursor < this.backlogMark };
  }

  private pump(): void {
    while (this.running && this.inFlight.size < this.window) {
      if (this.page.length === 0) {
        // Nothing of this device was committed after the cursor: no query (each ack and each accepted
        // event comes here, and an empty read of the spool costs as much as a full one).
        if (this.options.spool.lastSeq(this.options.deviceId) <= this.cursor) return;
        this.page = this.options.spool.readAfter(this.options.deviceId, this.cursor, Math.max(this.window * 4, 256));
        if (this.page.length === 0) return;
      }
      const entry = this.page[0];
      if (entry.seq <= this.backlogMark) {
        const delay = this.backlogPace.takeDelayMs();
        if (delay > 0) {
          this.wakeAfter(delay);
          return;
        }
      }
      this.page.shift();
      this.cursor = entry.seq;
      this.send(entry);
    }
  }

  private send(entry: SpoolEntry): void {
    const generation = this.generation;
    this.inFlight.add(entry.seq);
    this.counters.published += 1;
    const topic = this.options.topics.event(entry.deviceId, entry.kind);
    this.options.channel.publishEvent(topic, entry.payload, (error) => {
      if (!error) {
        this.counters.acknowledged += 1;
        this.options.spool.remove([entry.seq]);
        if (generation === this.generation) {
          this.inFlight.delete(entry.seq);
          this.pump();
        }
        return;
      }
      this.counters.failed += 1;
      if (generation !== this.generation) return;
      this.logger.warn('publish failed, resending from the oldest unacknowledged event', {
        deviceId: entry.deviceId,
        eventId: entry.eventId,
        error,
      });
      this.restartFrom(entry.seq);
    });
  }

  /** Forgets what is in flight and re-reads the spool from `seq` after the retry delay. */
  private restartFrom(seq: number): void {
    if (this.inFlight.size > 0) seq = Math.min(seq, ...this.inFlight);
    this.generation += 1;
    this.inFlight.clear();
    this.page = [];
    this.cursor = seq - 1;
    this.wakeAfter(this.retryDelayMs);
  }

  private wakeAfter(delayMs: number): void {
    if (this.wakeTimer || !this.running) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.pump();
    }, delayMs);
  }
}
