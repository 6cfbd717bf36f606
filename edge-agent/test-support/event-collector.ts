import mqtt, { type MqttClient } from 'mqtt';
import { decodeMessage, type TopicScheme } from '@citywatch/protocol';

export interface CollectedEvent {
  deviceId: string;
  kind: string;
  eventId: string;
  /** Order of first arrival. */
  payload: Record<string, unknown>;
}

/**
 * Stands in for the hub: a persistent QoS 1 subscriber that decodes every event with the protocol and
 * keeps the first arrival of each eventId (the hub's idempotency), counting the repeats.
 */
export class EventCollector {
  readonly events: CollectedEvent[] = [];
  readonly seen = new Set<string>();
  duplicates = 0;
  invalid = 0;
  readonly other: { topic: string; payload: Buffer }[] = [];
  private client: MqttClient | undefined;

  constructor(
    private readonly url: string,
    private readonly topics: TopicScheme,
    private readonly clientId = `collector-${Math.random().toString(16).slice(2)}`,
  ) {}

  async start(): Promise<void> {
    this.client = await mqtt.connectAsync(this.url, { clientId: this.clientId, clean: false, reconnectPeriod: 300 });
    this.client.on('message', (topic, payload) => this.receive(topic, payload));
    await this.client.subscribeAsync(
      this.topics
        .hubSubscriptions()
        .map((topic) => ({ topic, qos: 1 as const }))
        .reduce((all, { topic, qos }) => ({ ...all, [topic]: { qos } }), {} as Record<string, { qos: 0 | 1 }>),
    );
  }

  async stop(): Promise<void> {
    await this.client?.endAsync(true);
  }

  byDevice(deviceId: string): CollectedEvent[] {
    return this.events.filter((event) => event.deviceId === deviceId);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (have ${this.events.length} events)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private receive(topic: string, payload: Buffer): void {
    const parsed = this.topics.parse(topic);
    if (parsed.channel !== 'event') {
      this.other.push({ topic, payload });
      return;
    }
    const decoded = decodeMessage(parsed.kind, payload, { topicDeviceId: parsed.deviceId });
    if (!decoded.ok) {
      this.invalid += 1;
      return;
    }
    const value = decoded.value as unknown as Record<string, unknown> & { eventId: string };
    if (this.seen.has(value.eventId)) {
      this.duplicates += 1;
      return;
    }
    this.seen.add(value.eventId);
    this.events.push({ deviceId: parsed.deviceId, kind: parsed.kind, eventId: value.eventId, payload: value });
  }
}
