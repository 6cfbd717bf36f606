import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import {
  LIVE_NAMESPACE,
  TopicScheme,
  encodeMessage,
  type ClientToServerEvents,
  type DeviceStatusChange,
  type ServerToClientEvents,
} from '@citywatch/protocol';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { DevicesService } from '../../server/src/devices/devices.service';
import { BACKENDS } from '../support/backends';
import { passage, smallEstate } from '../support/fixtures';
import { adminHeaders, adminToken, registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';

describe.each(BACKENDS)('device online state on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  const changes: DeviceStatusChange[] = [];
  const estate = smallEstate(700);
  const [deviceA, deviceB] = estate.laneDevices as [string, string];

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub({ ...prepared.env, HEARTBEAT_MISSED_COUNT: '2' });
    await registerEstate(hub.httpUrl, estate);
    socket = io(`${hub.httpUrl}${LIVE_NAMESPACE}`, {
      transports: ['websocket'],
      auth: { token: await adminToken(hub.httpUrl) },
    });
    socket.on('device:status', (change) => changes.push(change));
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

  async function device(id: string) {
    const response = await fetch(`${hub.httpUrl}/api/devices/${id}`, { headers: await adminHeaders(hub.httpUrl) });
    expect(response.status).toBe(200);
    return (await response.json()) as { online: boolean; lastHeartbeatAt: string | null };
  }

  it('goes online with its status and offline by its last will, each change stored and pushed', async () => {
    const topics = new TopicScheme(hub.topicRoot);
    const now = new Date().toISOString();
    const client = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `device-${deviceA}`,
      clean: true,
      will: {
        topic: topics.status(deviceA),
        payload: encodeMessage('status', { v: 1, deviceId: deviceA, state: 'offline', at: now, reason: 'last_will' }),
        qos: 1,
        retain: true,
      },
    });
    await client.publishAsync(
      topics.status(deviceA),
      encodeMessage('status', { v: 1, deviceId: deviceA, state: 'online', at: now, reason: 'startup' }),
      { qos: 1, retain: true },
    );
    await expect.poll(async () => (await device(deviceA)).online).toBe(true);
    await expect.poll(() => changes.some((c) => c.deviceId === deviceA && c.state === 'online')).toBe(true);

    // A connection that dies without DISCONNECT makes the broker publish the last will.
    (client as unknown as { stream: { destroy(): void } }).stream.destroy();
    client.end(true);
    await expect.poll(async () => (await device(deviceA)).online, { timeout: 15_000 }).toBe(false);
    await expect
      .poll(() => changes.find((c) => c.deviceId === deviceA && c.state === 'offline')?.reason)
      .toBe('last_will');

    const database = hub.hub.app.get<Database>(DATABASE);
    const history = await database.query<{ online: boolean; reason: string }>(
      `SELECT online, reason FROM device_status_changes WHERE device_id = $1 ORDER BY at`,
      [deviceA],
    );
    expect(history.rows).toEqual([
      { online: true, reason: 'startup' },
      { online: false, reason: 'last_will' },
    ]);
  });

  it("lists a device's status history and recent events through the API", async () => {
    const headers = await adminHeaders(hub.httpUrl);
    const history = (await (
      await fetch(`${hub.httpUrl}/api/devices/${deviceA}/history?limit=10`, { headers })
    ).json()) as { online: boolean; reason: string }[];
    expect(history.map((entry) => [entry.online, entry.reason])).toEqual([
      [false, 'last_will'],
      [true, 'startup'],
    ]);

    const topics = new TopicScheme(hub.topicRoot);
    const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: `device-${deviceA}-events`, clean: true });
    const event = passage(deviceA, { plateNo: '黑A55E77' });
    await client.publishAsync(topics.event(deviceA, 'passage'), encodeMessage('passage', event), { qos: 1 });
    await client.endAsync();
    await expect
      .poll(async () => {
        const response = await fetch(`${hub.httpUrl}/api/devices/${deviceA}/events`, { headers });
        return (await response.json()) as { events: { eventId: string; label: string }[]; lastHourCounts: object };
      })
      .toMatchObject({
        events: [{ eventId: event.eventId, kind: 'passage', label: '黑A55E77' }],
        lastHourCounts: { passage: 1, face: 0, incident: 0 },
      });
    const bad = await fetch(`${hub.httpUrl}/api/devices/${deviceA}/events?limit=100000`, { headers });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${hub.httpUrl}/api/devices/23010800001219999999/history`, { headers });
    expect(unknown.status).toBe(404);
  });

  it('comes online with a heartbeat and goes offline after its interval times the missed count', async () => {
    const topics = new TopicScheme(hub.topicRoot);
    const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: `device-${deviceB}`, clean: true });
    await client.publishAsync(
      topics.heartbeat(deviceB),
      encodeMessage('heartbeat', {
        v: 1,
        deviceId: deviceB,
        at: new Date().toISOString(),
        seq: 1,
        uptimeS: 10,
        intervalS: 1,
        health: { cpuPercent: 12, fps: 25, videoLoss: false },
      }),
      { qos: 0 },
    );
    await client.endAsync();
    await expect.poll(async () => (await device(deviceB)).online).toBe(true);
    expect((await device(deviceB)).lastHeartbeatAt).not.toBeNull();

    // 1 s interval x 2 missed: silent for 2 s makes it offline at the next sweep.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await hub.hub.app.get(DevicesService).sweepSilentDevices();
    expect((await device(deviceB)).online).toBe(false);
    await expect
      .poll(() => changes.find((c) => c.deviceId === deviceB && c.state === 'offline')?.reason)
      .toBe('heartbeat_timeout');
    const database = hub.hub.app.get<Database>(DATABASE);
    const beats = await database.query(`SELECT seq FROM heartbeats WHERE device_id = $1`, [deviceB]);
    expect(beats.rowCount).toBe(1);
  });
});
