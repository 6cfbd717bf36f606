import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDeviceId, TopicScheme } from '@citywatch/protocol';
import { EdgeAgent } from '../../edge-agent/src/agent/edge-agent';
import { EventCollector } from '../../edge-agent/test-support/event-collector';
import { ProjectMosquitto } from '../support/mosquitto';

const devices = [1, 2, 3].map((serial) => ({
  id: makeDeviceId({ kind: 'hd_camera', serial }),
  kind: 'hd_camera' as const,
}));

function incident(n: number) {
  return {
    kind: 'incident' as const,
    payload: {
      at: new Date().toISOString(),
      kind: 'illegal_parking' as const,
      confidence: 0.9,
      description: `event ${n}`,
    },
  };
}

describe('edge agent store and forward through a broker restart', () => {
  let broker: ProjectMosquitto;
  let collector: EventCollector;
  let dataDir: string;
  const topics = new TopicScheme(`test-${Date.now().toString(36)}/v1`);

  beforeEach(async () => {
    broker = await ProjectMosquitto.start();
    collector = new EventCollector(broker.url, topics);
    await collector.start();
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-agent-'));
  });

  afterEach(async () => {
    await collector.stop();
    await broker.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every accepted event exactly once after dedupe, in order per device, across a broker outage', async () => {
    const agent = new EdgeAgent({
      devices,
      broker: { url: broker.url, reconnectPeriodMs: 200 },
      topicRoot: topics.root,
      dataDir,
      publish: { window: 16 },
    });
    await agent.start();
    await agent.waitAllOnline();

    const accepted = new Map<string, string[]>(devices.map((d) => [d.id, []]));
    let running = true;
    const feeders = devices.map(async (device) => {
      let n = 0;
      while (running) {
        const { eventId } = await agent.sink.submit(device.id, incident(n++));
        accepted.get(device.id)!.push(eventId);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    });

    await new Promise((resolve) => setTimeout(resolve, 1000));
    await broker.stop();
    const atOutage = agent.stats().acknowledged;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(agent.stats().acknowledged).toBe(atOutage);
    expect(agent.spool.depth()).toBeGreaterThan(50);
    await broker.start();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    running = false;
    await Promise.all(feeders);

    const total = [...accepted.values()].reduce((sum, ids) => sum + ids.length, 0);
    await collector.waitFor(() => collector.events.length >= total, 30_000, `${total} events`);
    await agent.stop();

    expect(collector.invalid).toBe(0);
    for (const device of devices) {
      expect(collector.byDevice(device.id).map((event) => event.eventId)).toEqual(accepted.get(device.id));
    }
    expect(collector.events).toHaveLength(total);
    expect(agent.spool.stats().depth).toBe(0);
  });
});
