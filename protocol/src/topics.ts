import { isDeviceId } from './device-id';

/** The default topic root; a deployment (or a test run) may use another, ending in a version. */
export const DEFAULT_TOPIC_ROOT = 'city/v1';

export const EVENT_KINDS = ['passage', 'face', 'incident'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export type QoS = 0 | 1 | 2;

export type ParsedTopic =
  | { channel: 'status'; deviceId: string }
  | { channel: 'heartbeat'; deviceId: string }
  | { channel: 'event'; deviceId: string; kind: EventKind }
  | { channel: 'command'; deviceId: string; name: string }
  | { channel: 'command-reply'; deviceId: string; requestId: string };

export type TopicChannel = ParsedTopic['channel'];

/** Delivery policy of each channel: what the publisher must use. */
export const TOPIC_POLICY: Readonly<Record<TopicChannel, { qos: QoS; retain: boolean }>> = {
  status: { qos: 1, retain: true },
  heartbeat: { qos: 0, retain: false },
  event: { qos: 1, retain: false },
  command: { qos: 1, retain: false },
  'command-reply': { qos: 1, retain: false },
};

const NAME_SEGMENT = /^[a-z][a-z0-9_]{0,31}$/;
const REQUEST_ID_SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const ROOT_PATTERN = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\/v[0-9]+$/;

export class TopicError extends Error {
  constructor(
    message: string,
    readonly topic: string,
  ) {
    super(message);
    this.name = 'TopicError';
  }
}

/**
 * Builds and parses the device-scoped topics under one versioned root:
 *   {root}/{deviceId}/status | heartbeat | events/{kind} | cmd/{name} | cmd-reply/{requestId}
 */
export class TopicScheme {
  readonly root: string;
  private readonly rootSegments: number;

  constructor(root: string = DEFAULT_TOPIC_ROOT) {
    if (!ROOT_PATTERN.test(root)) {
      throw new TopicError(`topic root must be plain segments ending in a version like "city/v1", got "${root}"`, root);
    }
    this.root = root;
    this.rootSegments = root.split('/').length;
  }

  status(deviceId: string): string {
    return `${this.device(deviceId)}/status`;
  }

  heartbeat(deviceId: string): string {
    return `${this.device(deviceId)}/heartbeat`;
  }

  event(deviceId: string, kind: EventKind): string {
    return `${this.device(deviceId)}/events/${kind}`;
  }

  command(deviceId: string, name: string): string {
    if (!NAME_SEGMENT.test(name)) throw new TopicError(`bad command name "${name}"`, name);
    return `${this.device(deviceId)}/cmd/${name}`;
  }

  commandReply(deviceId: string, requestId: string): string {
    if (!REQUEST_ID_SEGMENT.test(requestId)) throw new TopicError(`bad request id "${requestId}"`, requestId);
    return `${this.device(deviceId)}/cmd-reply/${requestId}`;
  }

  /** Subscription filters the hub uses for everything devices send. */
  hubSubscriptions(): string[] {
    return [
      `${this.root}/+/status`,
      `${this.root}/+/heartbeat`,
      `${this.root}/+/events/+`,
      `${this.root}/+/cmd-reply/+`,
    ];
  }

  /** Subscription filter an agent uses for the commands addressed to one device. */
  deviceCommandSubscription(deviceId: string): string {
    return `${this.device(deviceId)}/cmd/+`;
  }

  /** The topic prefix a device may publish under (used by broker ACLs). */
  devicePrefix(deviceId: string): string {
    return this.device(deviceId);
  }

  parse(topic: string): ParsedTopic {
    const parts = topic.split('/');
    if (parts.slice(0, this.rootSegments).join('/') !== this.root) {
      throw new TopicError(`topic "${topic}" is not under the root "${this.root}"`, topic);
    }
    const [deviceId, channel, detail, ...extra] = parts.slice(this.rootSegments);
    if (!isDeviceId(deviceId)) {
      throw new TopicError(
        `topic "${topic}" has no valid 20-digit device id after the root (got "${deviceId ?? ''}")`,
        topic,
      );
    }
    const levels = channel === 'status' || channel === 'heartbeat' ? 2 : 3;
    if (extra.length > 0 || (levels === 2 && detail !== undefined)) {
      throw new TopicError(`topic "${topic}" has too many levels after the device id`, topic);
    }
    switch (channel) {
      case 'status':
      case 'heartbeat':
        return { channel, deviceId };
      case 'events':
        if (!(EVENT_KINDS as readonly string[]).includes(detail ?? '')) {
          throw new TopicError(
            `topic "${topic}" names an unknown event kind "${detail ?? ''}" (known: ${EVENT_KINDS.join(', ')})`,
            topic,
          );
        }
        return { channel: 'event', deviceId, kind: detail as EventKind };
      case 'cmd':
        if (detail === undefined || !NAME_SEGMENT.test(detail)) {
          throw new TopicError(`topic "${topic}" has a bad command name "${detail ?? ''}"`, topic);
        }
        return { channel: 'command', deviceId, name: detail };
      case 'cmd-reply':
        if (detail === undefined || !REQUEST_ID_SEGMENT.test(detail)) {
          throw new TopicError(`topic "${topic}" has a bad request id "${detail ?? ''}"`, topic);
        }
        return { channel: 'command-reply', deviceId, requestId: detail };
    }
    throw new TopicError(
      `topic "${topic}" has an unknown channel "${channel ?? ''}" (known: status, heartbeat, events/{kind}, cmd/{name}, cmd-reply/{requestId})`,
      topic,
    );
  }

  private device(deviceId: string): string {
    if (!isDeviceId(deviceId)) throw new TopicError(`device id must be 20 digits, got "${deviceId}"`, deviceId);
    return `${this.root}/${deviceId}`;
  }
}
