/**
 * Alert latency from the MQTT publish to receipt at consoles, under load.
 *
 *   npm run build && npx tsx test/bench/alerts.bench.ts            (about 1.5 minutes)
 *   BENCH_QUICK=1 npx tsx test/bench/alerts.bench.ts               (under a minute)
 *   BENCH_BACKEND=embedded npx tsx test/bench/alerts.bench.ts      (PGlite + aedes instead of PostgreSQL + Mosquitto)
 *
 * Starts the built hub as a child process (default: the machine's PostgreSQL 15 and Mosquitto, a database and
 * topic root of its own), registers 1,000 cameras, connects 50 socket.io consoles (signed in, synced), then
 * publishes urban-management incidents at 1,000/s over MQTT (QoS 1). Every stored incident raises an alert
 * (or repeats the open one for its camera and kind); the hub pushes each change to all 50 consoles. For every
 * incident and every console, latency = receipt of the change naming the incident - its publish.
 * Prints progress, then ONE line of JSON: p50/p90/p99/max latency, deliveries, losses, hub CPU and RSS.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import {
  LIVE_NAMESPACE,
  TopicScheme,
  encodeMessage,
  makeDeviceId,
  type AlertChange,
  type AlertSyncReply,
  type ClientToServerEvents,
  type DeviceRegistration,
  type ServerToClientEvents,
  type TokenPair,
} from '@citywatch/protocol';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { MACHINE_MQTT_URL, createTestDatabase, uniqueName, uniqueTopicRoot } from '../support/services';

const QUICK = process.env.BENCH_QUICK === '1';
const BACKEND = process.env.BENCH_BACKEND === 'embedded' ? 'embedded' : 'machine services';
const CONSOLES = Number(process.env.BENCH_CONSOLES ?? 50);
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const WARMUP_S = QUICK ? 2 : 5;
const MEASURE_S = QUICK ? 10 : 45;
const CAMERAS = 1_000;
const TICK_MS = 10;
const TARGET_P99_MS = 100;
const KINDS = ['illegal_parking', 'street_vending', 'garbage_overflow', 'road_damage', 'crowding'] as const;
const ADMIN_PASSWORD = 'bench-admin-password-1';

type Console = Socket<ServerToClientEvents, ClientToServerEvents>;

interface HubProcess {
  child: ChildProcess;
  httpUrl: string;
  mqttUrl: string;
  topicRoot: string;
  stop(): Promise<void>;
}

/** The built hub (server/dist/main.js) as a child process, so its CPU and memory are its own. */
async function startHub({ env }: { env: Record<string, string> }): Promise<HubProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'citywatch-bench-'));
  const child = spawn(process.execPath, [resolve(__dirname, '../../server/dist/main.js')], {
    env: {
      ...process.env,
      HTTP_PORT: '0',
      HOST: '127.0.0.1',
      EMBEDDED_MQTT_PORT: '0',
      EMBEDDED_MQTT_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const ready = await new Promise<{ httpUrl: string; mqttUrl: string; topicRoot: string }>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${output.slice(-20).join('\n')}`)), 60_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (output.push(line) > 200) output.shift();
        if (!line.includes('"hub ready"')) return;
        clearTimeout(timer);
        resolvePromise(JSON.parse(line) as { httpUrl: string; mqttUrl: string; topicRoot: string });
      });
    }
    child.once('exit', (code) => reject(new Error(`hub exited with ${code}:\n${output.slice(-20).join('\n')}`)));
  });
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  return {
    child,
    ...ready,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** utime + stime of a process in seconds, and its resident memory in MiB, from /proc. */
function processUsage(pid: number): { cpuS: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: ticks / 100, rssMiB: rssKb / 1024 };
}

async function post<T>(url: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function main(): Promise<void> {
  const env: Record<string, string> = {
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD,
    DEVICE_AUTH: 'optional',
    RATE_LIMIT_PER_MINUTE: '100000',
    ALERT_ESCALATION_SWEEP_S: '3600',
  };
  let dropDatabase = async () => undefined as unknown;
  if (BACKEND === 'machine services') {
    const database = await createTestDatabase();
    dropDatabase = database.drop;
    Object.assign(env, {
      DATABASE_URL: database.url,
      MQTT_URL: MACHINE_MQTT_URL,
      TOPIC_ROOT: uniqueTopicRoot(),
      HUB_ID: uniqueName('bench'),
    });
  }
  let hub: HubProcess | undefined;
  const consoles: Console[] = [];
  let publisher: mqtt.MqttClient | undefined;
  try {
    hub = await startHub({ env });
    const hubPid = hub.child.pid!;
    console.error(`hub ${hub.httpUrl} (${BACKEND}), pid ${hubPid}`);
    const admin = await post<TokenPair>(`${hub.httpUrl}/api/auth/sign-in`, {
      username: 'admin',
      password: ADMIN_PASSWORD,
    });
    const cameras: DeviceRegistration[] = Array.from({ length: CAMERAS }, (_, i) => ({
      id: makeDeviceId({ kind: 'hd_camera', serial: 5_000 + i }),
      name: `Street camera ${i + 1}`,
      kind: 'hd_camera',
      lat: 45.6 + i / 10_000,
      lon: 126.6,
      place: `Street ${i % 40}`,
      area: `Area ${i % 8}`,
    }));
    await post(`${hub.httpUrl}/api/registry/import`, { tollgates: [], devices: cameras }, admin.accessToken);

    // Consoles: each records, for every incident named in a change, when it arrived.
    const published = new Map<string, number>();
    const latencies: number[] = [];
    let measuring = false;
    let deliveries = 0;
    let raisedChanges = 0;
    let repeatedChanges = 0;
    const received = new Map<string, number>();
    for (let i = 0; i < CONSOLES; i++) {
      const socket: Console = io(`${hub.httpUrl}${LIVE_NAMESPACE}`, {
        transports: ['websocket'],
        auth: { token: admin.accessToken },
        reconnection: false,
      });
      socket.on('alert:change', (change: AlertChange) => {
        const now = performance.now();
        if (i === 0) {
          if (change.kind === 'raised') raisedChanges++;
          else if (change.kind === 'repeated') repeatedChanges++;
        }
        for (const eventId of change.eventIds) {
          const sentAt = published.get(eventId);
          if (sentAt === undefined) continue;
          deliveries++;
          received.set(eventId, (received.get(eventId) ?? 0) + 1);
          if (measuring) latencies.push(now - sentAt);
        }
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('hello', () => resolve());
        socket.once('connect_error', reject);
      });
      const reply = (await socket.timeout(10_000).emitWithAck('alerts:sync', { lastSeq: 0 })) as AlertSyncReply;
      if (!reply.ok) throw new Error(`sync refused: ${reply.error.message}`);
      consoles.push(socket);
    }
    console.error(`${consoles.length} consoles connected and synced`);

    const topics = new TopicScheme(hub.topicRoot);
    publisher = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `bench-${randomUUID().slice(0, 8)}`,
      clean: true,
    });
    const perTick = (RATE * TICK_MS) / 1000;
    let sent = 0;
    let sequence = 0;
    const measuredIds: string[] = [];
    const publishFor = async (seconds: number, measure: boolean) => {
      const start = performance.now();
      const total = Math.round(seconds * RATE);
      let done = 0;
      while (done < total) {
        const due = Math.min(total, Math.round(((performance.now() - start) / 1000) * RATE) + perTick);
        for (; done < due; done++) {
          const camera = cameras[sequence % CAMERAS]!;
          const kind = KINDS[Math.floor(sequence / CAMERAS) % KINDS.length]!;
          sequence++;
          const eventId = randomUUID();
          const payload = encodeMessage('incident', {
            v: 1,
            eventId,
            deviceId: camera.id,
            at: new Date().toISOString(),
            kind,
            confidence: 0.9,
            description: 'seen by the bench',
          } as never);
          published.set(eventId, performance.now());
          if (measure) measuredIds.push(eventId);
          publisher!.publish(topics.event(camera.id, 'incident'), payload, { qos: 1 });
          sent++;
        }
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
      return (performance.now() - start) / 1000;
    };

    console.error(`warming up ${WARMUP_S} s at ${RATE}/s`);
    await publishFor(WARMUP_S, false);
    measuring = true;
    const before = processUsage(hubPid);
    let peakRss = before.rssMiB;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, processUsage(hubPid).rssMiB);
    }, 500);
    console.error(`measuring ${MEASURE_S} s at ${RATE}/s`);
    const publishSeconds = await publishFor(MEASURE_S, true);
    const after = processUsage(hubPid);
    clearInterval(sampler);
    // Let the tail arrive (each measured incident should reach every console).
    const drainStart = performance.now();
    while (performance.now() - drainStart < 15_000) {
      const missing = measuredIds.filter((id) => (received.get(id) ?? 0) < consoles.length).length;
      if (missing === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    measuring = false;
    const expected = measuredIds.length * consoles.length;
    const got = measuredIds.reduce((sum, id) => sum + Math.min(consoles.length, received.get(id) ?? 0), 0);
    const sorted = Float64Array.from(latencies).sort();
    const round = (value: number) => Math.round(value * 10) / 10;
    const result = {
      bench: 'alerts',
      quick: QUICK,
      backend: BACKEND,
      consoles: consoles.length,
      ratePerS: RATE,
      measuredS: round(publishSeconds),
      incidentsPublished: measuredIds.length,
      achievedRatePerS: Math.round(measuredIds.length / publishSeconds),
      deliveriesExpected: expected,
      deliveriesReceived: got,
      lost: expected - got,
      changesSeenByOneConsole: { raised: raisedChanges, repeated: repeatedChanges },
      latencyMs: {
        p50: round(percentile(sorted, 50)),
        p90: round(percentile(sorted, 90)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted[sorted.length - 1] ?? NaN),
      },
      hub: {
        cpuPercent: Math.round(((after.cpuS - before.cpuS) / publishSeconds) * 100),
        rssMiB: Math.round(after.rssMiB),
        peakRssMiB: Math.round(peakRss),
      },
      targetP99Ms: TARGET_P99_MS,
      targetMet: percentile(sorted, 99) <= TARGET_P99_MS && got === expected,
      totalPublished: sent,
    };
    console.log(JSON.stringify(result));
  } finally {
    for (const socket of consoles) socket.disconnect();
    await publisher?.endAsync().catch(() => undefined);
    await hub?.stop().catch(() => undefined);
    await dropDatabase().catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
