import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import type { Logger } from '../logging/logger';
import type { BrokerLink, InboundHandler, PublishOptions } from './broker-link';

/** Hooks the embedded broker asks before letting a client in, publish or subscribe (device ACLs). */
export interface BrokerAccessPolicy {
  authenticate(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<boolean>;
  /** May this client publish on this topic? Return a reason to refuse. */
  refusePublish(client: { id: string; username?: string }, topic: string): string | undefined;
  /** May this client subscribe to this filter? Return a reason to refuse. */
  refuseSubscribe(client: { id: string; username?: string }, filter: string): string | undefined;
}

export const OPEN_ACCESS: BrokerAccessPolicy = {
  authenticate: async () => true,
  refusePublish: () => undefined,
  refuseSubscribe: () => undefined,
};

export class BrokerPortInUseError extends Error {
  constructor(host: string, port: number) {
    super(
      `the embedded MQTT broker cannot listen on ${host}:${port}: the port is in use (another broker, such as the machine's Mosquitto on 1883?). ` +
        `Set EMBEDDED_MQTT_PORT to a free port (0 picks one), or MQTT_URL to use that broker instead.`,
    );
    this.name = 'BrokerPortInUseError';
  }
}

/**
 * An aedes broker inside the hub. Device messages reach the hub through the broker's publish hook, so the
 * device's PUBACK is sent only after the hub has committed the message: nothing acknowledged is lost
 * even if the hub process dies, since the device keeps it in its spool until then.
 */
export class EmbeddedBrokerLink implements BrokerLink {
  readonly embedded = true;
  private server?: Server;
  private broker?: Aedes;
  private handler?: InboundHandler;
  private url = '';
  private readonly clientIdentity = new WeakMap<Client, string | undefined>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly logger: Logger,
    private readonly access: BrokerAccessPolicy = OPEN_ACCESS,
    private readonly onRefused: (kind: 'connect' | 'publish' | 'subscribe', reason: string) => void = () => undefined,
  ) {}

  get deviceUrl(): string {
    return this.url;
  }

  async start(handler: InboundHandler): Promise<void> {
    this.handler = handler;
    const broker = await Aedes.createBroker({
      id: 'citywatch-embedded',
      authenticate: (client, username, password, done) => {
        this.access.authenticate(client.id, username, password).then(
          (ok) => {
            if (ok) {
              this.clientIdentity.set(client, username);
              return done(null, true);
            }
            this.refused('connect', `bad credentials for client ${client.id}`);
            const error = new Error('bad username or password') as AuthenticateError;
            error.returnCode = 4;
            done(error, false);
          },
          (error: Error) => {
            this.logger.error({ err: error }, 'broker authentication failed');
            const failure = new Error('server unavailable') as AuthenticateError;
            failure.returnCode = 3;
            done(failure, false);
          },
        );
      },
      authorizePublish: (client, packet, callback) => this.authorizePublish(client, packet, callback),
      authorizeSubscribe: (client, subscription, callback) => {
        const reason = this.access.refuseSubscribe(this.identity(client), subscription.topic);
        if (reason) {
          this.refused('subscribe', reason);
          return callback(new Error(reason));
        }
        callback(null, subscription);
      },
    });
    broker.on('clientError', (client, error) =>
      this.logger.debug({ clientId: client.id, err: error }, 'mqtt client error'),
    );
    broker.on('connectionError', (client, error) =>
      this.logger.debug({ clientId: client?.id, err: error }, 'mqtt connection error'),
    );
    this.broker = broker;
    const server = createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new BrokerPortInUseError(this.host, this.port) : error),
      );
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    const host = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    this.url = `mqtt://${host}:${port}`;
    this.logger.info({ url: this.url }, 'embedded MQTT broker listening');
  }

  private authorizePublish(
    client: Client | null,
    packet: PublishPacket,
    callback: (error?: Error | null) => void,
  ): void {
    if (!client) return callback(null);
    const reason = this.access.refusePublish(this.identity(client), packet.topic);
    if (reason) {
      this.refused('publish', reason);
      return callback(new Error(reason));
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const ticket = this.handler!(packet.topic, payload);
    // The device's PUBACK (and its next message) waits for the commit.
    ticket.committed.then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  private identity(client: Client): { id: string; username?: string } {
    return { id: client.id, username: this.clientIdentity.get(client) };
  }

  private refused(kind: 'connect' | 'publish' | 'subscribe', reason: string): void {
    this.logger.warn({ kind, reason }, 'broker refused a device');
    this.onRefused(kind, reason);
  }

  async publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void> {
    const broker = this.broker;
    if (!broker) throw new Error('embedded broker is not started');
    await new Promise<void>((resolve, reject) =>
      broker.publish(
        { cmd: 'publish', topic, payload, qos: options.qos, retain: options.retain, dup: false },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  }

  isConnected(): boolean {
    return this.server?.listening === true && this.broker?.closed === false;
  }

  async close(): Promise<void> {
    const broker = this.broker;
    const server = this.server;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
