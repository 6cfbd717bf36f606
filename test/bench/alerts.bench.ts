/**
 * Alert latency from the MQTT publish to receipt at consoles, under load.
 *
 *   npm run build && npx tsx test/bench/alerts.bench.ts            (about 1.5 minutes)
 *   BENCH_QUICK=1 npx tsx test/bench/alerts.bench.ts               (under a minute)
 *   BENCH_BACKEND=embedded npx tsx test/bench/alerts.bench.ts      (PGlite + aedes instead of PostgreSQL + Mosquitto)
 *
 * Starts the built hub as a child process (default: the machine's PostgreSQL 15 and Mosquitto, a database and
 * topic root of its own), registers the cameras, connects 50 socket.io consoles (signed in, synced), then
 * publishes urban-management incidents at 1,000/s over MQTT (QoS 1). An incident's alert is deduplicated by
 * camera and kind, so the bench registers enough cameras that no (camera, kind) pair comes twice in a run:
 * every incident, in the warm-up and in the measured window, raises a NEW alert (BENCH_CAMERAS=1000 instead
 * measures repeats folded into alerts already open). The hub pushes each change to all 50 consoles. For every
 * incident and every console, latency = receipt of the change naming the incident - its publish.
 * Prints progress, how many measured incidents raised a new alert and how many repeated an open one, then ONE
 * line of JSON: p50/p90/p99/max latency, deliveries, losses, new alerts vs repeats, hub CPU and RSS.
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
const CONSOLE_PROCESSES = Number(process.env.BENCH_CONSOLE_PROCESSES ?? 2);
/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
const now = () => performance.timeOrigin + performance.now();
const RATE = Number(process.env.BENCH_RATE ?? 1_000);
const WARMUP_S = QUICK ? 2 : 5;
const MEASURE_S = QUICK ? 10 : 45;
const TICK_MS = 10;
const TARGET_P99_MS = 100;
const KINDS = ['illegal_parking', 'street_vending', 'garbage_overflow', 'road_damage', 'crowding'] as const;
/** Incidents published in the whole run (warm-up and measured window). */
const INCIDENTS = Math.round((WARMUP_S + MEASURE_S) * RATE);
/**
 * Enough cameras that each incident has a (camera, kind) pair of its own, hence a dedupe key no open alert has:
 * each one raises a new alert (10,000 cameras at 1,000/s, 2,400 quick).
 */
const CAMERAS = Number(process.env.BENCH_CAMERAS ?? Math.ceil(INCIDENTS / KINDS.length));
/** Marks the event ids of incidents published in the measured window. */
const MEASURED_MARK = 'm';
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

interface GroupReport {
  /** (console, measured incident) deliveries in the window. */
  received: number;
  latencies: number[];
  /** Changes of each kind seen by the group's first console, over the whole run. */
  raised: number;
  repeated: number;
  /** Measured incidents (seen by the first console) that raised a new alert, and that repeated an open one. */
  measuredNew: number;
  measuredRepeats: number;
}

interface ConsoleGroup {
  count: number;
  report(windowStart: number, windowEnd: number, full: boolean): Promise<GroupReport>;
  stop(): void;
}

/** Starts this script again as a group of consoles (BENCH_ROLE=consoles), talking over IPC. */
async function startConsoleGroup(httpUrl: string, token: string, count: number): Promise<ConsoleGroup> {
  const child = spawn(process.execPath, [...process.execArgv, __filename], {
    env: { ...process.env, BENCH_ROLE: 'consoles', BENCH_HUB: httpUrl, BENCH_TOKEN: token, BENCH_COUNT: String(count) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolvePromise, reject) => {
    child.once('message', (message: { ready?: boolean; error?: string }) =>
      message.ready ? resolvePromise() : reject(new Error(message.error)),
    );
    child.once('exit', (code) => reject(new Error(`console group exited with ${code}`)));
  });
  return {
    count,
    report: (windowStart, windowEnd, full) =>
      new Promise<GroupReport>((resolvePromise) => {
        child.once('message', (message: GroupReport) => resolvePromise(message));
        child.send({ windowStart, windowEnd, full });
      }),
    stop: () => child.kill('SIGTERM'),
  };
}

/** A group of consoles: connect, sign in, sync, then note when each change arrives. */
async function runConsoleGroup(): Promise<void> {
  const httpUrl = process.env.BENCH_HUB!;
  const count = Number(process.env.BENCH_COUNT);
  const arrivals: { sentAt: Float64Array; latency: Float64Array; length: number } = {
    sentAt: new Float64Array(1 << 20),
    latency: new Float64Array(1 << 20),
    length: 0,
  };
  let raised = 0;
  let repeated = 0;
  let measuredNew = 0;
  let measuredRepeats = 0;
  const sockets: Console[] = [];
  for (let i = 0; i < count; i++) {
    const socket: Console = io(`${httpUrl}${LIVE_NAMESPACE}`, {
      transports: ['websocket'],
      auth: { token: process.env.BENCH_TOKEN },
      reconnection: false,
    });
    socket.on('alert:change', (change: AlertChange) => {
      const at = now();
      if (i === 0) {
        if (change.kind === 'raised') raised++;
        else if (change.kind === 'repeated') repeated++;
        // A raise merges the incidents of one key in a batch: the first opened the alert, the others repeat it.
        change.eventIds.forEach((eventId, index) => {
          if (!eventId.startsWith('b-') || !eventId.endsWith(`-${MEASURED_MARK}`)) return;
          if (change.kind === 'raised' && index === 0) measuredNew++;
          else measuredRepeats++;
        });
      }
      for (const eventId of change.eventIds) {
        if (!eventId.startsWith('b-')) continue;
        const sentAt = Number(eventId.slice(2, eventId.indexOf('-', 2)));
        if (arrivals.length === arrivals.sentAt.length) {
          const grow = (array: Float64Array) => {
            const bigger = new Float64Array(array.length * 2);
            bigger.set(array);
            return bigger;
          };
          arrivals.sentAt = grow(arrivals.sentAt);
          arrivals.latency = grow(arrivals.latency);
        }
        arrivals.sentAt[arrivals.length] = sentAt;
        arrivals.latency[arrivals.length] = at - sentAt;
        arrivals.length++;
      }
    });
    await new Promise<void>((resolvePromise, reject) => {
      socket.once('hello', () => resolvePromise());
      socket.once('connect_error', reject);
    });
    const reply = (await socket.timeout(10_000).emitWithAck('alerts:sync', { lastSeq: 0 })) as AlertSyncReply;
    if (!reply.ok) throw new Error(`sync refused: ${reply.error.message}`);
    sockets.push(socket);
  }
  process.on(
    'message',
    ({ windowStart, windowEnd, full }: { windowStart: number; windowEnd: number; full: boolean }) => {
      const latencies: number[] = [];
      for (let i = 0; i < arrivals.length; i++) {
        const sentAt = arrivals.sentAt[i]!;
        if (sentAt >= windowStart && sentAt <= windowEnd) latencies.push(arrivals.latency[i]!);
      }
      process.send!({
        received: latencies.length,
        latencies: full ? latencies : [],
        raised,
        repeated,
        measuredNew,
        measuredRepeats,
      } satisfies GroupReport);
    },
  );
  process.on('SIGTERM', () => {
    for (const socket of sockets) socket.disconnect();
    process.exit(0);
  });
  process.send!({ ready: true });
}

async function main(): Promise<void> {
  const env: Record<string, string> = {
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD,
    DEVICE_AUTH: 'optional',
    RATE_LIMIT_PER_MINUTE: '100000',
    ALERT_ESCALATION_SWEEP_S: '3600',
  };
  // Hub settings to try (e.g. INGEST_FLUSH_MS=5) pass through.
  for (const key of ['INGEST_FLUSH_MS', 'INGEST_BATCH_SIZE', 'DATABASE_POOL_SIZE']) {
    if (process.env[key]) env[key] = process.env[key];
  }
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
  const groupsToStop: ConsoleGroup[] = [];
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
    console.error(
      `${CAMERAS} cameras x ${KINDS.length} kinds = ${CAMERAS * KINDS.length} dedupe keys for ${INCIDENTS} incidents`,
    );

    // Consoles run in child processes (as they would on their own machines), so their decoding does not
    // slow the publisher; each works out latency from the publish time carried in the incident's event id.
    const groups: ConsoleGroup[] = [];
    for (let g = 0; g < CONSOLE_PROCESSES; g++) {
      const count = Math.floor(CONSOLES / CONSOLE_PROCESSES) + (g < CONSOLES % CONSOLE_PROCESSES ? 1 : 0);
      groups.push(await startConsoleGroup(hub.httpUrl, admin.accessToken, count));
      groupsToStop.push(groups[groups.length - 1]!);
    }
    const consoleCount = groups.reduce((sum, group) => sum + group.count, 0);
    console.error(`${consoleCount} consoles connected and synced in ${groups.length} processes`);

    const topics = new TopicScheme(hub.topicRoot);
    publisher = await mqtt.connectAsync(hub.mqttUrl, {
      clientId: `bench-${randomUUID().slice(0, 8)}`,
      clean: true,
    });
    const perTick = (RATE * TICK_MS) / 1000;
    let sent = 0;
    let sequence = 0;
    let measured = 0;
    const publishFor = async (seconds: number, measure: boolean) => {
      const start = performance.now();
      const total = Math.round(seconds * RATE);
      let done = 0;
      while (done < total) {
        const due = Math.min(total, Math.round(((performance.now() - start) / 1000) * RATE) + perTick);
        for (; done < due; done++) {
          // Every camera with the first kind, then every camera with the next: a pair comes again only after
          // CAMERAS x KINDS incidents (never, with the default number of cameras).
          const camera = cameras[sequence % CAMERAS]!;
          const kind = KINDS[Math.floor(sequence / CAMERAS) % KINDS.length]!;
          sequence++;
          // The event id carries the publish time (epoch ms, sub-ms precision) for the consoles, and marks the
          // measured window.
          const eventId = `b-${now().toFixed(3)}-${sequence}${measure ? `-${MEASURED_MARK}` : ''}`;
          const payload = encodeMessage('incident', {
            v: 1,
            eventId,
            deviceId: camera.id,
            at: new Date().toISOString(),
            kind,
            confidence: 0.9,
            description: 'seen by the bench',
          } as never);
          if (measure) measured++;
          publisher!.publish(topics.event(camera.id, 'incident'), payload, { qos: 1 });
          sent++;
        }
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
      return (performance.now() - start) / 1000;
    };

    console.error(`warming up ${WARMUP_S} s at ${RATE}/s`);
    await publishFor(WARMUP_S, false);
    const windowStart = now();
    const before = processUsage(hubPid);
    let peakRss = before.rssMiB;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, processUsage(hubPid).rssMiB);
    }, 500);
    console.error(`measuring ${MEASURE_S} s at ${RATE}/s`);
    const publishSeconds = await publishFor(MEASURE_S, true);
    const windowEnd = now();
    const after = processUsage(hubPid);
    clearInterval(sampler);
    // Let the tail arrive: every measured incident should reach every console.
    const expected = measured * consoleCount;
    let reports: GroupReport[] = [];
    const drainStart = performance.now();
    do {
      await new Promise((resolvePromise) => setTimeout(resolvePromise, 500));
      reports = await Promise.all(groups.map((group) => group.report(windowStart, windowEnd, false)));
    } while (
      reports.reduce((sum, report) => sum + report.received, 0) < expected &&
      performance.now() - drainStart < 15_000
    );
    reports = await Promise.all(groups.map((group) => group.report(windowStart, windowEnd, true)));
    const got = reports.reduce((sum, report) => sum + report.received, 0);
    const sorted = Float64Array.from(reports.flatMap((report) => report.latencies)).sort();
    const raisedChanges = reports[0]?.raised ?? 0;
    const repeatedChanges = reports[0]?.repeated ?? 0;
    const measuredNew = reports[0]?.measuredNew ?? 0;
    const measuredRepeats = reports[0]?.measuredRepeats ?? 0;
    const round = (value: number) => Math.round(value * 10) / 10;
    console.error(
      `measured window: ${measured} incidents published, ${measuredNew} raised a new alert ` +
        `(${Math.round(measuredNew / publishSeconds)}/s), ${measuredRepeats} repeated an open one`,
    );
    if (measuredRepeats > 0 && process.env.BENCH_CAMERAS === undefined) {
      console.error('warning: some measured incidents repeated open alerts; expected every one to raise a new alert');
    }
    const result = {
      bench: 'alerts',
      quick: QUICK,
      backend: BACKEND,
      consoles: consoleCount,
      ratePerS: RATE,
      measuredS: round(publishSeconds),
      incidentsPublished: measured,
      achievedRatePerS: Math.round(measured / publishSeconds),
      deliveriesExpected: expected,
      deliveriesReceived: got,
      lost: expected - got,
      cameras: CAMERAS,
      measuredWindow: {
        newAlerts: measuredNew,
        repeats: measuredRepeats,
        newAlertsPerS: Math.round(measuredNew / publishSeconds),
      },
      changesSeenByOneConsoleGroup: { raised: raisedChanges, repeated: repeatedChanges },
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
    for (const group of groupsToStop) group.stop();
    await publisher?.endAsync().catch(() => undefined);
    await hub?.stop().catch(() => undefined);
    await dropDatabase().catch(() => undefined);
  }
}

(process.env.BENCH_ROLE === 'consoles' ? runConsoleGroup() : main()).then(
  () => {
    if (process.env.BENCH_ROLE !== 'consoles') process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    if (process.send) process.send({ error: String(error) });
    process.exit(1);
  },
);
