import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../logging/logger';
import type { BrokerLink, InboundHandler, PublishOptions } from './broker-link';
import { DeferredPubacks } from './deferred-pubacks';

export interface ExternalBrokerOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** Filters to subscribe; each is prefixed with `$share/{group}/` when a group is set. */
  filters: string[];
  shareGroup?: string;
}

/**
 * A client of an external broker (Mosquitto, EMQX) with a persistent session, so the broker keeps
 * messages while the hub is away, and a shared subscription so replicas split the stream.
 * QoS 1 messages are acknowledged only after they are committed.
 */
export class ExternalBrokerLink implements BrokerLink {
  readonly embedded = false;
  private client?: MqttClient;
  private readonly acks = new DeferredPubacks();

  constructor(
    private readonly options: ExternalBrokerOptions,
    private readonly logger: Logger,
  ) {}

  get deviceUrl(): string {
    return this.options.url;
  }

  async start(handler: InboundHandler): Promise<void> {
    const clientOptions: IClientOptions = {
      clientId: this.options.clientId,
      clean: false,
      protocolVersion: 4,
      username: this.options.username,
      password: this.options.password,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: 30,
      resubscribe: true,
    };
    const client = connect(this.options.url, { ...clientOptions, manualConnect: true });
    this.acks.install(client);
    client.handleMessage = (packet, done) => {
      const token = packet.qos > 0 && packet.messageId !== undefined ? this.acks.hold(packet.messageId) : undefined;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const ticket = handler(packet.topic, payload);
      ticket.committed.then(
        () => token && this.acks.release(token),
        (error: Error) =>
          this.logger.error({ err: error, topic: packet.topic }, 'message not committed; left unacknowledged'),
      );
      // Read the next message once this one has a place in the queue: back-pressure to the broker.
      ticket.admitted.then(
        () => done(),
        () => done(),
      );
    };
    client.on('connect', (connack) => {
      this.logger.info({ url: this.options.url, sessionPresent: connack.sessionPresent }, 'connected to MQTT broker');
      // Subscribing again on a present session is harmless and picks up changed filters.
      this.subscribe(client);
    });
    client.on('reconnect', () => this.logger.warn({ url: this.options.url }, 'reconnecting to MQTT broker'));
    client.on('error', (error) => this.logger.warn({ err: error }, 'MQTT client error'));
    client.on('offline', () => this.logger.warn('MQTT broker offline'));
    this.client = client;
    const connected = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no answer from the MQTT broker at ${this.options.url} in 15 s`)),
        15_000,
      );
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    client.connect();
    await connected;
  }

  private subscribe(client: MqttClient): void {
    const group = this.options.shareGroup;
    const filters = this.options.filters.map((filter) => (group ? `$share/${group}/${filter}` : filter));
    // Subscribe on every connect, even when the broker says the session is present: Mosquitto 2.0 does
    // not restore shared subscriptions from its persistence file, and MQTT.js would skip filters it
    // believes are still subscribed unless told `resubscribe`.
    const request = Object.fromEntries(filters.map((filter) => [filter, { qos: 1 as const }]));
    client.subscribe({ ...request, resubscribe: true } as unknown as Record<string, { qos: 1 }>, (error) => {
      if (error) this.logger.error({ err: error, filters }, 'subscription refused');
      else this.logger.info({ filters }, 'subscribed');
    });
  }

  async publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('MQTT client is not started');
    await client.publishAsync(topic, payload, { qos: options.qos, retain: options.retain });
  }

  isConnected(): boolean {
    return this.client?.connected === true;
  }

  async close(): Promise<void> {
    await this.client?.endAsync();
  }
}
