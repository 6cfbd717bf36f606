import type { MqttClient } from 'mqtt';

interface HeldAck {
  committed: boolean;
  /** MQTT.js has asked to send the PUBACK (and was told it was written). */
  asked: boolean;
}

type SendPacket = (packet: { cmd: string; messageId?: number }, cb?: () => void, ...rest: unknown[]) => void;

export interface AckToken {
  generation: number;
  messageId: number;
}

/**
 * Lets an MQTT.js client acknowledge a QoS 1 message only after it is committed, without stopping it
 * from reading the next one. MQTT.js reads the next packet once the PUBACK for the previous one is
 * written; this holds that PUBACK back (telling MQTT.js it was written) and sends it on release.
 * Commits happen in arrival order, so PUBACKs leave in the order the PUBLISHes came (MQTT 3.1.1 §4.6).
 * Held acknowledgements die with their connection: the broker redelivers those messages to the
 * persistent session after a reconnect, and idempotent storage absorbs the repeats.
 */
export class DeferredPubacks {
  private generation = 0;
  private readonly held = new Map<number, HeldAck>();
  private client?: MqttClient;
  /** Released acknowledgements waiting for the end of this turn, to leave in one write. */
  private outgoing: number[] = [];

  install(client: MqttClient): void {
    this.client = client;
    const target = client as unknown as { _sendPacket: SendPacket };
    const original = target._sendPacket.bind(client);
    target._sendPacket = (packet, cb, ...rest) => {
      if (packet.cmd === 'puback' && packet.messageId !== undefined) {
        const entry = this.held.get(packet.messageId);
        // Every QoS 1 message is held on arrival, so a PUBACK with no entry belongs to a connection that is
        // gone: MQTT.js would queue it and send it on the next connection, where that id names another
        // message. Drop it; the broker redelivers the message to the persistent session.
        if (!entry) {
          cb?.();
          return;
        }
        if (!entry.committed) {
          entry.asked = true;
          cb?.();
          return;
        }
        this.held.delete(packet.messageId);
      }
      original(packet, cb, ...rest);
    };
    client.on('close', () => {
      this.generation += 1;
      this.held.clear();
      this.outgoing = [];
    });
  }

  /** Called when a QoS 1 message arrives, before MQTT.js would acknowledge it. */
  hold(messageId: number): AckToken {
    this.held.set(messageId, { committed: false, asked: false });
    return { generation: this.generation, messageId };
  }

  /** Called when the message is committed: sends its PUBACK now, or lets it through when MQTT.js gets to it. */
  release(token: AckToken): void {
    if (token.generation !== this.generation) return;
    const entry = this.held.get(token.messageId);
    if (!entry) return;
    if (entry.asked) {
      this.held.delete(token.messageId);
      if (this.outgoing.length === 0) process.nextTick(() => this.flush());
      this.outgoing.push(token.messageId);
    } else {
      entry.committed = true;
    }
  }

  /**
   * A committed batch releases its acknowledgements one after another in the same turn; they leave together
   * at its end, encoded here (a PUBACK is four bytes: type, length 2, packet id) in one buffer and one
   * write, instead of a packet object, a buffer and a system call each. What cannot be written now (the
   * connection is going) is dropped: those messages come again on the persistent session.
   */
  private flush(): void {
    const ids = this.outgoing;
    this.outgoing = [];
    const stream = this.client?.stream;
    if (ids.length === 0 || !stream || stream.destroyed || !stream.writable) return;
    const packets = Buffer.allocUnsafe(ids.length * 4);
    ids.forEach((id, i) => {
      packets[i * 4] = 0x40;
      packets[i * 4 + 1] = 0x02;
      packets.writeUInt16BE(id, i * 4 + 2);
    });
    stream.write(packets);
  }

  get pending(): number {
    return this.held.size;
  }
}
