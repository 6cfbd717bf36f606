import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeviceId, TopicScheme } from '@citywatch/protocol';
import { EventCollector } from '../../edge-agent/test-support/event-collector';
import { freePort, ProjectMosquitto } from '../support/mosquitto';

const repository = resolve(__dirname, '..', '..');
const devices = [11, 12, 13].map((serial) => makeDeviceId({ kind: 'hd_camera', serial }));

/** The agent as its own process (`citywatch-agent run`), so the test can SIGKILL it. */
function startAgent(configPath: string): ChildProcess {
  return spawn(
    process.execPath,
    ['--import', 'tsx', join(repository, 'edge-agent/src/cli.ts'), 'run', '--config', configPath],
    {
      cwd: repository,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'error' },
    },
  );
}

async function waitHealthy(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('agent did not come up');
}

describe('edge agent killed with SIGKILL mid-stream', () => {
  const topics = new TopicScheme(`kill-${Date.now().toString(36)}/v1`);
  let broker: ProjectMosquitto;
  let collector: EventCollector;
  let dataDir: string;

  beforeAll(async () => {
    broker = await ProjectMosquitto.start();
    collector = new EventCollector(broker.url, topics);
    await collector.start();
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-kill-'));
  });

  afterAll(async () => {
    await collector?.stop();
    await broker?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers every accepted event exactly once after dedupe, in order per device, across a broker outage, the kill and a restart', async () => {
    const port = await freePort();
    const configPath = join(dataDir, 'agent.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        broker: { url: broker.url, reconnectPeriodMs: 200 },
        topicRoot: topics.root,
        dataDir: './agent-data',
        spool: { sync: 'commit' },
        publish: { window: 16, backlogRatePerS: 500 },
        devices: devices.map((id) => ({ id, kind: 'hd_camera', secret: `secret-${id}` })),
        sources: [{ type: 'http', host: '127.0.0.1', port }],
      }),
    );
    let agent = startAgent(configPath);
    await waitHealthy(port);

    const accepted = new Map<string, string[]>(devices.map((id) => [id, []]));
    let feeding = true;
    const feeders = devices.map(async (deviceId) => {
      let n = 0;
      while (feeding) {
        const eventId = `kill-${deviceId.slice(-2)}-${String(n).padStart(6, '0')}`;
        const status = await fetch(`http://127.0.0.1:${port}/api/v1/notifications`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            deviceId,
            type: 'incident',
            eventId,
            time: new Date().toISOString(),
            incidentKind: 'crowding',
            confidence: 0.7,
          }),
        }).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 202) {
          accepted.get(deviceId)!.push(eventId);
          n += 1;
        } else await new Promise((r) => setTimeout(r, 50)); // agent down: try the same event again
      }
    });

    await new Promise((r) => setTimeout(r, 1000));
    // The broker goes away first, so the agent dies with a backlog in its spool.
    await broker.stop();
    await new Promise((r) => setTimeout(r, 700));
    agent.kill('SIGKILL');
    await new Promise((r) => agent.once('exit', r));
    const atKill = [...accepted.values()].reduce((sum, ids) => sum + ids.length, 0);
    await new Promise((r) => setTimeout(r, 500));
    agent = startAgent(configPath);
    await waitHealthy(port);
    await new Promise((r) => setTimeout(r, 500));
    await broker.start();
    await new Promise((r) => setTimeout(r, 1500));
    feeding = false;
    await Promise.all(feeders);

    const total = [...accepted.values()].reduce((sum, ids) => sum + ids.length, 0);
    expect(atKill).toBeGreaterThan(30);
    expect(total).toBeGreaterThan(atKill);
    const acceptedIds = new Set([...accepted.values()].flat());
    await collector.waitFor(
      () => [...acceptedIds].every((id) => collector.seen.has(id)),
      30_000,
      `${total} accepted events`,
    );
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));

    expect(collector.invalid).toBe(0);
    for (const deviceId of devices) {
      const arrived = collector.byDevice(deviceId).map((event) => event.eventId);
      // Only events the feeder offered arrive; the accepted ones all arrive, in the order they were accepted.
      expect(arrived.filter((id) => acceptedIds.has(id))).toEqual(accepted.get(deviceId));
      expect(arrived.every((id) => id.startsWith(`kill-${deviceId.slice(-2)}-`))).toBe(true);
    }
  });
});
