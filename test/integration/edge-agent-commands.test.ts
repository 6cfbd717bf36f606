import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeMessage,
  PAYLOAD_VERSION,
  TopicScheme,
  type CommandReplyPayload,
  type DeviceStatusPayload,
} from '@citywatch/protocol';
import type { EdgeAgent } from '../../edge-agent/src/agent/edge-agent';
import { buildDistrictEstate } from '../../edge-agent/src/simulator/district-estate';
import { createSimulatedDistrict } from '../../edge-agent/src/simulator/simulated-district-agent';
import { ProjectMosquitto } from '../support/mosquitto';

const estate = buildDistrictEstate();
const firstOf = (predicate: (d: (typeof estate.devices)[number]) => boolean) =>
  estate.devices.find(predicate)!.registration.id;
const street = firstOf((d) => d.kind === 'hd_camera');
const eagle = firstOf((d) => d.kind === 'long_range' && d.hasLoudspeaker);
const silentEagle = firstOf((d) => d.kind === 'long_range' && !d.hasLoudspeaker);

describe('edge agent commands round-trip through a broker', () => {
  const topics = new TopicScheme(`cmd-${Date.now().toString(36)}/v1`);
  let broker: ProjectMosquitto;
  let agent: EdgeAgent;
  let hub: MqttClient;
  let dataDir: string;
  const replies = new Map<string, CommandReplyPayload>();
  const statuses: DeviceStatusPayload[] = [];
  let n = 0;

  beforeAll(async () => {
    broker = await ProjectMosquitto.start();
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-cmd-'));
    ({ agent } = await createSimulatedDistrict({
      broker: { url: broker.url, reconnectPeriodMs: 200 },
      topicRoot: topics.root,
      dataDir,
      deviceIds: [street, eagle, silentEagle],
      rateMultiplier: 0.01,
      timeCompression: 100,
      faults: false,
      faces: 'off',
    }));
    hub = await mqtt.connectAsync(broker.url, { clientId: 'test-hub' });
    hub.on('message', (topic, payload) => {
      const parsed = topics.parse(topic);
      if (parsed.channel === 'command-reply') {
        const decoded = decodeMessage('command-reply', payload, { topicDeviceId: parsed.deviceId });
        if (decoded.ok) replies.set(parsed.requestId, decoded.value);
      } else if (parsed.channel === 'status') {
        const decoded = decodeMessage('status', payload, { topicDeviceId: parsed.deviceId });
        if (decoded.ok) statuses.push(decoded.value);
      }
    });
    await hub.subscribeAsync({ [`${topics.root}/+/cmd-reply/+`]: { qos: 1 }, [`${topics.root}/+/status`]: { qos: 1 } });
    await agent.start();
    await agent.waitAllOnline();
  });

  afterAll(async () => {
    await agent?.stop();
    await hub?.endAsync(true);
    await broker?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function command(deviceId: string, name: string, body: unknown): Promise<CommandReplyPayload> {
    const requestId = `req-${++n}`;
    const payload =
      typeof body === 'string'
        ? body
        : JSON.stringify({ v: PAYLOAD_VERSION, requestId, issuedAt: new Date().toISOString(), ...(body as object) });
    await hub.publishAsync(`${topics.root}/${deviceId}/cmd/${name}`, payload, { qos: 1 });
    const deadline = Date.now() + 10_000;
    while (!replies.has(requestId)) {
      if (Date.now() > deadline) throw new Error(`no reply to ${name} ${requestId}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return replies.get(requestId)!;
  }

  it('takes a snapshot and refers to a stored JPEG', async () => {
    const reply = await command(street, 'snapshot', { params: { channel: 1 } });
    expect(reply).toMatchObject({ ok: true, deviceId: street });
    const path = fileURLToPath(reply.result!.imageRef!);
    expect(existsSync(path)).toBe(true);
  });

  it('applies a configuration update and refuses unknown settings with the reason', async () => {
    expect(await command(street, 'config_update', { params: { settings: { heartbeatIntervalS: 15 } } })).toMatchObject({
      ok: true,
    });
    const bad = await command(street, 'config_update', {
      params: { settings: { colour: 'red', heartbeatIntervalS: 0 } },
    });
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/unknown setting "colour"/);
    expect(bad.error).toMatch(/heartbeatIntervalS must be an integer/);
  });

  it('moves a long-range camera to a preset; a street camera has no PTZ', async () => {
    expect(await command(eagle, 'ptz_preset', { params: { preset: 7 } })).toMatchObject({
      ok: true,
      result: { message: expect.stringMatching(/preset 7/) },
    });
    const refused = await command(street, 'ptz_preset', { params: { preset: 7 } });
    expect(refused).toMatchObject({ ok: false, error: expect.stringMatching(/has no PTZ control/) });
  });

  it('speaks on a loudspeaker only where there is one', async () => {
    expect(await command(eagle, 'loudspeaker', { params: { message: '请勿占道经营', repeat: 2 } })).toMatchObject({
      ok: true,
    });
    expect(await command(silentEagle, 'loudspeaker', { params: { message: '请勿占道经营' } })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/no loudspeaker/),
    });
  });

  it('answers unknown and malformed commands with an error and keeps working', async () => {
    expect(await command(street, 'self_destruct', { params: {} })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unknown command "self_destruct"/),
    });
    expect(await command(eagle, 'ptz_preset', { params: { preset: 'home' } })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/params of ptz_preset are invalid/),
    });
    expect(await command(street, 'snapshot', { params: {}, issuedAt: 'yesterday' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/malformed command/),
    });
    expect(
      await command(street, 'snapshot', {
        params: {},
        issuedAt: new Date(Date.now() - 5000).toISOString(),
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      }),
    ).toMatchObject({ ok: false, error: expect.stringMatching(/expired/) });
    // Not JSON at all: no requestId to answer to; the agent logs it and goes on.
    await hub.publishAsync(`${topics.root}/${street}/cmd/snapshot`, '{not json', { qos: 1 });
    expect(await command(street, 'snapshot', { params: {} })).toMatchObject({ ok: true });
  });

  it('reboots: replies first, goes offline by last will, comes back online', async () => {
    statuses.length = 0;
    expect(await command(eagle, 'reboot', { params: { delayS: 0 } })).toMatchObject({ ok: true });
    const deadline = Date.now() + 15_000;
    const seen = () => statuses.filter((s) => s.deviceId === eagle).map((s) => `${s.state}:${s.reason}`);
    while (!seen().includes('online:reconnect') && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen()).toEqual(['offline:last_will', 'online:reconnect']);
  });
});
