import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDeviceId } from '@citywatch/protocol';
import { EdgeAgent } from '../../edge-agent/src/agent/edge-agent';
import { BACKENDS } from '../support/backends';
import { ProjectMosquitto } from '../support/mosquitto';
import {
  expectStoredExactlyOnceInOrder,
  startDeliveryHub,
  storedIncidents,
  waitStored,
  type DeliveryHub,
} from './edge-hub-support';

const devices = [1, 2, 3].map((serial) => ({
  id: makeDeviceId({ kind: 'hd_camera', serial }),
  kind: 'hd_camera' as const,
}));
const deviceIds = devices.map((device) => device.id);

function incident(n: number, at: number) {
  return {
    kind: 'incident' as const,
    payload: {
      at: new Date(at).toISOString(),
      kind: 'illegal_parking' as const,
      confidence: 0.9,
      description: `event ${n}`,
    },
  };
}

describe.each(BACKENDS)('edge agent to the hub ($name) through a broker restart', (database) => {
  let broker: ProjectMosquitto;
  let hub: DeliveryHub;
  let dataDir: string;

  beforeEach(async () => {
    broker = await ProjectMosquitto.start();
    hub = await startDeliveryHub(broker, database, deviceIds);
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-agent-'));
  });

  afterEach(async () => {
    await hub?.stop();
    await broker?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every accepted event exactly once, in order per device, across a broker outage', async () => {
    const agent = new EdgeAgent({
      devices,
      broker: { url: broker.url, reconnectPeriodMs: 200 },
      topicRoot: hub.topicRoot,
      dataDir,
      publish: { window: 16 },
    });
    await agent.start();
    await agent.waitAllOnline();

    const accepted = new Map<string, string[]>(deviceIds.map((id) => [id, []]));
    let running = true;
    const feeders = devices.map(async (device) => {
      let n = 0;
      let last = 0;
      while (running) {
        // Each accepted event is later, by the agent's clock, than the one before: the order to check.
        last = Math.max(Date.now(), last + 1);
        const { eventId } = await agent.sink.submit(device.id, incident(n++, last));
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

    const acceptedIds = new Set([...accepted.values()].flat());
    await waitStored(hub.hub, deviceIds, acceptedIds);
    await agent.stop();
    // Late repeats (a resend after the reconnection) would show now.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const stored = await storedIncidents(hub.hub, deviceIds);
    expectStoredExactlyOnceInOrder(stored, accepted);
    expect([...stored.values()].flat()).toHaveLength(acceptedIds.size);
    expect(agent.spool.stats().depth).toBe(0);
  });
});
