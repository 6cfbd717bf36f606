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

/** How a hand-over of a persistent session ended. */
export interface DrainOutcome {
  /** True when the broker had nothing more queued for the session and every message was committed. */
  drained: boolean;
  /** Messages taken from the session (stored, dead-lettered or found already stored). */
  messages: number;
  /** Why it stopped short: the session's owner came back, the connection failed, time ran out. */
  reason?: string;
}

/**
 * What several replicas on one shared subscription need from the link, beyond their own stream: a replica
 * that stops for good leaves the group (so the broker stops queueing a share for it), and a replica that
 * died can have its session taken over by another (so what the broker queued for it is stored now).
 */
export interface ReplicaSessions {
  readonly shareGroup: string;
  /** This replica's MQTT client id (names its persistent session). */
  readonly clientId: string;
  /**
   * Connects as `clientId` (a dead replica's session), stores what the broker kept for it, unsubscribes it
   * from the group and disconnects. Stops short, with nothing lost, if that replica comes back meanwhile.
   */
  adopt(clientId: string, timeoutMs: number): Promise<DrainOutcome>;
  /** Unsubscribes this replica from the group and waits until what was already on its way is committed. */
  leaveGroup(timeoutMs: number): Promise<DrainOutcome>;
}

export interface BrokerLink {
  /** Starts delivering device messages to `handler`. */
  start(handler: InboundHandler): Promise<void>;
  publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void>;
  /** Whether messages are flowing now (for readiness). */
  isConnected(): boolean;
  /** True for the broker inside the hub. */
  readonly embedded: boolean;
  /** Present on an external broker with a shared-subscription group. */
  readonly replicaSessions?: ReplicaSessions;
  /** The URL devices use to reach the broker. */
  readonly deviceUrl: string;
  close(): Promise<void>;
}

export const BROKER_LINK = Symbol('BROKER_LINK');
