import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import {
  encodeMessage,
  PAYLOAD_VERSION,
  TOPIC_POLICY,
  type CommandReplyPayload,
  type DeviceKind,
  type DeviceStatusPayload,
  type HeartbeatPayload,
  type TopicScheme,
} from '@citywatch/protocol';
import type { PublishChannel } from '../publish/device-publisher';
import { silentLogger, type Logger } from '../util/logger';

export interface BrokerSettings {
  /** mqtt://host:port, or mqtts://host:port for TLS. */
  url: string;
  /** PEM files for TLS: the CA that signed the broker's certificate, and a client certificate if the broker asks. */
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Refuse a broker certificate that does not verify (default true). */
  rejectUnauthorized?: boolean;
  keepaliveS?: number;
  reconnectPeriodMs?: number;
  connectTimeoutMs?: number;
}

export interface DeviceIdentity {
  deviceId: string;
  kind: DeviceKind;
  /** Broker password; the username is the device id. */
  secret?: string;
}

export interface DeviceConnectionOptions {
  identity: DeviceIdentity;
  broker: BrokerSettings;
  topics: TopicScheme;
  heartbeatIntervalS: number;
  agentVersion: string;
  logger?: Logger;
}

export interface DeviceConnectionEvents {
  /** Connected; `first` is false after a reconnection. */
  online: [first: boolean];
  offline: [];
  /** A message arrived on one of this device's command topics. */
  command: [topic: string, payload: Buffer];
  /** The MQTT session was replaced; whatever was in flight is gone and must be resent from the spool. */
  'session-reset': [];
}

/**
 * One device's MQTT connection: its credentials, its retained status with a last will, its command
 * subscription, and QoS 1 publishing for the spool's publisher.
 */
export class DeviceConnection extends EventEmitter<DeviceConnectionEvents> implements PublishChannel {
  private client: MqttClient | undefined;
  private connectedOnce = false;
  private stopped = false;
  private readonly logger: Logger;

  constructor(private readonly options: DeviceConnectionOptions) {
    super();
    this.logger = (options.logger ?? silentLogger).child({ deviceId: options.identity.deviceId });
  }

  get deviceId(): string {
    return this.options.identity.deviceId;
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  setHeartbeatInterval(intervalS: number): void {
    this.options.heartbeatIntervalS = intervalS;
  }

  /** Opens the connection; does not wait for the broker (the agent keeps spooling while it is away). */
  start(): void {
    this.stopped = false;
    this.client = this.createClient();
  }

  /** Resolves at the next moment the connection is up. */
  waitOnline(timeoutMs = 10_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('online', onOnline);
        reject(new Error(`device ${this.deviceId} did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      const onOnline = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('online', onOnline);
    });
  }

  publishEvent(topic: string, payload: Buffer, done: (error?: Error) => void): void {
    const client = this.client;
    if (!client) {
      done(new Error('connection is not started'));
      return;
    }
    client.publish(topic, payload, { qos: TOPIC_POLICY.event.qos, retain: false }, (error) => done(error ?? undefined));
  }

  publishHeartbeat(heartbeat: Omit<HeartbeatPayload, 'v' | 'deviceId'>): void {
    if (!this.client?.connected) return;
    const payload = encodeMessage('heartbeat', { v: PAYLOAD_VERSION, deviceId: this.deviceId, ...heartbeat });
    const { qos, retain } = TOPIC_POLICY.heartbeat;
    this.client.publish(this.options.topics.heartbeat(this.deviceId), payload, { qos, retain });
  }

  publishReply(reply: Omit<CommandReplyPayload, 'v' | 'deviceId' | 'at'>): Promise<void> {
    const payload = encodeMessage('command-reply', {
      v: PAYLOAD_VERSION,
      deviceId: this.deviceId,
      at: new Date().toISOString(),
      ...reply,
    });
    const { qos, retain } = TOPIC_POLICY['command-reply'];
    const topic = this.options.topics.commandReply(this.deviceId, reply.requestId);
    return new Promise((resolve, reject) => {
      if (!this.client) return reject(new Error('connection is not started'));
      this.client.publish(topic, payload, { qos, retain }, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Says goodbye properly: retained status offline (reason shutdown), then DISCONNECT, so no last will. */
  async stop(): Promise<void> {
    this.stopped = true;
    const client = this.client;
    if (!client) return;
    if (client.connected) {
      await new Promise<void>((resolve) => {
        const { qos, retain } = TOPIC_POLICY.status;
        client.publish(
          this.options.topics.status(this.deviceId),
          this.statusPayload('offline', 'shutdown'),
          { qos, retain },
          () => resolve(),
        );
        setTimeout(resolve, 2000).unref();
      });
    }
    // Wait for the broker to acknowledge what is in flight (at most 2 s, not at all while it is away), then
    // end once: gracefully when nothing is left, cut otherwise (MQTT.js ignores a second end, so a cut after
    // a graceful end that is still waiting would leave the socket open). Nothing is lost: unacknowledged
    // events stay in the spool.
    const inFlight = () => Object.keys(client.outgoing).length > 0;
    if (client.connected && inFlight()) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          client.off('outgoingEmpty', done);
          resolve();
        };
        const timer = setTimeout(done, 2000);
        client.once('outgoingEmpty', done);
      });
    }
    await client.endAsync(!client.connected || inFlight()).catch(() => undefined);
    this.client = undefined;
  }

  /**
   * The link drops without a DISCONNECT (the broker publishes the last will) and stays down until
   * `restore`. Used by the simulator for outages and by the reboot command.
   */
  sever(): void {
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      client.end(true);
    }
    this.emit('offline');
  }

  /** Reconnects after `sever`, with a fresh session: in-flight events are resent from the spool. */
  restore(): void {
    if (this.client || this.stopped) return;
    this.client = this.createClient();
    this.emit('session-reset');
  }

  private createClient(): MqttClient {
    const { broker, identity, topics } = this.options;
    const { qos, retain } = TOPIC_POLICY.status;
    const clientOptions: IClientOptions = {
      clientId: identity.deviceId,
      username: identity.deviceId,
      password: identity.secret,
      clean: true,
      keepalive: broker.keepaliveS ?? 30,
      reconnectPeriod: broker.reconnectPeriodMs ?? 2000,
      connectTimeout: broker.connectTimeoutMs ?? 10_000,
      protocolVersion: 4,
      will: {
        topic: topics.status(identity.deviceId),
        payload: this.statusPayload('offline', 'last_will'),
        qos,
        retain,
      },
      rejectUnauthorized: broker.rejectUnauthorized ?? true,
      ca: broker.caFile ? readFileSync(broker.caFile) : undefined,
      cert: broker.certFile ? readFileSync(broker.certFile) : undefined,
      key: broker.keyFile ? readFileSync(broker.keyFile) : undefined,
    };
    const client = mqtt.connect(broker.url, clientOptions);
    client.on('connect', () => {
      const first = !this.connectedOnce;
      this.connectedOnce = true;
      client.publish(topics.status(identity.deviceId), this.statusPayload('online', first ? 'startup' : 'reconnect'), {
        qos,
        retain,
      });
      client.subscribe(
        topics.deviceCommandSubscription(identity.deviceId),
        { qos: TOPIC_POLICY.command.qos },
        (error) => {
          if (error) this.logger.error('command subscription failed', { error });
        },
      );
      this.logger.info('connected to the broker', { first });
      this.emit('online', first);
    });
    client.on('reconnect', () => {
      // The last will is sent as part of CONNECT: give it the time of this attempt, not the first one.
      if (client.options.will) client.options.will.payload = this.statusPayload('offline', 'last_will');
    });
    client.on('offline', () => {
      this.logger.warn('broker connection lost');
      this.emit('offline');
    });
    client.on('error', (error) => this.logger.warn('broker connection error', { error }));
    client.on('message', (topic, payload) => this.emit('command', topic, payload));
    return client;
  }

  private statusPayload(state: DeviceStatusPayload['state'], reason: DeviceStatusPayload['reason']): Buffer {
    return encodeMessage('status', {
      v: PAYLOAD_VERSION,
      deviceId: this.deviceId,
      state,
      at: new Date().toISOString(),
      reason,
      kind: this.options.identity.kind,
      agentVersion: this.options.agentVersion,
      heartbeatIntervalS: this.options.heartbeatIntervalS,
    });
  }
}
