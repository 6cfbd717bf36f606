import type { QoS } from '@citywatch/protocol';

/**
 * What the hub needs from "the broker", whichever it is: every message devices publish, handed over
 * with a way to hold the acknowledgement until it is committed, and a way to publish downwards.
 */
export interface IngestTicket {
  /** Resolves when the message has a place in the hub's bounded queue (read the next one then). */
  admitted: Promise<void>;
  /** Resolves when the message is committed to the database (stored or dead-lettered): acknowledge then. */
  committed: Promise<void>;
}

export type InboundHandler = (topic: string, payload: Buffer) => IngestTicket;

export interface PublishOptions {
  qos: QoS;
  retain: boolean;
}

export interface BrokerLink {
  /** Starts delivering device messages to `handler`. */
  start(handler: InboundHandler): Promise<void>;
  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void>;
  /** Whether messages are flowing now (for readiness). */
  isConnected(): boolean;
  /** True for the broker inside the hub. */
  readonly embedded: boolean;
  /** The URL devices use to reach the broker. */
  readonly deviceUrl: string;
  close(): Promise<void>;
}

export const BROKER_LINK = Symbol('BROKER_LINK');
