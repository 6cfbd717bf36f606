import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, TopicScheme, type HeartbeatPayload } from '@citywatch/protocol';
import { createSimulatedDistrict } from '../../edge-agent/src/simulator/simulated-district-agent';
import { EventCollector } from '../../edge-agent/test-support/event-collector';
import { ProjectMosquitto } from '../support/mosquitto';

describe('the district simulator against a real broker', () => {
  const topics = new TopicScheme(`sim-${Date.now().toString(36)}/v1`);
  let broker: ProjectMosquitto;
  let collector: EventCollector;
  let dataDir: string;

  beforeAll(async () => {
    broker = await ProjectMosquitto.start();
    collector = new EventCollector(broker.url, topics);
    await collector.start();
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-sim-'));
  });

  afterAll(async () => {
    await collector?.stop();
    await broker?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs all 309 devices on their own connections with valid events, statuses and heartbeats', async () => {
    const { agent, simulator } = await createSimulatedDistrict({
      broker: { url: broker.url },
      topicRoot: topics.root,
      dataDir,
      seed: 3,
      timeCompression: 60,
      // 08:00 in Harbin: the morning peak.
      startAt: new Date('2026-11-26T08:00:00+08:00').getTime(),
      heartbeatIntervalS: 2,
    });
    await agent.start();
    await agent.waitAllOnline(30_000);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    await agent.stop();

    const kinds = new Set(collector.events.map((event) => event.kind));
    expect(collector.invalid).toBe(0);
    expect(collector.events.length).toBeGreaterThan(1000);
    expect(kinds).toEqual(new Set(['passage', 'face', 'incident']));
    // Every lane and face checkpoint is busy at 08:00; street cameras report now and then.
    expect(new Set(collector.events.map((event) => event.deviceId)).size).toBeGreaterThanOrEqual(140);
    expect(simulator.stats().rejected).toEqual({});

    const heartbeats = collector.other
      .filter(({ topic }) => topic.endsWith('/heartbeat'))
      .map(({ topic, payload }) => decodeMessage('heartbeat', payload, { topicDeviceId: topics.parse(topic).deviceId }))
      .filter((decoded): decoded is { ok: true; value: HeartbeatPayload } => decoded.ok);
    expect(new Set(heartbeats.map((h) => h.value.deviceId)).size).toBe(309);
    const health = heartbeats[0].value.health;
    expect(health).toMatchObject({
      fps: expect.any(Number),
      cpuPercent: expect.any(Number),
      temperatureC: expect.any(Number),
      spoolDepth: expect.any(Number),
    });

    // After the clean stop every device's retained status says offline, shutdown.
    const reader = await mqtt.connectAsync(broker.url);
    const statuses = new Map<string, string>();
    reader.on('message', (topic, payload) => {
      const decoded = decodeMessage('status', payload);
      if (decoded.ok) statuses.set(decoded.value.deviceId, `${decoded.value.state}:${decoded.value.reason}`);
    });
    await reader.subscribeAsync(`${topics.root}/+/status`, { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await reader.endAsync();
    expect(statuses.size).toBe(309);
    expect(new Set(statuses.values())).toEqual(new Set(['offline:shutdown']));
  });
});
