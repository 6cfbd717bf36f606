import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MAX_MQTT_PACKET_BYTES,
  MAX_PAYLOAD_BYTES,
  TopicScheme,
  encodeMessage,
  type RegistryImport,
} from '@citywatch/protocol';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { HubMetrics } from '../../server/src/platform/metrics/metrics';
import { passage, smallEstate } from '../support/fixtures';
import { registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';
import { PROJECT_MOSQUITTO_CONF, ProjectMosquitto } from '../support/mosquitto';
import { uniqueTopicRoot } from '../support/services';

const NO_RETRY = { reconnectPeriod: 0, connectTimeout: 5_000 } as const;
const EMQX_CONF = join(__dirname, '../../infra/emqx/emqx.conf');

/** A payload that makes a QoS 1 PUBLISH on `topic` one byte longer than the cap allows. */
const oneByteTooMany = (topic: string) =>
  Buffer.alloc(MAX_MQTT_PACKET_BYTES - 2 - Buffer.byteLength(topic) - 2 + 1, 0x20);

/** Resolves when the client's connection closes. */
const closed = (client: MqttClient) => new Promise<void>((resolve) => client.once('close', () => resolve()));

async function storedCount(hub: InProcessHub, eventId: string): Promise<number> {
  const database = hub.hub.app.get<Database>(DATABASE);
  return (await database.query('SELECT 1 FROM passages WHERE event_id = $1', [eventId])).rowCount;
}

async function deadLetters(hub: InProcessHub, deviceId: string): Promise<number> {
  const database = hub.hub.app.get<Database>(DATABASE);
  return (await database.query('SELECT 1 FROM dead_letters WHERE device_id = $1', [deviceId])).rowCount;
}

/** MQTT's variable-length "remaining length". */
function remainingLength(value: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return Buffer.from(bytes);
}

/** An MQTT 3.1.1 CONNECT (clean session, no credentials), written by hand so a test controls every byte. */
function connectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const body = Buffer.concat([
    Buffer.from([0, 4, ...Buffer.from('MQTT'), 4, 0x02, 0, 60]),
    Buffer.from([id.length >> 8, id.length & 0xff]),
    id,
  ]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/**
 * The start of a QoS 1 PUBLISH announcing `announced` bytes, with only the topic and a few payload bytes
 * sent: what a client streaming a huge message has sent when its first segment arrives.
 */
function publishHead(topic: string, announced: number): Buffer {
  const name = Buffer.from(topic);
  return Buffer.concat([
    Buffer.from([0x32]),
    remainingLength(announced),
    Buffer.from([name.length >> 8, name.length & 0xff]),
    name,
    Buffer.from([0, 1]),
    Buffer.from('{"plateNo":"'),
  ]);
}

/** A raw TCP client: sends bytes, says whether (and when) the broker closed the connection. */
async function rawClient(url: string): Promise<{ socket: Socket; send(bytes: Buffer): void; closed: Promise<number> }> {
  const { hostname, port } = new URL(url);
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(Number(port), hostname, () => resolve());
  });
  socket.on('error', () => undefined);
  const started = Date.now();
  // Milliseconds until the broker closed it; Infinity if it kept it open for 5 s (then closed here).
  const closedAt = new Promise<number>((resolve) => {
    const timer = setTimeout(() => {
      resolve(Infinity);
      socket.destroy();
    }, 5_000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
  return { socket, send: (bytes) => socket.write(bytes), closed: closedAt };
}

async function oversizeRefusals(hub: InProcessHub): Promise<number> {
  const counter = await hub.hub.app.get(HubMetrics).brokerRefusals.get();
  return counter.values.find((value) => value.labels.kind === 'oversize')?.value ?? 0;
}

describe('the broker packet cap follows the protocol', () => {
  it('is the largest payload plus the topic allowance, in the Mosquitto and EMQX configurations too', () => {
    expect(MAX_MQTT_PACKET_BYTES).toBe(MAX_PAYLOAD_BYTES + 8 * 1024);
    expect(readFileSync(PROJECT_MOSQUITTO_CONF, 'utf8')).toMatch(
      new RegExp(`^max_packet_size ${MAX_MQTT_PACKET_BYTES}$`, 'm'),
    );
    expect(readFileSync(EMQX_CONF, 'utf8')).toMatch(
      new RegExp(`^\\s*max_packet_size = ${MAX_MQTT_PACKET_BYTES / 1024}KB$`, 'm'),
    );
  });
});

describe('packet size cap on the embedded broker', () => {
  const estate: RegistryImport & { laneDevices: string[] } = smallEstate(110);
  const [deviceA, deviceB] = estate.laneDevices as [string, string];
  let hub: InProcessHub;
  let topics: TopicScheme;
  let neighbour: MqttClient;

  const connect = (clientId: string) => mqtt.connectAsync(hub.mqttUrl, { clientId, ...NO_RETRY });

  beforeAll(async () => {
    hub = await startInProcessHub({ DEVICE_AUTH: 'optional' });
    topics = new TopicScheme(hub.topicRoot);
    await registerEstate(hub.httpUrl, estate);
    neighbour = await connect('neighbour-b');
  });

  afterAll(async () => {
    await neighbour?.endAsync();
    await hub?.stop();
  });

  it('closes a connection that sends one byte over the cap, counts it, stores nothing; the others carry on', async () => {
    const before = await oversizeRefusals(hub);
    const device = await connect('oversize-a');
    const gone = closed(device);
    const topic = topics.event(deviceA, 'passage');
    device.publish(topic, oneByteTooMany(topic), { qos: 1 });
    await gone;
    device.end(true);
    expect((await oversizeRefusals(hub)) - before).toBe(1);
    // The hub never saw it: not even a dead letter.
    expect(await deadLetters(hub, deviceA)).toBe(0);
    // Another device, connected all along, still publishes; the hub is healthy.
    expect(neighbour.connected).toBe(true);
    const event = passage(deviceB);
    await neighbour.publishAsync(topics.event(deviceB, 'passage'), encodeMessage('passage', event), { qos: 1 });
    expect(await storedCount(hub, event.eventId)).toBe(1);
    expect((await fetch(`${hub.httpUrl}/health`)).status).toBe(200);
  });

  it('closes it as soon as the header announces too much, before the body is sent', async () => {
    const before = await oversizeRefusals(hub);
    const client = await rawClient(hub.mqttUrl);
    client.send(connectPacket('streaming-a'));
    await new Promise((resolve) => client.socket.once('data', resolve)); // CONNACK
    client.send(publishHead(topics.event(deviceA, 'passage'), 100 * 1024 * 1024));
    expect(await client.closed).toBeLessThan(2_000);
    // Nor does a stranger get to make the broker buffer a huge CONNECT before signing in.
    const stranger = await rawClient(hub.mqttUrl);
    stranger.send(Buffer.concat([Buffer.from([0x10]), remainingLength(50 * 1024 * 1024), Buffer.from([0, 4])]));
    expect(await stranger.closed).toBeLessThan(2_000);
    expect((await oversizeRefusals(hub)) - before).toBe(2);
    expect(neighbour.connected).toBe(true);
  });

  it('lets the largest legal payload through (the hub then judges it)', async () => {
    const device = await connect('largest-a');
    const payload = Buffer.alloc(MAX_PAYLOAD_BYTES, 0x20);
    await device.publishAsync(topics.event(deviceA, 'face'), payload, { qos: 1 });
    expect(device.connected).toBe(true);
    await device.endAsync();
    // Acknowledged after the hub stored it as a dead letter (blank is not JSON), not refused by the broker.
    expect(await deadLetters(hub, deviceA)).toBe(1);
  });
});

describe('packet size cap on Mosquitto with infra/mosquitto/mosquitto.conf', () => {
  const estate = smallEstate(120);
  const [deviceA, deviceB] = estate.laneDevices as [string, string];
  const topicRoot = uniqueTopicRoot();
  const topics = new TopicScheme(topicRoot);
  let broker: ProjectMosquitto;
  let hub: InProcessHub;
  let neighbour: MqttClient;
  const log = () => readFileSync(join(broker.directory, 'mosquitto.log'), 'utf8');

  beforeAll(async () => {
    // Mosquitto counts nothing a test can read, but logs each oversize disconnect.
    broker = await ProjectMosquitto.start({ logFile: 'mosquitto.log' });
    hub = await startInProcessHub({ MQTT_URL: broker.url, TOPIC_ROOT: topicRoot });
    await registerEstate(hub.httpUrl, estate);
    neighbour = await mqtt.connectAsync(broker.url, { clientId: 'neighbour-b', ...NO_RETRY });
  });

  afterAll(async () => {
    await neighbour?.endAsync();
    await hub?.stop();
    await broker?.dispose();
  });

  it('disconnects a device that sends a packet one byte over the cap, logs it, and the hub and other devices carry on', async () => {
    const device = await mqtt.connectAsync(broker.url, { clientId: 'oversize-a', ...NO_RETRY });
    const gone = closed(device);
    const topic = topics.event(deviceA, 'passage');
    device.publish(topic, oneByteTooMany(topic), { qos: 1 });
    await gone;
    device.end(true);
    await expect.poll(log).toMatch(/Client oversize-a disconnected due to oversize packet/);
    expect(await deadLetters(hub, deviceA)).toBe(0);
    expect(neighbour.connected).toBe(true);
    const event = passage(deviceB);
    await neighbour.publishAsync(topics.event(deviceB, 'passage'), encodeMessage('passage', event), { qos: 1 });
    await expect.poll(() => storedCount(hub, event.eventId), { timeout: 10_000 }).toBe(1);
    expect((await fetch(`${hub.httpUrl}/health`)).status).toBe(200);
  });

  it('lets the largest legal payload through to the hub', async () => {
    const device = await mqtt.connectAsync(broker.url, { clientId: 'largest-a', ...NO_RETRY });
    await device.publishAsync(topics.event(deviceA, 'face'), Buffer.alloc(MAX_PAYLOAD_BYTES, 0x20), { qos: 1 });
    expect(device.connected).toBe(true);
    await device.endAsync();
    await expect.poll(() => deadLetters(hub, deviceA), { timeout: 10_000 }).toBe(1);
    expect(log()).not.toMatch(/largest-a disconnected due to oversize/);
  });
});
