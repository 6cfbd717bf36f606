/**
 * npm run bench:scale — ingest with one, two and three hub replicas on this machine: passages over MQTT
 * (QoS 1, a Mosquitto started with infra/mosquitto/mosquitto.conf, one shared-subscription group) into
 * the machine's PostgreSQL, published at 30,000/s by worker threads. Prints the
 * three side by side (events/s, and events per CPU-second of the hubs, which does not depend on how
 * many cores the machine has or how busy it is), the bytes each kind of event takes in the database
 * (from a run of the simulated district), and the replicas a city of 30,000 devices needs.
 * BENCH_QUICK=1 shortens every phase. Ends with one line of JSON.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { REPO_ROOT, TEST_ADMIN, registerEstate, type HubProcess } from '../support/hub';
import { ProjectMosquitto } from '../support/mosquitto';
import { createTestDatabase, uniqueTopicRoot } from '../support/services';
import { ReplicaSet, duplicatesAt, storedBy } from './scale-replicas';
import { benchLanes, type BenchLane } from './bench-estate';
import { publishFromThreads } from './publisher-threads';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = QUICK ? 10 : 40;
const PUBLISHERS = 2;
/**
 * Passages offered per second in each phase, as in the ingest benchmark: more than the replicas take here
 * (what they cannot take at once waits in the broker), and bounded, so the broker's queue stays far below
 * max_queued_messages and a phase drains within its deadline.
 */
const OFFERED_RATE = 30_000;
const CITY_DEVICES = 30_000;
const DISTRICT_DEVICES = 309;
/** A replica is sized to run at this share of what it can take, leaving room for bursts and rules. */
const TARGET_UTILISATION = 0.6;

type Lane = BenchLane;

async function publish(url: string, topicRoot: string, lanes: Lane[], seconds: number): Promise<number> {
  const { acked } = await publishFromThreads({
    url,
    topicRoot,
    lanes,
    seconds,
    totalRate: OFFERED_RATE,
    workers: PUBLISHERS,
    name: 'scale-pub',
  });
  return acked;
}

/** User + system CPU seconds a process has used (Linux /proc). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function count(client: pg.Client, table = 'passages'): Promise<number> {
  return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
}

interface PhaseResult {
  replicas: number;
  published: number;
  stored: number;
  seconds: number;
  eventsPerSecond: number;
  hubCpuSeconds: number;
  eventsPerHubCpuSecond: number;
  shares: number[];
  duplicates: number;
}

async function phase(broker: ProjectMosquitto, replicas: number): Promise<PhaseResult> {
  const database = await createTestDatabase();
  const topicRoot = uniqueTopicRoot();
  // No Redis: nothing here is pushed to consoles, and under a full-speed burst a hub with the socket.io
  // Redis adapter has been seen to exit on an unhandled Redis command timeout (reported to the alerts module).
  const set = await ReplicaSet.start({
    replicas,
    brokerUrl: broker.url,
    databaseUrl: database.url,
    topicRoot,
    redisUrl: null,
  });
  const client = new pg.Client({ connectionString: database.url });
  try {
    const estate = benchLanes();
    await registerEstate(set.hub(0).httpUrl, estate);
    await client.connect();
    const cpuBefore = set.running.map((hub) => cpuSeconds(hub.child.pid!));
    const started = performance.now();
    const published = await publish(broker.url, topicRoot, estate.lanes, SECONDS);
    const deadline = Date.now() + 180_000;
    let stored = 0;
    while (Date.now() < deadline && (stored = await count(client)) < published) {
      const gone = set.running.find((hub) => hub.child.exitCode !== null || hub.child.signalCode !== null);
      if (gone) {
        throw new Error(
          `a replica exited (${gone.child.exitCode ?? gone.child.signalCode}):\n${gone.output.slice(-20).join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    const hubCpuSeconds = set.running.reduce((sum, hub, i) => sum + cpuSeconds(hub.child.pid!) - cpuBefore[i]!, 0);
    const shares = await Promise.all(set.running.map((hub: HubProcess) => storedBy(hub)));
    const duplicates = (await Promise.all(set.running.map((hub: HubProcess) => duplicatesAt(hub)))).reduce(
      (a, b) => a + b,
      0,
    );
    return {
      replicas,
      published,
      stored,
      seconds: Math.round(seconds * 10) / 10,
      eventsPerSecond: Math.round(stored / seconds),
      hubCpuSeconds: Math.round(hubCpuSeconds * 10) / 10,
      eventsPerHubCpuSecond: Math.round(stored / hubCpuSeconds),
      shares,
      duplicates,
    };
  } finally {
    await client.end().catch(() => undefined);
    await set.stop();
    await database.drop();
  }
}

/** Bytes per row (table, indexes and TOAST) of each kind of event, from the simulated district. */
async function bytesPerEvent(broker: ProjectMosquitto): Promise<Record<string, number>> {
  const database = await createTestDatabase();
  const topicRoot = uniqueTopicRoot();
  const set = await ReplicaSet.start({
    replicas: 1,
    brokerUrl: broker.url,
    databaseUrl: database.url,
    topicRoot,
    redisUrl: null,
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'citywatch-scale-sim-'));
  const client = new pg.Client({ connectionString: database.url });
  try {
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'edge-agent/dist/cli.js'),
        'simulate',
        '--broker',
        broker.url,
        '--hub',
        set.hub(0).httpUrl,
        '--topic-root',
        topicRoot,
        '--data-dir',
        dataDir,
        '--multiplier',
        '200',
        '--no-faults',
      ],
      {
        env: {
          ...process.env,
          ADMIN_USERNAME: TEST_ADMIN.username,
          ADMIN_PASSWORD: TEST_ADMIN.password,
          LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      },
    );
    await client.connect();
    // What the empty tables (and their indexes) take already, so a small sample is not skewed by it.
    const sizeOf = async (table: string) =>
      Number(
        (await client.query<{ n: string }>(`SELECT pg_total_relation_size($1::regclass) AS n`, [table])).rows[0]!.n,
      );
    const empty: Record<string, number> = {};
    for (const table of ['passages', 'face_captures', 'incidents']) empty[table] = await sizeOf(table);
    const deadline = Date.now() + (QUICK ? 20_000 : 60_000);
    while (Date.now() < deadline && (await count(client, 'face_captures')) < (QUICK ? 3_000 : 20_000)) {
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    await new Promise((r) => setTimeout(r, 2_000));
    await client.query('VACUUM ANALYZE');
    const sizes: Record<string, number> = {};
    for (const table of ['passages', 'face_captures', 'incidents']) {
      const rows = await count(client, table);
      const bytes = (await sizeOf(table)) - empty[table]!;
      sizes[table] = rows > 0 ? Math.round(bytes / rows) : 0;
      sizes[`${table}Rows`] = rows;
    }
    return sizes;
  } finally {
    await client.end().catch(() => undefined);
    await set.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function districtVolumes(): Promise<{
  passages: number;
  faces: number;
  incidents: number;
  busiestHour: { eventsPerS: number };
}> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'edge-agent/dist/cli.js'), 'volumes', '--seed', '42'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await new Promise((r) => child.once('exit', r));
  return JSON.parse(text);
}

async function main(): Promise<void> {
  const broker = await ProjectMosquitto.start();
  const results: PhaseResult[] = [];
  let sizes: Record<string, number>;
  try {
    for (const replicas of [1, 2, 3]) {
      console.error(`${replicas} replica(s): publishing ${OFFERED_RATE}/s for ${SECONDS} s`);
      results.push(await phase(broker, replicas));
    }
    console.error('database size per event: the simulated district into one hub');
    sizes = await bytesPerEvent(broker);
  } finally {
    await broker.dispose();
  }

  const volumes = await districtVolumes();
  const gib = (bytes: number) => Math.round((bytes / 2 ** 30) * 100) / 100;
  const districtBytesPerDay =
    volumes.passages * sizes.passages! + volumes.faces * sizes.face_captures! + volumes.incidents * sizes.incidents!;
  const scale = CITY_DEVICES / DISTRICT_DEVICES;
  const cityPeakEventsPerSecond = Math.round(volumes.busiestHour.eventsPerS * scale);
  // The architecture's planning figure: a district peaks at 10^2-10^3 events/s (bursts, not the hourly
  // mean the simulator gives); the upper end, scaled to the city, is what the replicas are sized for.
  const cityDesignPeakEventsPerSecond = Math.round(1_000 * scale);
  // What one replica takes: measured with one replica here (sharing two cores with the broker, the
  // database and the publishers), and from the hub's events per CPU-second for a replica with two cores.
  const single = results[0]!;
  const perReplicaHere = single.eventsPerSecond;
  const perReplicaTwoCores = Math.round(single.eventsPerHubCpuSecond * 2);
  const replicasFor = (rate: number, perReplica: number) =>
    Math.max(2, Math.ceil(rate / (perReplica * TARGET_UTILISATION)));

  console.error('');
  console.error(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'})`);
  console.error('replicas | published | stored  | seconds | events/s | hub CPU-s | events/hub CPU-s | shares');
  for (const r of results) {
    console.error(
      `${String(r.replicas).padStart(8)} | ${String(r.published).padStart(9)} | ${String(r.stored).padStart(7)} | ` +
        `${String(r.seconds).padStart(7)} | ${String(r.eventsPerSecond).padStart(8)} | ${String(r.hubCpuSeconds).padStart(9)} | ` +
        `${String(r.eventsPerHubCpuSecond).padStart(16)} | ${r.shares.join('/')}`,
    );
  }
  console.error(
    `bytes per event in PostgreSQL (uncompressed, with indexes): passage ${sizes.passages}, face ${sizes.face_captures}, incident ${sizes.incidents}`,
  );
  console.error(
    `district (309 devices): ${gib(districtBytesPerDay)} GiB/day; city x100: ${gib(districtBytesPerDay * 100)} GiB/day; ` +
      `city of ${CITY_DEVICES} devices: peak-hour ${cityPeakEventsPerSecond} events/s -> ` +
      `${replicasFor(cityPeakEventsPerSecond, perReplicaHere)} replicas at this machine's rate, ` +
      `${replicasFor(cityPeakEventsPerSecond, perReplicaTwoCores)} of two dedicated cores; ` +
      `design peak ${cityDesignPeakEventsPerSecond} events/s -> ${replicasFor(cityDesignPeakEventsPerSecond, perReplicaHere)} ` +
      `replicas at this machine's rate, ${replicasFor(cityDesignPeakEventsPerSecond, perReplicaTwoCores)} of two dedicated cores`,
  );
  console.log(
    JSON.stringify({
      bench: 'scale',
      quick: QUICK,
      offeredPerSecond: OFFERED_RATE,
      cores: cpus().length,
      phases: results,
      speedup: results.map((r) => Math.round((r.eventsPerSecond / single.eventsPerSecond) * 100) / 100),
      bytesPerEvent: sizes,
      districtVolumesPerDay: { passages: volumes.passages, faces: volumes.faces, incidents: volumes.incidents },
      districtGiBPerDay: gib(districtBytesPerDay),
      cityX100GiBPerDay: gib(districtBytesPerDay * 100),
      city: {
        devices: CITY_DEVICES,
        peakHourEventsPerSecond: cityPeakEventsPerSecond,
        perReplicaEventsPerSecondHere: perReplicaHere,
        perReplicaEventsPerSecondTwoCores: perReplicaTwoCores,
        targetUtilisation: TARGET_UTILISATION,
        replicasAtThisMachinesRate: replicasFor(cityPeakEventsPerSecond, perReplicaHere),
        replicasWithTwoDedicatedCores: replicasFor(cityPeakEventsPerSecond, perReplicaTwoCores),
        designPeakEventsPerSecond: cityDesignPeakEventsPerSecond,
        designPeakReplicasAtThisMachinesRate: replicasFor(cityDesignPeakEventsPerSecond, perReplicaHere),
        designPeakReplicasWithTwoDedicatedCores: replicasFor(cityDesignPeakEventsPerSecond, perReplicaTwoCores),
      },
    }),
  );
  process.exit(0);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
