import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import mqttPacket from 'mqtt-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { TopicScheme } from '@citywatch/protocol';
import { DeviceConnection } from './device-connection';

/** A broker that accepts the connection and every packet but never acknowledges a publish. */
async function silentBroker(): Promise<{ url: string; server: Server; closed: Promise<void> }> {
  let socketClosed!: () => void;
  const closed = new Promise<void>((resolve) => (socketClosed = resolve));
  const server = createServer((socket: Socket) => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet: mqttPacket.Packet) => {
      if (packet.cmd === 'connect')
        socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
      if (packet.cmd === 'subscribe') {
        socket.write(
          mqttPacket.generate({
            cmd: 'suback',
            messageId: packet.messageId,
            granted: packet.subscriptions.map(() => 1),
          }),
        );
      }
    });
    socket.on('data', (chunk) => parser.parse(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => socketClosed());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`, server, closed };
}

describe('DeviceConnection.stop', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('closes the connection when the broker never acknowledges what is in flight', async () => {
    const broker = await silentBroker();
    server = broker.server;
    const connection = new DeviceConnection({
      identity: { deviceId: '23010800001320000001', kind: 'checkpoint' },
      broker: { url: broker.url, reconnectPeriodMs: 60_000 },
      topics: new TopicScheme('city/v1'),
      heartbeatIntervalS: 60,
      agentVersion: 'test',
    });
    connection.start();
    await connection.waitOnline();
    const published = new Promise<Error | undefined>((resolve) =>
      connection.publishEvent('city/v1/23010800001320000001/events/incident', Buffer.from('{}'), resolve),
    );
    const started = Date.now();
    await connection.stop();
    expect(Date.now() - started).toBeLessThan(6_000);
    // The socket is gone, not left half-open behind a graceful end that waits for ever.
    const outcome = await Promise.race([
      broker.closed.then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('still open'), 1_000)),
    ]);
    expect(outcome).toBe('closed');
    expect(connection.connected).toBe(false);
    void published;
  }, 15_000);
});
