import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDeviceId } from '@citywatch/protocol';
import { BACKENDS } from '../support/backends';
import { freePort, ProjectMosquitto } from '../support/mosquitto';
import {
  expectStoredExactlyOnceInOrder,
  startDeliveryHub,
  storedIncidents,
  waitStored,
  type DeliveryHub,
} from './edge-hub-support';

const repository = resolve(__dirname, '..', '..');
const devices = [11, 12, 13].map((serial) => makeDeviceId({ kind: 'hd_camera', serial }));
const prefixOf = (deviceId: string) => `kill-${deviceId.slice(-2)}-`;

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

describe.each(BACKENDS)('edge agent killed with SIGKILL mid-stream, against the hub ($name)', (database) => {
  let broker: ProjectMosquitto;
  let hub: DeliveryHub;
  let dataDir: string;

  beforeEach(async () => {
    broker = await ProjectMosquitto.start();
    hub = await startDeliveryHub(broker, database, devices);
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-kill-'));
  });

  afterEach(async () => {
    await hub?.stop();
    await broker?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stores every accepted event exactly once, in order per device, across a broker outage, the kill and a restart', async () => {
    const port = await freePort();
    const configPath = join(dataDir, 'agent.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        broker: { url: broker.url, reconnectPeriodMs: 200 },
        topicRoot: hub.topicRoot,
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
      let last = 0;
      while (feeding) {
        const eventId = `${prefixOf(deviceId)}${String(n).padStart(6, '0')}`;
        // The event's time is fixed with its id, so a retry is the same event; each is later than the last.
        last = Math.max(Date.now(), last + 1);
        const body = JSON.stringify({
          deviceId,
          type: 'incident',
          eventId,
          time: new Date(last).toISOString(),
          incidentKind: 'crowding',
          confidence: 0.7,
        });
        for (;;) {
          const status = await fetch(`http://127.0.0.1:${port}/api/v1/notifications`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
          }).then(
            (r) => r.status,
            () => 0,
          );
          if (status === 202) break;
          if (!feeding) return;
          await new Promise((r) => setTimeout(r, 50)); // agent down: try the same event again
        }
        accepted.get(deviceId)!.push(eventId);
        n += 1;
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
    await waitStored(hub.hub, devices, acceptedIds);
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));
    await new Promise((r) => setTimeout(r, 500));

    const stored = await storedIncidents(hub.hub, devices);
    expectStoredExactlyOnceInOrder(stored, accepted, (deviceId, eventId) => eventId.startsWith(prefixOf(deviceId)));
  });
});
