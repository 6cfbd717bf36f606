import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { MAX_MQTT_PACKET_BYTES } from '@citywatch/protocol';
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

/** What the embedded broker refuses: a client's sign-in, a publish, a subscription, or a packet over the size cap. */
export type BrokerRefusal = 'connect' | 'publish' | 'subscribe' | 'oversize';

/** The part of mqtt-packet's parser (inside every aedes client) the size cap hooks into. */
interface PacketParser {
  packet: { cmd?: string; length: number };
  _parseLength(): boolean;
  _emitError(error: Error): void;
}

/**
 * Closes a client's connection as soon as a packet's header announces more than `maxBytes`, before the
 * broker buffers its body: neither aedes nor mqtt-packet has such an option, so this wraps the parser
 * step that reads the announced length (a fixed header of at most 5 bytes). Returns false if the parser
 * is not what it expects (an aedes or mqtt-packet upgrade); the publish hook still refuses oversize then.
 */
export function capPacketSize(client: Client, maxBytes: number, onOversize: (length: number) => void): boolean {
  const parser = (client as unknown as { _parser?: Partial<PacketParser> })._parser;
  if (typeof parser?._parseLength !== 'function' || typeof parser._emitError !== 'function' || !parser.packet) {
    return false;
  }
  const known = parser as PacketParser;
  const parseLength = known._parseLength.bind(known);
  known._parseLength = () => {
    if (!parseLength()) return false;
    const length = known.packet.length;
    if (length <= maxBytes) return true;
    onOversize(length);
    known._emitError(
      new Error(`${known.packet.cmd ?? 'packet'} of ${length} bytes, more than the ${maxBytes} allowed`),
    );
    return false;
  };
  return true;
}

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
  private capUnavailable = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly logger: Logger,
    private readonly access: BrokerAccessPolicy = OPEN_ACCESS,
    private readonly onRefused: (kind: BrokerRefusal, reason: string) => void = () => undefined,
    /** Largest MQTT packet a client may send (the protocol's largest payload and a topic). */
    private readonly maxPacketBytes: number = MAX_MQTT_PACKET_BYTES,
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
    const server = createServer((socket) => this.accept(broker, socket));
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

  /** A new connection: an aedes client whose packets are capped at maxPacketBytes. */
  private accept(broker: Aedes, socket: Socket): void {
    const client = broker.handle(socket);
    const capped = capPacketSize(client, this.maxPacketBytes, (length) =>
      this.refused(
        'oversize',
        `client ${client.id ?? '(not signed in)'} from ${socket.remoteAddress ?? '?'} announced a packet of ${length} bytes, more than the ${this.maxPacketBytes} allowed; connection closed`,
      ),
    );
    if (!capped && !this.capUnavailable) {
      this.capUnavailable = true;
      this.logger.error(
        'cannot cap MQTT packet sizes as they arrive (aedes or mqtt-packet changed): oversize publishes are refused only once read',
      );
    }
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
    // Topic, its length and the packet id besides the payload: at least what the header announced.
    const size = 2 + Buffer.byteLength(packet.topic) + (packet.qos > 0 ? 2 : 0) + payload.length;
    if (size > this.maxPacketBytes) {
      // Only reached when capPacketSize could not hook the parser.
      const tooLarge = `publish of ${size} bytes on ${packet.topic}, more than the ${this.maxPacketBytes} allowed`;
      this.refused('oversize', tooLarge);
      return callback(new Error(tooLarge));
    }
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

  private refused(kind: BrokerRefusal, reason: string): void {
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
