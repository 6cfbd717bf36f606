import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { DeferredPubacks } from './deferred-pubacks';

type Packet = { cmd: string; messageId?: number };

/**
 * Just the part of MQTT.js the class touches: `_sendPacket`, the socket and the close event. What reaches
 * the socket is decoded back into packets; `writes` counts the calls.
 */
function fakeClient() {
  const sent: Packet[] = [];
  const stream = {
    destroyed: false,
    writable: true,
    writes: 0,
    write(bytes: Buffer) {
      stream.writes += 1;
      for (let at = 0; at < bytes.length; at += 4) {
        expect([bytes[at], bytes[at + 1]]).toEqual([0x40, 0x02]);
        sent.push({ cmd: 'puback', messageId: bytes.readUInt16BE(at + 2) });
      }
      return true;
    },
  };
  const client = Object.assign(new EventEmitter(), {
    stream,
    _sendPacket(packet: Packet, cb?: () => void) {
      sent.push(packet);
      cb?.();
    },
  });
  const send = (packet: Packet, cb?: () => void) =>
    (client as unknown as { _sendPacket: (p: Packet, cb?: () => void) => void })._sendPacket(packet, cb);
  return { client: client as unknown as MqttClient & EventEmitter, sent, stream, send };
}

const endOfTurn = () => new Promise((resolve) => process.nextTick(resolve));

describe('DeferredPubacks', () => {
  it('holds a PUBACK until release, while telling MQTT.js it was written', async () => {
    const { client, sent, send } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    const token = acks.hold(7);
    let written = false;
    send({ cmd: 'puback', messageId: 7 }, () => (written = true));
    expect(written).toBe(true);
    expect(sent).toEqual([]);
    acks.release(token);
    await endOfTurn();
    expect(sent).toEqual([{ cmd: 'puback', messageId: 7 }]);
    expect(acks.pending).toBe(0);
  });

  it('lets a PUBACK straight through when the commit came first', () => {
    const { client, sent, send } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    const token = acks.hold(9);
    acks.release(token);
    send({ cmd: 'puback', messageId: 9 });
    expect(sent).toEqual([{ cmd: 'puback', messageId: 9 }]);
  });

  it('drops held acknowledgements when the connection closes, so none leak into the next one', async () => {
    const { client, sent, send } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    const token = acks.hold(3);
    send({ cmd: 'puback', messageId: 3 });
    client.emit('close');
    acks.release(token);
    await endOfTurn();
    expect(sent).toEqual([]);
    // The same message id in the new connection is a new message.
    const next = acks.hold(3);
    send({ cmd: 'puback', messageId: 3 });
    acks.release(next);
    await endOfTurn();
    expect(sent).toEqual([{ cmd: 'puback', messageId: 3 }]);
  });

  it('drops acknowledgements released in the turn their connection closed', async () => {
    const { client, sent, send } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    const token = acks.hold(4);
    send({ cmd: 'puback', messageId: 4 });
    acks.release(token);
    client.emit('close');
    await endOfTurn();
    expect(sent).toEqual([]);
  });

  it('drops a PUBACK MQTT.js writes after its connection closed, instead of sending it on the next one', () => {
    const { client, sent, send } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    acks.hold(5);
    client.emit('close');
    let written = false;
    send({ cmd: 'puback', messageId: 5 }, () => (written = true));
    expect(written).toBe(true);
    expect(sent).toEqual([]);
  });

  it('passes other packets untouched', () => {
    const { client, sent, send } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    send({ cmd: 'pingreq' });
    expect(sent).toEqual([{ cmd: 'pingreq' }]);
  });

  it('sends the acknowledgements a batch releases in one write, in release order', async () => {
    const { client, sent, stream, send } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    const tokens = [1, 2, 65_535].map((id) => {
      const token = acks.hold(id);
      send({ cmd: 'puback', messageId: id });
      return token;
    });
    for (const token of tokens) acks.release(token);
    expect(sent).toEqual([]);
    await endOfTurn();
    expect(sent.map((p) => p.messageId)).toEqual([1, 2, 65_535]);
    expect(stream.writes).toBe(1);
  });
});
