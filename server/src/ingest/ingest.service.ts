import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import {
  TopicError,
  TopicScheme,
  decodeMessage,
  messageKindOf,
  type CommandReplyPayload,
  type FaceEventPayload,
  type IncidentEventPayload,
  type MessageKind,
  type PassageEventPayload,
  type ParsedTopic,
} from '@citywatch/protocol';
import { CommandsService } from '../commands/commands.service';
import { HubEvents } from '../common/hub-events';
import { StoredEventProcessors, type StoredEventKinds } from '../common/stored-event-processors';
import { DevicesService } from '../devices/devices.service';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { isConnectionError } from '../platform/database/database';
import { HubMetrics } from '../platform/metrics/metrics';
import type { IngestTicket } from '../platform/mqtt/broker-link';
import { DeadLetterRepository, type DeadLetter, type DeadLetterReason } from './dead-letter.repository';
import { EventRepository } from './event.repository';
import { livePassage, splitStored, storedFace, storedIncident } from './stored-views';
import { WriteBatcher, retryDelayMs } from './write-batcher';

const EXCERPT_BYTES = 2_048;
const DONE: IngestTicket = { admitted: Promise.resolve(), committed: Promise.resolve() };

/** A device message the hub can act on, or the reason it cannot. */
export type Classified =
  { ok: true; topic: ParsedTopic; kind: MessageKind; value: unknown } | { ok: false; letter: DeadLetter };

/**
 * The hub's spine: every message a device publishes comes through `ingest`. It is validated with the
 * protocol package, routed to a bounded write queue, and its ticket resolves when it is committed:
 * stored (once, whatever the redeliveries) or kept as a dead letter with the reason. Nothing here
 * throws on bad input.
 */
@Injectable()
export class IngestService implements OnModuleDestroy {
  readonly topics: TopicScheme;
  private readonly passages: WriteBatcher<PassageEventPayload>;
  private readonly faces: WriteBatcher<FaceEventPayload>;
  private readonly incidents: WriteBatcher<IncidentEventPayload>;
  private readonly deadLetters: WriteBatcher<DeadLetter>;
  private readonly maxPastMs: number;
  private closing = false;

  constructor(
    private readonly events: EventRepository,
    private readonly deadLetterRepository: DeadLetterRepository,
    private readonly devices: DevicesService,
    private readonly hubEvents: HubEvents,
    private readonly processors: StoredEventProcessors,
    private readonly metrics: HubMetrics,
    private readonly commands: CommandsService,
    @Inject(HUB_CONFIG) config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.topics = new TopicScheme(config.TOPIC_ROOT);
    this.maxPastMs = config.EVENT_MAX_AGE_DAYS * 86_400_000;
    const batching = {
      maxBatch: config.INGEST_BATCH_SIZE,
      flushMs: config.INGEST_FLUSH_MS,
      queueLimit: config.INGEST_QUEUE_LIMIT,
      concurrency: config.INGEST_WRITERS,
    };
    this.passages = this.eventQueue('passage', batching, async (items) => {
      const stored = await this.events.insertPassages(items);
      const { fresh, again } = splitStored(items, stored, livePassage);
      for (const passage of fresh) this.hubEvents.emit('passage.stored', passage);
      return { stored: stored.count, after: this.process('passage', fresh, again) };
    });
    this.faces = this.eventQueue('face', batching, async (items) => {
      const stored = await this.events.insertFaceCaptures(items);
      // Repeats are left out: the worker finds a capture by its own claim, not by this wake-up.
      for (const face of splitStored(items, stored, storedFace).fresh) this.hubEvents.emit('face.stored', face);
      return { stored: stored.count };
    });
    this.incidents = this.eventQueue('incident', batching, async (items) => {
      const stored = await this.events.insertIncidents(items);
      const { fresh, again } = splitStored(items, stored, storedIncident);
      return { stored: stored.count, after: this.process('incident', fresh, again) };
    });
    this.deadLetters = new WriteBatcher<DeadLetter>({
      name: 'dead_letters',
      ...batching,
      write: (letters) => this.deadLetterRepository.insert(letters),
      reject: async (letter, error) =>
        this.logger.error(
          { err: error, topic: letter.topic, reason: letter.reason },
          'dead letter refused by the database',
        ),
      onRetry: () => this.metrics.writeRetries.inc({ queue: 'dead_letters' }),
      onCommitted: (count, millis) => this.metrics.batchSeconds.observe({ queue: 'dead_letters' }, millis / 1000),
    });
  }

  /** Hands one device message to the pipeline. */
  ingest(topic: string, payload: Buffer): IngestTicket {
    // An empty retained status is how a broker's retained message is cleared (decommissioning a device).
    if (payload.byteLength === 0 && topic.endsWith('/status')) return DONE;
    const receivedAt = new Date();
    const classified = this.classify(topic, payload, receivedAt.getTime());
    if (!classified.ok) return this.deadLetter(classified.letter);
    // Registration is checked against the cache first; only a miss asks the database.
    const deviceId = classified.topic.deviceId;
    if (this.devices.isKnownNow(deviceId)) return this.route(classified, topic, payload, receivedAt);
    return this.deferUntil(this.devices.isKnown(deviceId), (known) => {
      if (!known) {
        return this.deadLetter(
          letter(topic, deviceId, 'unknown_device', `device ${deviceId} is not registered`, [], payload),
        );
      }
      return this.route(classified, topic, payload, receivedAt);
    });
  }

  /** Parses the topic and decodes the payload; pure, so it is unit-tested without a database. */
  classify(topic: string, payload: Buffer, now: number): Classified {
    let parsed: ParsedTopic;
    try {
      parsed = this.topics.parse(topic);
    } catch (error) {
      const message = error instanceof TopicError ? error.message : String(error);
      return { ok: false, letter: letter(topic, deviceIdIn(topic), 'unknown_topic', message, [], payload) };
    }
    if (parsed.channel === 'command') {
      return {
        ok: false,
        letter: letter(topic, parsed.deviceId, 'not_allowed', 'devices may not publish commands', [], payload),
      };
    }
    const kind = messageKindOf(parsed);
    this.metrics.messagesReceived.inc({ kind });
    const decoded = decodeMessage(kind, payload, { topicDeviceId: parsed.deviceId, now, maxPastMs: this.maxPastMs });
    if (!decoded.ok) {
      return {
        ok: false,
        letter: letter(topic, parsed.deviceId, decoded.reason, decoded.message, decoded.errors, payload),
      };
    }
    return { ok: true, topic: parsed, kind, value: decoded.value };
  }

  private route(message: Classified & { ok: true }, topic: string, payload: Buffer, receivedAt: Date): IngestTicket {
    const { kind, value } = message;
    switch (kind) {
      case 'passage':
        return this.passages.push(value as PassageEventPayload);
      case 'face':
        return this.faces.push(value as FaceEventPayload);
      case 'incident':
        return this.incidents.push(value as IncidentEventPayload);
      case 'heartbeat':
        return this.devices.recordHeartbeat(value as never, receivedAt.toISOString());
      case 'status': {
        const committed = this.devices.applyStatus(value as never, receivedAt.toISOString());
        return { admitted: committed, committed };
      }
      case 'command-reply':
        // A reply the commands module could not record is kept as a dead letter, as the device sent it.
        return this.deferUntil(this.commands.acceptReply(value as CommandReplyPayload, receivedAt), (unrecorded) =>
          unrecorded
            ? this.deadLetter(
                letter(
                  topic,
                  message.topic.deviceId,
                  unrecorded.reason,
                  unrecorded.message,
                  unrecorded.errors,
                  payload,
                ),
              )
            : DONE,
        );
      case 'command':
        // Never reached: classify dead-letters commands published by devices.
        return DONE;
    }
  }

  private deadLetter(entry: DeadLetter): IngestTicket {
    this.metrics.deadLetters.inc({ reason: entry.reason });
    this.logger.debug({ topic: entry.topic, deviceId: entry.deviceId, reason: entry.reason }, entry.message);
    return this.deadLetters.push(entry);
  }

  private deferUntil<T>(pending: Promise<T>, next: (value: T) => IngestTicket): IngestTicket {
    const ticket = pending.then(next);
    return {
      admitted: ticket.then((inner) => inner.admitted),
      committed: ticket.then((inner) => inner.committed),
    };
  }

  private eventQueue<T extends { eventId: string; deviceId: string }>(
    kind: 'passage' | 'face' | 'incident',
    batching: { maxBatch: number; flushMs: number; queueLimit: number; concurrency: number },
    write: (items: T[]) => Promise<{ stored: number; after?: Promise<void> }>,
  ): WriteBatcher<T> {
    return new WriteBatcher<T>({
      name: `${kind}s`,
      ...batching,
      write: async (items) => {
        const { stored, after } = await write(items);
        this.metrics.eventsStored.inc({ kind }, stored);
        if (stored < items.length) this.metrics.eventsDuplicate.inc({ kind }, items.length - stored);
        return after && { after };
      },
      reject: async (item, error) => {
        await this.deadLetterRepository.insert([
          letter(
            this.topics.event(item.deviceId, kind),
            item.deviceId,
            'storage_refused',
            `the database refused the ${kind}: ${(error as Error).message}`,
            [],
            Buffer.from(JSON.stringify(item)),
          ),
        ]);
        this.metrics.deadLetters.inc({ reason: 'storage_refused' });
      },
      onRetry: (error, attempt, delayMs) => {
        this.metrics.writeRetries.inc({ queue: `${kind}s` });
        if (attempt === 1 || attempt % 10 === 0) {
          this.logger.warn({ err: error, attempt, delayMs, queue: `${kind}s` }, 'database unreachable; retrying batch');
        }
      },
      onCommitted: (_count, millis) => this.metrics.batchSeconds.observe({ queue: `${kind}s` }, millis / 1000),
    });
  }

  /**
   * Derives what must be derived from a committed batch (alerts) before its messages are acknowledged;
   * the writer goes on with the next batch meanwhile. Events that were already stored go through again as
   * replayed: their first processing may have died with a hub. While the database is away it is tried
   * again (as replayed: part of it may have been done); other errors are logged, since the events are stored.
   */
  private async process<K extends keyof StoredEventKinds>(
    kind: K,
    fresh: StoredEventKinds[K][],
    again: StoredEventKinds[K][],
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await Promise.all([
          this.processors.process(kind, { items: fresh, replayed: attempt > 1 }),
          this.processors.process(kind, { items: again, replayed: true }),
        ]);
        return;
      } catch (error) {
        if (!isConnectionError(error) || this.closing) {
          this.logger.error({ err: error, kind }, 'processing of stored events failed; the events are stored');
          return;
        }
        const delayMs = retryDelayMs(attempt);
        if (attempt === 1 || attempt % 10 === 0) {
          this.logger.warn({ err: error, kind, attempt, delayMs }, 'database unreachable; processing again');
        }
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  queueDepths(): Record<string, number> {
    return {
      passages: this.passages.depth,
      faces: this.faces.depth,
      incidents: this.incidents.depth,
      dead_letters: this.deadLetters.depth,
      heartbeats: this.devices.heartbeatQueueDepth,
    };
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    await Promise.all([this.passages.close(), this.faces.close(), this.incidents.close()]);
    await this.deadLetters.close();
  }
}

function letter(
  topic: string,
  deviceId: string | null,
  reason: DeadLetterReason,
  message: string,
  errors: string[],
  payload: Buffer,
): DeadLetter {
  return {
    topic: topic.slice(0, 512),
    deviceId,
    reason,
    message: message.slice(0, 1_000),
    errors,
    payloadBytes: payload.byteLength,
    // Postgres text holds no NUL characters; the excerpt is for reading, not replaying.
    payloadExcerpt: payload.subarray(0, EXCERPT_BYTES).toString('utf8').replaceAll('\u0000', '\\u0000'),
  };
}

function deviceIdIn(topic: string): string | null {
  const match = /(?:^|\/)([0-9]{20})(?:\/|$)/.exec(topic);
  return match?.[1] ?? null;
}
