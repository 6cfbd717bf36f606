import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import {
  LIVE_NAMESPACE,
  TopicScheme,
  encodeMessage,
  type ClientToServerEvents,
  type LivePassage,
  type ServerToClientEvents,
} from '@citywatch/protocol';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import { passage, smallEstate } from '../support/fixtures';
import { adminHeaders, adminToken, registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';

describe.each(BACKENDS)('one passage end to end on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  const estate = smallEstate();
  const secrets = new Map<string, string>();
  /** Each device signs in with its id and the secret the registry import returned. */
  const login = (deviceId: string) => ({ username: deviceId, password: secrets.get(deviceId) });

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    // The production default: every device needs its own credentials (enforced by the embedded broker;
    // the machine's Mosquitto is open, so there they are only carried).
    hub = await startInProcessHub({ ...prepared.env, DEVICE_AUTH: 'required' });
    const imported = await registerEstate(hub.httpUrl, estate);
    for (const credential of imported.credentials ?? []) secrets.set(credential.deviceId, credential.secret);
    expect([...secrets.keys()].sort()).toEqual([...estate.laneDevices].sort());
    socket = io(`${hub.httpUrl}${LIVE_NAMESPACE}`, {
      transports: ['websocket'],
      auth: { token: await adminToken(hub.httpUrl) },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('hello', () => resolve());
      socket.once('connect_error', reject);
    });
  });

  afterAll(async () => {
    socket?.disconnect();
    await hub?.stop();
    await cleanup?.();
  });

  it('stores a passage published over MQTT and pushes it to a socket.io client', async () => {
    const topics = new TopicScheme(hub.topicRoot);
    const deviceId = estate.laneDevices[0]!;
    const event = passage(deviceId, { plateNo: '黑A8B88D' });
    const received = new Promise<LivePassage>((resolve) => {
      socket.on('passage:new', (live) => {
        if (live.eventId === event.eventId) resolve(live);
      });
    });

    const device = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `device-${deviceId}`,
      clean: true,
      ...login(deviceId),
    });
    await device.publishAsync(topics.event(deviceId, 'passage'), encodeMessage('passage', event), { qos: 1 });
    await device.endAsync();

    const live = await received;
    expect(live).toMatchObject({
      eventId: event.eventId,
      deviceId,
      plateNo: '黑A8B88D',
      tollgateId: 'TG-YX-01',
      laneNo: 1,
      speedKmh: 48.5,
    });
    expect(Date.parse(live.storedAt)).toBeGreaterThanOrEqual(Date.parse(event.passTime) - 1000);

    const database = hub.hub.app.get<Database>(DATABASE);
    const rows = await database.query<{ plate_no: string; device_id: string; pass_time: Date }>(
      'SELECT plate_no, device_id, pass_time FROM passages WHERE event_id = $1',
      [event.eventId],
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ plate_no: '黑A8B88D', device_id: deviceId });
    expect(new Date(rows.rows[0]!.pass_time).toISOString()).toBe(new Date(event.passTime).toISOString());
  });

  it('acknowledges only after the commit, so the row is there the moment the publish resolves', async () => {
    const topics = new TopicScheme(hub.topicRoot);
    const deviceId = estate.laneDevices[1]!;
    const database = hub.hub.app.get<Database>(DATABASE);
    const device = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `device-${deviceId}`,
      clean: true,
      ...login(deviceId),
    });
    const events = Array.from({ length: 50 }, () => passage(deviceId, { laneNo: 2, direction: 'S' }));
    for (const event of events) {
      await device.publishAsync(topics.event(deviceId, 'passage'), encodeMessage('passage', event), { qos: 1 });
    }
    await device.endAsync();
    const ids = events.map((e) => e.eventId);
    const stored = await database.query<{ count: string }>(
      'SELECT count(*)::text AS count FROM passages WHERE event_id = ANY($1::text[])',
      [ids],
    );
    // On the embedded broker the PUBACK is the hub's commit; through an external broker it is the broker's,
    // and the hub commits shortly after.
    if (backend.name === 'embedded') expect(Number(stored.rows[0]!.count)).toBe(50);
    await expect
      .poll(async () => {
        const result = await database.query<{ count: string }>(
          'SELECT count(*)::text AS count FROM passages WHERE event_id = ANY($1::text[])',
          [ids],
        );
        return Number(result.rows[0]!.count);
      })
      .toBe(50);
  });

  it('stores a redelivered event once', async () => {
    const topics = new TopicScheme(hub.topicRoot);
    const deviceId = estate.laneDevices[0]!;
    const event = passage(deviceId);
    const device = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `device-${deviceId}-dup`,
      clean: true,
      ...login(deviceId),
    });
    for (let i = 0; i < 3; i++) {
      await device.publishAsync(topics.event(deviceId, 'passage'), encodeMessage('passage', event), { qos: 1 });
    }
    await device.endAsync();
    const database = hub.hub.app.get<Database>(DATABASE);
    await expect
      .poll(async () => {
        const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
        return /citywatch_events_duplicate_total\{kind="passage"\} (\d+)/.exec(metrics)?.[1];
      })
      .toBe('2');
    const rows = await database.query('SELECT 1 FROM passages WHERE event_id = $1', [event.eventId]);
    expect(rows.rowCount).toBe(1);
  });

  it('dead-letters malformed payloads with their reason and keeps going', async () => {
    const topics = new TopicScheme(hub.topicRoot);
    const deviceId = estate.laneDevices[0]!;
    const device = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `device-${deviceId}-bad`,
      clean: true,
      ...login(deviceId),
    });
    await device.publishAsync(topics.event(deviceId, 'passage'), Buffer.from('{not json'), { qos: 1 });
    await device.publishAsync(
      topics.event(deviceId, 'passage'),
      Buffer.from(JSON.stringify({ ...passage(deviceId), plateNo: 'NOPLATE' })),
      { qos: 1 },
    );
    const good = passage(deviceId);
    await device.publishAsync(topics.event(deviceId, 'passage'), encodeMessage('passage', good), { qos: 1 });
    await device.endAsync();
    // A device the registry does not know: the embedded broker refuses it at the door (it has no
    // credentials); through the machine's open Mosquitto its message reaches the hub and is dead-lettered.
    const unknown = '23010800001219999999';
    if (backend.name === 'embedded') {
      await expect(
        mqtt.connectAsync(hub.mqttUrl, {
          clientId: 'device-unknown',
          username: unknown,
          password: 'not-a-registered-secret',
          reconnectPeriod: 0,
        }),
      ).rejects.toThrow(/Bad username or password|Not authorized/i);
    } else {
      const stranger = await mqtt.connectAsync(hub.mqttUrl, { clientId: `device-${unknown}`, clean: true });
      await stranger.publishAsync(topics.event(unknown, 'passage'), encodeMessage('passage', passage(unknown)), {
        qos: 1,
      });
      await stranger.endAsync();
    }
    const expectedReasons =
      backend.name === 'embedded' ? ['invalid_json', 'schema'] : ['invalid_json', 'schema', 'unknown_device'];
    const headers = await adminHeaders(hub.httpUrl);

    await expect
      .poll(async () => {
        const body = (await (await fetch(`${hub.httpUrl}/api/dead-letters`, { headers })).json()) as {
          items: { reason: string; deviceId: string; message: string }[];
        };
        return body.items.map((item) => item.reason).sort();
      })
      .toEqual(expectedReasons);
    const body = (await (await fetch(`${hub.httpUrl}/api/dead-letters?reason=schema`, { headers })).json()) as {
      items: { message: string; errors: string[] }[];
    };
    expect(body.items[0]!.errors.join(' ')).toContain('/plateNo');
    const database = hub.hub.app.get<Database>(DATABASE);
    await expect
      .poll(async () => (await database.query('SELECT 1 FROM passages WHERE event_id = $1', [good.eventId])).rowCount)
      .toBe(1);
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    if (backend.name === 'embedded') expect(metrics).toMatch(/citywatch_broker_refusals_total\{kind="connect"\} 1/);
    else expect(metrics).toMatch(/citywatch_dead_letters_total\{reason="unknown_device"\} 1/);
  });

  it('answers health checks with both dependencies up', async () => {
    const response = await fetch(`${hub.httpUrl}/health`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { checks: { database: string; broker: string }; timescale: boolean };
    expect(body.checks).toEqual({ database: 'up', broker: 'up' });
    // The embedded database carries TimescaleDB; the machine's PostgreSQL 15 does not.
    expect(body.timescale).toBe(backend.name === 'embedded');
  });
});
