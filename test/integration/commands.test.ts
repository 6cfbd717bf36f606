import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TopicScheme,
  encodeMessage,
  type AuditPage,
  type DeviceCommandPage,
  type DeviceCommandRecord,
  type DeviceRegistration,
} from '@citywatch/protocol';
import type { EdgeAgent } from '../../edge-agent/src/agent/edge-agent';
import { buildDistrictEstate, districtRegistry } from '../../edge-agent/src/simulator/district-estate';
import { createSimulatedDistrict, deviceSecret } from '../../edge-agent/src/simulator/simulated-district-agent';
import { BACKENDS, machineServicesBackend } from '../support/backends';
import { adminHeaders, registerEstate, signIn, startInProcessHub, type InProcessHub } from '../support/hub';
import { createTestDatabase, MACHINE_MQTT_URL, uniqueTopicRoot } from '../support/services';

/**
 * Commands through the REST API to real edge agents and back: the hub publishes, the agent acts and replies,
 * the API answers with the reply. Offline devices, spoofed and unknown replies, validation and roles too.
 */
const estate = buildDistrictEstate();
const registry = districtRegistry(estate);
const firstOf = (predicate: (d: (typeof estate.devices)[number]) => boolean, skip = 0) =>
  estate.devices.filter(predicate)[skip]!.registration.id;
/** Runs an agent in every test. */
const street = firstOf((d) => d.kind === 'hd_camera');
const eagle = firstOf((d) => d.kind === 'long_range' && d.hasLoudspeaker);
/** Registered, never connected. */
const offline = firstOf((d) => d.kind === 'hd_camera', 1);
/** Registered, with its own credentials: it tries to answer the street camera's command. */
const spoofer = firstOf((d) => d.kind === 'long_range' && !d.hasLoudspeaker);
const registrations = (ids: string[]): DeviceRegistration[] =>
  registry.devices.filter((device) => ids.includes(device.id));

async function post(
  hub: { httpUrl: string },
  deviceId: string,
  body: unknown,
  headers?: Record<string, string>,
): Promise<{ status: number; body: DeviceCommandRecord & { errors?: string[]; message?: string } }> {
  const response = await fetch(`${hub.httpUrl}/api/devices/${deviceId}/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(headers ?? (await adminHeaders(hub.httpUrl))) },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as never };
}

async function get<T>(hub: { httpUrl: string }, path: string, headers?: Record<string, string>): Promise<T> {
  const response = await fetch(`${hub.httpUrl}${path}`, { headers: headers ?? (await adminHeaders(hub.httpUrl)) });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function metric(hub: { httpUrl: string }, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${hub.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function startAgent(mqttUrl: string, topicRoot: string, deviceIds: string[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'citywatch-cmd-agent-'));
  const { agent } = await createSimulatedDistrict({
    broker: { url: mqttUrl, reconnectPeriodMs: 200 },
    topicRoot,
    dataDir,
    deviceIds,
    rateMultiplier: 0.01,
    timeCompression: 100,
    faults: false,
    faces: 'off',
  });
  await agent.start();
  await agent.waitAllOnline();
  return {
    agent,
    stop: async () => {
      await agent.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe.each(BACKENDS)('device commands on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let agent: { agent: EdgeAgent; stop(): Promise<void> };

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    // Every device signs in with its own secret, as in production.
    hub = await startInProcessHub({ ...prepared.env, DEVICE_AUTH: 'required' });
    await registerEstate(hub.httpUrl, { tollgates: [], devices: registrations([street, eagle, offline, spoofer]) });
    agent = await startAgent(hub.mqttUrl, hub.topicRoot, [street, eagle]);
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.stop();
    await cleanup?.();
  });

  it('sends a snapshot to a real agent and answers with its reply; the command is listed and audited', async () => {
    const sent = await post(hub, street, { name: 'snapshot', params: { channel: 1 } });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({
      deviceId: street,
      name: 'snapshot',
      params: { channel: 1 },
      status: 'replied',
      ok: true,
      error: null,
      issuedBy: { username: 'admin' },
    });
    expect(existsSync(fileURLToPath(sent.body.result!.imageRef!))).toBe(true);
    expect(Date.parse(sent.body.expiresAt) - Date.parse(sent.body.issuedAt)).toBe(60_000);

    const one = await get<DeviceCommandRecord>(hub, `/api/devices/${street}/commands/${sent.body.requestId}`);
    expect(one).toEqual(sent.body);
    const page = await get<DeviceCommandPage>(hub, `/api/devices/${street}/commands?limit=10`);
    expect(page.items[0]).toEqual(sent.body);

    const audit = await get<AuditPage>(hub, `/api/audit?action=devices.command&target=device:${street}`);
    expect(audit.items[0]).toMatchObject({
      actorUsername: 'admin',
      action: 'devices.command',
      target: `device:${street}`,
      details: { requestId: sent.body.requestId, name: 'snapshot', params: { channel: 1 } },
    });
    expect(await metric(hub, 'citywatch_commands_sent_total', 'name="snapshot"')).toBeGreaterThanOrEqual(1);
    expect(await metric(hub, 'citywatch_commands_replied_total', 'name="snapshot"')).toBeGreaterThanOrEqual(1);
  });

  it('turns a long-range camera to a preset and reports a refusal by the device as ok: false', async () => {
    const preset = await post(hub, eagle, { name: 'ptz_preset', params: { preset: 7 } });
    expect(preset).toMatchObject({ status: 200, body: { status: 'replied', ok: true } });
    expect(preset.body.result!.message).toMatch(/preset 7/);
    const refused = await post(hub, street, { name: 'config_update', params: { settings: { colour: 'red' } } });
    expect(refused).toMatchObject({ status: 200, body: { status: 'replied', ok: false } });
    expect(refused.body.error).toMatch(/unknown setting "colour"/);
  });

  it('refuses an unknown device, an unknown command, bad params and a command the device cannot do, with 400', async () => {
    const unknown = await post(hub, '23010800001320099999', { name: 'self_destruct', params: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      '/deviceId: device 23010800001320099999 is not registered',
      '/name: not one of the known commands',
    ]);
    const bad = await post(hub, eagle, { name: 'ptz_preset', params: { preset: 'home' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.stringMatching(/^\/params\/preset: /)]);
    expect(bad.body.message).toContain('/params/preset');
    const ptz = await post(hub, street, { name: 'ptz_preset', params: { preset: 1 } });
    expect(ptz.status).toBe(400);
    expect(ptz.body.errors).toEqual([expect.stringMatching(/needs a long-range \(PTZ\) camera/)]);
    const speaker = await post(hub, spoofer, { name: 'loudspeaker', params: { message: '请勿停车' } });
    expect(speaker.status).toBe(400);
    expect(speaker.body.errors).toEqual([expect.stringMatching(/has no loudspeaker/)]);
    const body = await post(hub, street, { name: 'snapshot', timeoutS: 999, extra: true });
    expect(body.status).toBe(400);
    const list = await get<DeviceCommandPage>(hub, `/api/devices/${eagle}/commands`);
    expect(list.items.every((item) => item.name !== 'ptz_preset' || item.params.preset === 7)).toBe(true);
  });

  it('answers 202 for an offline device; the command expires, and a reply after that is kept as late', async () => {
    const sent = await post(hub, offline, { name: 'reboot', params: { delayS: 0 }, timeoutS: 1, expiresInS: 5 });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ status: 'pending', ok: null, repliedAt: null });
    const path = `/api/devices/${offline}/commands/${sent.body.requestId}`;
    await expect
      .poll(async () => (await get<DeviceCommandRecord>(hub, path)).status, { timeout: 15_000, interval: 500 })
      .toBe('expired');
    expect(await metric(hub, 'citywatch_commands_expired_total', 'name="reboot"')).toBeGreaterThanOrEqual(1);

    // The device comes back and answers after all: the reply is kept, as late.
    const topics = new TopicScheme(hub.topicRoot);
    const device = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `late-${offline}`,
      username: offline,
      password: deviceSecret(offline),
    });
    const late = encodeMessage('command-reply', {
      v: 1,
      requestId: sent.body.requestId,
      deviceId: offline,
      at: new Date().toISOString(),
      ok: false,
      error: `command expired at ${sent.body.expiresAt}`,
    });
    await device.publishAsync(topics.commandReply(offline, sent.body.requestId), late, { qos: 1 });
    await device.endAsync();
    await expect.poll(async () => (await get<DeviceCommandRecord>(hub, path)).status).toBe('late');
    expect(await get<DeviceCommandRecord>(hub, path)).toMatchObject({ ok: false, error: /command expired at/ });
    expect(await metric(hub, 'citywatch_commands_late_replies_total', 'name="reboot"')).toBe(1);
  });

  it('dead-letters a reply from another device and a reply to a request never sent; the command stays its own', async () => {
    const sent = await post(hub, offline, { name: 'snapshot', timeoutS: 0 });
    expect(sent.status).toBe(202);
    const topics = new TopicScheme(hub.topicRoot);
    const device = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `spoofer-${spoofer}`,
      username: spoofer,
      password: deviceSecret(spoofer),
    });
    const answer = (requestId: string) =>
      encodeMessage('command-reply', {
        v: 1,
        requestId,
        deviceId: spoofer,
        at: new Date().toISOString(),
        ok: true,
        result: { message: 'not me' },
      });
    await device.publishAsync(topics.commandReply(spoofer, sent.body.requestId), answer(sent.body.requestId), {
      qos: 1,
    });
    await device.publishAsync(topics.commandReply(spoofer, 'never-sent-0001'), answer('never-sent-0001'), { qos: 1 });
    await device.endAsync();

    type Letters = { items: { reason: string; message: string; topic: string }[] };
    await expect
      .poll(async () => {
        const letters = await get<Letters>(hub, `/api/dead-letters?deviceId=${spoofer}`);
        return letters.items.map((letter) => letter.reason).sort();
      })
      .toEqual(['unknown_request', 'wrong_device']);
    const letters = await get<Letters>(hub, `/api/dead-letters?deviceId=${spoofer}&reason=wrong_device`);
    expect(letters.items[0]!.message).toBe(
      `reply to request ${sent.body.requestId} came from device ${spoofer}; the command went to ${offline}`,
    );
    // Kept as the device sent it: its topic, through ingest's dead letters.
    expect(letters.items[0]!.topic).toBe(topics.commandReply(spoofer, sent.body.requestId));
    const command = await get<DeviceCommandRecord>(hub, `/api/devices/${offline}/commands/${sent.body.requestId}`);
    expect(command).toMatchObject({ status: 'pending', ok: null, result: null });
  });

  it('answers 401 without a token and 403 to every role but admin', async () => {
    const response = await fetch(`${hub.httpUrl}/api/devices/${street}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'snapshot' }),
    });
    expect(response.status).toBe(401);
    const created = await fetch(`${hub.httpUrl}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await adminHeaders(hub.httpUrl)) },
      body: JSON.stringify({
        username: 'cmd.operator',
        displayName: 'Operator',
        role: 'operator',
        password: 'cmd-operator-password',
        departmentId: null,
      }),
    });
    expect(created.status).toBe(201);
    const operator = {
      authorization: `Bearer ${(await signIn(hub.httpUrl, 'cmd.operator', 'cmd-operator-password')).accessToken}`,
    };
    expect((await post(hub, street, { name: 'snapshot' }, operator)).status).toBe(403);
    const list = await fetch(`${hub.httpUrl}/api/devices/${street}/commands`, { headers: operator });
    expect(list.status).toBe(403);
  });
});

describe('device commands across two replicas (machine services, shared subscription)', () => {
  const hubs: InProcessHub[] = [];
  let agent: { stop(): Promise<void> } | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    const shared = {
      DATABASE_URL: database.url,
      MQTT_URL: MACHINE_MQTT_URL,
      TOPIC_ROOT: uniqueTopicRoot(),
      MQTT_SHARE_GROUP: `cmds${Date.now().toString(36)}`,
    };
    // One after the other: the first one migrates the database.
    hubs.push(await startInProcessHub({ ...shared, HUB_ID: `cmd-a-${Date.now().toString(36)}` }));
    hubs.push(await startInProcessHub({ ...shared, HUB_ID: `cmd-b-${Date.now().toString(36)}` }));
    await registerEstate(hubs[0]!.httpUrl, { tollgates: [], devices: registrations([street]) });
    agent = await startAgent(MACHINE_MQTT_URL, shared.TOPIC_ROOT, [street]);
  });

  afterAll(async () => {
    await agent?.stop();
    for (const hub of hubs) await hub.stop();
    await dropDatabase?.();
  });

  it('answers every command sent through one replica, whichever replica takes the reply in', async () => {
    expect(machineServicesBackend.name).toBe('machine services');
    const [first, second] = hubs as [InProcessHub, InProcessHub];
    for (let n = 0; n < 6; n++) {
      const sent = await post(first, street, { name: 'snapshot' });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);
      expect(sent.body).toMatchObject({ status: 'replied', ok: true });
    }
    const recordedBy = await Promise.all(
      hubs.map((hub) => metric(hub, 'citywatch_commands_replied_total', 'name="snapshot"')),
    );
    expect(recordedBy[0]! + recordedBy[1]!).toBe(6);
    // The shared subscription spreads messages over both replicas: some replies reached the other one.
    expect(recordedBy[1], `replies recorded by each replica: ${recordedBy.join(', ')}`).toBeGreaterThan(0);
    expect(await metric(second, 'citywatch_commands_sent_total', 'name="snapshot"')).toBe(0);
  });
});
