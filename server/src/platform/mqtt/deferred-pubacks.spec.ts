import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { DeferredPubacks } from './deferred-pubacks';

/** Just the part of MQTT.js the class touches: `_sendPacket` and the close event. */
function fakeClient() {
  const sent: { cmd: string; messageId?: number }[] = [];
  const client = Object.assign(new EventEmitter(), {
    _sendPacket(packet: { cmd: string; messageId?: number }, cb?: () => void) {
      sent.push(packet);
      cb?.();
    },
  });
  return { client: client as unknown as MqttClient & EventEmitter, sent };
}

describe('DeferredPubacks', () => {
  it('holds a PUBACK until release, while telling MQTT.js it was written', () => {
    const { client, sent } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    const token = acks.hold(7);
    let written = false;
    (client as unknown as { _sendPacket: (p: object, cb: () => void) => void })._sendPacket(
      { cmd: 'puback', messageId: 7 },
      () => (written = true),
    );
    expect(written).toBe(true);
    expect(sent).toEqual([]);
    acks.release(token);
    expect(sent).toEqual([{ cmd: 'puback', messageId: 7 }]);
    expect(acks.pending).toBe(0);
  });

  it('lets a PUBACK straight through when the commit came first', () => {
    const { client, sent } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    const token = acks.hold(9);
    acks.release(token);
    (client as unknown as { _sendPacket: (p: object) => void })._sendPacket({ cmd: 'puback', messageId: 9 });
    expect(sent).toEqual([{ cmd: 'puback', messageId: 9 }]);
  });

  it('drops held acknowledgements when the connection closes, so none leak into the next one', () => {
    const { client, sent } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    const token = acks.hold(3);
    (client as unknown as { _sendPacket: (p: object) => void })._sendPacket({ cmd: 'puback', messageId: 3 });
    client.emit('close');
    acks.release(token);
    expect(sent).toEqual([]);
    // The same message id in the new connection is a new message.
    const next = acks.hold(3);
    (client as unknown as { _sendPacket: (p: object) => void })._sendPacket({ cmd: 'puback', messageId: 3 });
    acks.release(next);
    expect(sent).toEqual([{ cmd: 'puback', messageId: 3 }]);
  });

  it('drops a PUBACK MQTT.js writes after its connection closed, instead of sending it on the next one', () => {
    const { client, sent } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    acks.hold(5);
    client.emit('close');
    let written = false;
    (client as unknown as { _sendPacket: (p: object, cb: () => void) => void })._sendPacket(
      { cmd: 'puback', messageId: 5 },
      () => (written = true),
    );
    expect(written).toBe(true);
    expect(sent).toEqual([]);
  });

  it('passes other packets untouched', () => {
    const { client, sent } = fakeClient();
    const acks = new DeferredPubacks();
    acks.install(client);
    (client as unknown as { _sendPacket: (p: object) => void })._sendPacket({ cmd: 'pingreq' });
    expect(sent).toEqual([{ cmd: 'pingreq' }]);
  });
});
