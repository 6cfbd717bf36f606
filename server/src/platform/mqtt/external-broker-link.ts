import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../logging/logger';
import type { BrokerLink, DrainOutcome, InboundHandler, PublishOptions, ReplicaSessions } from './broker-link';
import { DeferredPubacks } from './deferred-pubacks';
import { waitUntilDrained } from './session-drain';

export interface ExternalBrokerOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  /** Filters to subscribe; each is prefixed with `$share/{group}/` when a group is set. */
  filters: string[];
  shareGroup?: string;
  /** Keepalive, seconds (default 30). */
  keepaliveS?: number;
}

/** A drained session is one that has been quiet this long with every acknowledgement sent. */
const QUIET_MS = 1_000;

/** Counts what one connection takes in, for the drain that watches it. */
class Intake {
  messages = 0;
  lastMessageAt = Date.now();
  /** Messages received and waiting for a place in the hub's queue (MQTT.js reads nothing meanwhile). */
  unread = 0;
  closed?: string;

  constructor(readonly acks: DeferredPubacks) {}

  probe() {
    return {
      lastMessageAt: () => this.lastMessageAt,
      pending: () => this.acks.pending,
      closedBecause: () => this.closed,
    };
  }
}

/**
 * A client of an external broker (Mosquitto, EMQX) with a persistent session, so the broker keeps
 * messages while the hub is away, and a shared subscription so replicas split the stream.
 * QoS 1 messages are acknowledged only after they are committed.
 */
export class ExternalBrokerLink implements BrokerLink {
  readonly embedded = false;
  readonly replicaSessions?: ReplicaSessions;
  private client?: MqttClient;
  private handler?: InboundHandler;
  private intake = new Intake(new DeferredPubacks());
  private leaving = false;
  /** Connections holding other replicas' sessions while they are drained. */
  private readonly takeovers = new Set<MqttClient>();

  constructor(
    private readonly options: ExternalBrokerOptions,
    private readonly logger: Logger,
  ) {
    const group = options.shareGroup;
    if (group) {
      this.replicaSessions = {
        shareGroup: group,
        clientId: options.clientId,
        adopt: (clientId, timeoutMs) => this.adopt(clientId, timeoutMs),
        leaveGroup: (timeoutMs) => this.leaveGroup(timeoutMs),
      };
    }
  }

  get deviceUrl(): string {
    return this.options.url;
  }

  private get keepaliveS(): number {
    return this.options.keepaliveS ?? 30;
  }

  private clientOptions(clientId: string): IClientOptions {
    return {
      clientId,
      clean: false,
      protocolVersion: 4,
      username: this.options.username,
      password: this.options.password,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      keepalive: this.keepaliveS,
      resubscribe: true,
      manualConnect: true,
      // MQTT.js traces every packet through `debug` (several calls a message, about 2 % of the hub's time
      // under load); the hub logs what matters itself.
      log: () => undefined,
    };
  }

  /** Hands every message to the hub's handler and holds its acknowledgement until it is committed. */
  private accept(client: MqttClient, intake: Intake): void {
    const handler = this.handler;
    if (!handler) throw new Error('MQTT link is not started');
    intake.acks.install(client);
    this.keepAliveUnderLoad(client, intake);
    client.handleMessage = (packet, done) => {
      intake.messages += 1;
      intake.lastMessageAt = Date.now();
      intake.unread += 1;
      const token = packet.qos > 0 && packet.messageId !== undefined ? intake.acks.hold(packet.messageId) : undefined;
      const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
      const ticket = handler(packet.topic, payload);
      ticket.committed.then(
        () => token && intake.acks.release(token),
        (error: Error) =>
          this.logger.error({ err: error, topic: packet.topic }, 'message not committed; left unacknowledged'),
      );
      // Read the next message once this one has a place in the queue: back-pressure to the broker.
      const next = () => {
        intake.unread -= 1;
        done();
      };
      ticket.admitted.then(next, next);
    };
  }

  /**
   * MQTT.js counts only acknowledgements and ping answers it reads as signs of life, and a full queue
   * stops the hub reading (back-pressure): a ping's answer then waits behind unread messages and MQTT.js
   * would drop a healthy connection after 1.5 keepalives, making the broker send everything unacknowledged
   * again. So messages read count as signs of life, and while reading waits on the queue the hub pings
   * the broker itself (so the broker keeps the connection) without expecting the answer in time.
   */
  private keepAliveUnderLoad(client: MqttClient, intake: Intake): void {
    let lastSign = 0;
    client.on('packetreceive', (packet) => {
      if (packet.cmd !== 'publish') return;
      const now = Date.now();
      if (now - lastSign < 1_000) return;
      lastSign = now;
      client.reschedulePing();
    });
    const timer = setInterval(
      () => {
        if (intake.unread === 0 || !client.connected) return;
        client.reschedulePing(true);
        client.sendPing();
      },
      (this.keepaliveS * 1000) / 2,
    );
    timer.unref();
    client.once('end', () => clearInterval(timer));
  }

  async start(handler: InboundHandler): Promise<void> {
    this.handler = handler;
    const client = connect(this.options.url, this.clientOptions(this.options.clientId));
    this.accept(client, this.intake);
    client.on('connect', (connack) => {
      this.logger.info({ url: this.options.url, sessionPresent: connack.sessionPresent }, 'connected to MQTT broker');
      // Subscribing again on a present session is harmless and picks up changed filters.
      if (!this.leaving) this.subscribe(client);
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

  /** The filters as subscribed: inside the shared group when there is one. */
  private get subscribedFilters(): string[] {
    const group = this.options.shareGroup;
    return this.options.filters.map((filter) => (group ? `$share/${group}/${filter}` : filter));
  }

  private subscribe(client: MqttClient): void {
    const filters = this.subscribedFilters;
    // Subscribe on every connect, even when the broker says the session is present: Mosquitto 2.0 does
    // not restore shared subscriptions from its persistence file, and MQTT.js would skip filters it
    // believes are still subscribed unless told `resubscribe`.
    const request = Object.fromEntries(filters.map((filter) => [filter, { qos: 1 as const }]));
    client.subscribe({ ...request, resubscribe: true } as unknown as Record<string, { qos: 1 }>, (error) => {
      if (error) this.logger.error({ err: error, filters }, 'subscription refused');
      else this.logger.info({ filters }, 'subscribed');
    });
  }

  private async leaveGroup(timeoutMs: number): Promise<DrainOutcome> {
    const client = this.client;
    if (!client?.connected) return { drained: false, messages: 0, reason: 'not connected' };
    this.leaving = true;
    const before = this.intake.messages;
    try {
      await client.unsubscribeAsync(this.subscribedFilters);
    } catch (error) {
      return { drained: false, messages: 0, reason: `unsubscribe failed: ${(error as Error).message}` };
    }
    const outcome = await waitUntilDrained(this.intake.probe(), { quietMs: QUIET_MS, timeoutMs });
    return { ...outcome, messages: this.intake.messages - before };
  }

  /**
   * Connects with another replica's client id. The broker hands this connection that replica's session:
   * first what it queued (and what was in flight, again), then nothing more once the group subscription
   * is gone. If the replica comes back, the broker closes this connection in its favour; what was not yet
   * acknowledged here is redelivered to it, and idempotent storage absorbs the repeats.
   */
  private async adopt(clientId: string, timeoutMs: number): Promise<DrainOutcome> {
    const intake = new Intake(new DeferredPubacks());
    const client = connect(this.options.url, { ...this.clientOptions(clientId), reconnectPeriod: 0 });
    this.takeovers.add(client);
    this.accept(client, intake);
    client.on('error', (error) => this.logger.warn({ err: error, clientId }, 'MQTT client error (adopted session)'));
    client.on('close', () => (intake.closed ??= 'the connection closed (the replica came back?)'));
    try {
      const connack = await new Promise<{ sessionPresent: boolean }>((resolve, reject) => {
        client.once('connect', resolve);
        client.once('close', () => reject(new Error(intake.closed)));
        client.connect();
      });
      if (connack.sessionPresent) await client.unsubscribeAsync(this.subscribedFilters);
      const outcome = connack.sessionPresent
        ? await waitUntilDrained(intake.probe(), { quietMs: QUIET_MS, timeoutMs })
        : { drained: true };
      return { ...outcome, messages: intake.messages };
    } catch (error) {
      return { drained: false, messages: intake.messages, reason: (error as Error).message };
    } finally {
      this.takeovers.delete(client);
      if (intake.closed) client.end(true);
      else await client.endAsync().catch(() => undefined);
    }
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
    // A takeover cut short leaves the rest of that session to the next claim.
    for (const takeover of this.takeovers) takeover.end(true);
    await this.client?.endAsync();
  }
}
