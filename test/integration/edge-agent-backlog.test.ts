import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDeviceId, TopicScheme } from '@citywatch/protocol';
import { EdgeAgent } from '../../edge-agent/src/agent/edge-agent';
import { ProjectMosquitto } from '../support/mosquitto';

/**
 * The backlog after an outage or a restart goes out at `publish.backlogRatePerS`, then live events
 * follow unpaced. Measured on the agent's acknowledgements from a real broker.
 */
const camera = makeDeviceId({ kind: 'hd_camera', serial: 41 });
const RATE = 50;
const BACKLOG = 150;
const WINDOW = 8;

function incident(n: number) {
  return {
    kind: 'incident' as const,
    payload: { at: new Date().toISOString(), kind: 'crowding' as const, confidence: 0.8, description: `n ${n}` },
  };
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('edge agent backlog rate', () => {
  const topics = new TopicScheme(`backlog-${Date.now().toString(36)}/v1`);
  let broker: ProjectMosquitto;
  let dataDir: string;
  const agents: EdgeAgent[] = [];

  beforeEach(async () => {
    broker = await ProjectMosquitto.start();
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-backlog-'));
  });

  afterEach(async () => {
    for (const agent of agents.splice(0)) await agent.stop(0).catch(() => undefined);
    await broker.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const newAgent = () => {
    const agent = new EdgeAgent({
      devices: [{ id: camera, kind: 'hd_camera' }],
      broker: { url: broker.url, reconnectPeriodMs: 100 },
      topicRoot: topics.root,
      dataDir,
      publish: { window: WINDOW, backlogRatePerS: RATE },
    });
    agents.push(agent);
    return agent;
  };

  /** When the device's connection next comes up. */
  function nextOnline(agent: EdgeAgent): Promise<number> {
    return new Promise((resolve) => agent.connection(camera).once('online', () => resolve(Date.now())));
  }

  /**
   * The backlog takes what pacing takes (less the burst and the window handed to the client before the
   * link came back), counted from the moment the link is up; live events after it are not paced.
   */
  async function expectPacedThenLive(agent: EdgeAgent, online: Promise<number>, target: number): Promise<void> {
    const upAt = await online;
    await waitFor(() => agent.stats().acknowledged >= target, 20_000, `${BACKLOG} backlog acknowledgements`);
    const seconds = (Date.now() - upAt) / 1000;
    const paced = BACKLOG - WINDOW - Math.ceil(RATE / 10);
    expect(seconds).toBeGreaterThan((paced / RATE) * 0.85);
    expect(seconds).toBeLessThan((BACKLOG / RATE) * 1.6 + 1);
    await waitFor(() => agent.spool.depth() === 0, 1000, 'the spool to empty');
    // Live events after the backlog: as fast as acknowledgements come, far above the backlog rate.
    const liveStart = Date.now();
    const before = agent.stats().acknowledged;
    await Promise.all(Array.from({ length: 200 }, (_, n) => agent.sink.submit(camera, incident(10_000 + n))));
    await waitFor(() => agent.stats().acknowledged >= before + 200, 5000, 'the live events acknowledged');
    expect((Date.now() - liveStart) / 1000).toBeLessThan(200 / RATE / 4);
  }

  it('sends what waited during a broker outage at the backlog rate after the reconnection', async () => {
    const agent = newAgent();
    await agent.start();
    await agent.waitAllOnline();
    const acknowledgedBefore = agent.stats().acknowledged;
    await broker.stop();
    await waitFor(() => agent.stats().online === 0, 5000, 'the agent to notice the outage');
    for (let n = 0; n < BACKLOG; n += 1) await agent.sink.submit(camera, incident(n));
    expect(agent.spool.depth()).toBe(BACKLOG);
    const online = nextOnline(agent);
    await broker.start();
    await expectPacedThenLive(agent, online, acknowledgedBefore + BACKLOG);
  });

  it('sends what was in the spool when the agent restarts at the backlog rate', async () => {
    await broker.stop();
    const first = newAgent();
    await first.start();
    for (let n = 0; n < BACKLOG; n += 1) await first.sink.submit(camera, incident(n));
    await first.stop(0);
    agents.splice(agents.indexOf(first), 1);

    await broker.start();
    const second = newAgent();
    expect(second.spool.depth()).toBe(BACKLOG);
    const online = nextOnline(second);
    await second.start();
    await expectPacedThenLive(second, online, BACKLOG);
  });
});
