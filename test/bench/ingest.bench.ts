/**
 * npm run bench:ingest — passages over MQTT (QoS 1, a Mosquitto started with infra/mosquitto/mosquitto.conf)
 * into the machine's PostgreSQL through the hub, measured against a plain bulk insert into the same table.
 * BENCH_QUICK=1 shortens every phase. Ends with one line of JSON.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { registerEstate, startHub, type HubProcess } from '../support/hub';
import { ProjectMosquitto } from '../support/mosquitto';
import { createTestDatabase, uniqueName, uniqueTopicRoot } from '../support/services';
import { benchLanes } from './bench-estate';
import { publishFromThreads } from './publisher-threads';

const QUICK = process.env.BENCH_QUICK === '1';
const SUSTAINED_SECONDS = QUICK ? 12 : 60;
const LATENCY_SECONDS = QUICK ? 8 : 30;
const LATENCY_RATE = 5_000;
/**
 * What the publishers offer in the sustained phase: half as much again as the target, so a hub that keeps
 * up shows it, while what the hub cannot take yet waits in the broker's queue for its session (bounded:
 * 60 s × the excess, 600,000 messages for a hub at 20,000/s, below max_queued_messages in
 * infra/mosquitto/mosquitto.conf).
 */
const SUSTAINED_OFFERED_RATE = 30_000;
const EMBEDDED_SECONDS = QUICK ? 8 : 30;
const PUBLISHERS = 2;
/**
 * The V8 flags `npm start` and the image run the hub with (heap capped; a 64 MiB young generation, so the
 * short-lived objects of each message die there instead of being promoted); BENCH_CPU_PROF=dir also
 * profiles each hub.
 */
const HUB_NODE_ARGS = [
  '--max-old-space-size=768',
  '--max-semi-space-size=64',
  ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
];

interface PhaseResult {
  sent: number;
  acked: number;
}

function publish(
  url: string,
  topicRoot: string,
  lanes: { id: string; tollgateId: string; laneNo: number }[],
  seconds: number,
  totalRate: number,
  workers = PUBLISHERS,
  window = 2_000,
): Promise<PhaseResult> {
  return publishFromThreads({ url, topicRoot, lanes, seconds, totalRate, workers, window, name: 'bench-pub' });
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

function watchRss(hub: HubProcess): { peak(): number; stop(): void } {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssOf(hub.child.pid!));
    } catch {
      // the hub has exited
    }
  }, 200);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

async function count(client: pg.Client, since: Date): Promise<number> {
  const result = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM passages WHERE stored_at >= $1`, [
    since,
  ]);
  return Number(result.rows[0]!.n);
}

async function waitForDrain(client: pg.Client, since: Date, expected: number, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let stored = 0;
  while (Date.now() < deadline) {
    stored = await count(client, since);
    if (stored >= expected) return stored;
    await new Promise((r) => setTimeout(r, 250));
  }
  return stored;
}

async function latency(client: pg.Client, since: Date): Promise<{ p50: number; p99: number; rows: number }> {
  const result = await client.query<{ p50: number; p99: number; rows: string }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99,
            count(*)::text AS rows
     FROM (SELECT extract(epoch FROM (stored_at - pass_time)) * 1000 AS ms FROM passages WHERE stored_at >= $1) AS l`,
    [since],
  );
  const row = result.rows[0]!;
  return { p50: Math.round(row.p50 * 10) / 10, p99: Math.round(row.p99 * 10) / 10, rows: Number(row.rows) };
}

/** The ceiling: the same unnest insert the hub does, batches of 1,000, straight into the table. */
async function bulkInsertRate(
  client: pg.Client,
  lanes: { id: string; tollgateId: string; laneNo: number }[],
  rows: number,
) {
  const batch = 1_000;
  const started = performance.now();
  for (let done = 0; done < rows; done += batch) {
    const ids = Array.from({ length: batch }, () => randomUUID());
    const now = new Date().toISOString();
    await client.query(
      `INSERT INTO passages (event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
                             plate_confidence, char_confidences, vehicle_class, vehicle_color, speed_kmh, images)
       SELECT u.event_id, u.pass_time, u.device_id, u.tollgate_id, u.lane_no, u.direction, u.plate_no, u.plate_color,
              u.plate_confidence, u.char_confidences::real[], u.vehicle_class, u.vehicle_color, u.speed_kmh, u.images::jsonb
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[],
                   $8::text[], $9::real[], $10::text[], $11::text[], $12::text[], $13::real[], $14::text[])
            AS u(event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
                 plate_confidence, char_confidences, vehicle_class, vehicle_color, speed_kmh, images)
       ON CONFLICT DO NOTHING`,
      [
        ids,
        ids.map(() => now),
        ids.map((_, i) => lanes[i % lanes.length]!.id),
        ids.map((_, i) => lanes[i % lanes.length]!.tollgateId),
        ids.map((_, i) => lanes[i % lanes.length]!.laneNo),
        ids.map(() => 'N'),
        ids.map((_, i) => `黑A${String(10000 + ((done + i) % 90000))}`),
        ids.map(() => 'blue'),
        ids.map(() => 0.95),
        ids.map(() => null),
        ids.map(() => 'car'),
        ids.map(() => 'white'),
        ids.map((_, i) => 40 + (i % 30)),
        ids.map(() => null),
      ],
    );
  }
  return rows / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const estate = benchLanes();
  const broker = await ProjectMosquitto.start();
  const database = await createTestDatabase();
  const topicRoot = uniqueTopicRoot();
  const client = new pg.Client({ connectionString: database.url });
  const figures: Record<string, unknown> = { quick: QUICK };
  try {
    // External broker and PostgreSQL, the production shape.
    const hub = await startHub({
      nodeArgs: HUB_NODE_ARGS,
      env: {
        MQTT_URL: broker.url,
        DATABASE_URL: database.url,
        TOPIC_ROOT: topicRoot,
        HUB_ID: uniqueName('bench'),
      },
    });
    await registerEstate(hub.httpUrl, estate);
    await client.connect();
    const rss = watchRss(hub);

    console.error(`sustained: ${SUSTAINED_OFFERED_RATE}/s offered for ${SUSTAINED_SECONDS} s`);
    const sustainedStart = new Date();
    const t0 = performance.now();
    const sustained = await publish(broker.url, topicRoot, estate.lanes, SUSTAINED_SECONDS, SUSTAINED_OFFERED_RATE);
    const stored = await waitForDrain(client, sustainedStart, sustained.acked);
    const elapsed = (performance.now() - t0) / 1000;
    figures.sustainedOfferedPerSecond = SUSTAINED_OFFERED_RATE;
    figures.sustainedEventsPerSecond = Math.round(stored / elapsed);
    figures.sustainedStored = stored;
    figures.sustainedPublished = sustained.acked;
    figures.sustainedLatencyMs = await latency(client, sustainedStart);

    console.error(`latency: ${LATENCY_RATE}/s for ${LATENCY_SECONDS} s`);
    const paceStart = new Date();
    const paced = await publish(broker.url, topicRoot, estate.lanes, LATENCY_SECONDS, LATENCY_RATE);
    await waitForDrain(client, paceStart, paced.acked);
    figures.at5000PerSecond = { published: paced.acked, ...(await latency(client, paceStart)) };
    rss.stop();
    figures.hubPeakRssMiB = Math.round(rss.peak() / 1024 / 1024);
    await hub.stop();

    console.error('ceiling: plain bulk insert into the same table');
    const ceilingRows = QUICK ? 100_000 : 300_000;
    figures.bulkInsertRowsPerSecond = Math.round(await bulkInsertRate(client, estate.lanes, ceilingRows));
    figures.ratioToCeiling =
      Math.round(((figures.sustainedEventsPerSecond as number) / (figures.bulkInsertRowsPerSecond as number)) * 100) /
      100;

    console.error(`embedded: aedes + PGlite for ${EMBEDDED_SECONDS} s`);
    const embedded = await startHub({ nodeArgs: HUB_NODE_ARGS });
    await registerEstate(embedded.httpUrl, estate);
    // On the embedded broker a device's acknowledgement waits for the commit, so throughput comes from
    // many devices publishing at once: one connection per lane here.
    const embeddedStart = performance.now();
    const embeddedRun = await publish(
      embedded.mqttUrl,
      embedded.topicRoot,
      estate.lanes,
      EMBEDDED_SECONDS,
      0,
      2,
      2_000,
    );
    const embeddedRate = embeddedRun.acked / ((performance.now() - embeddedStart) / 1000);
    figures.embeddedEventsPerSecond = Math.round(embeddedRate);
    await embedded.stop();
  } finally {
    await client.end().catch(() => undefined);
    await database.drop();
    await broker.dispose();
  }
  figures.targets = {
    sustainedEventsPerSecond: '>= 20000',
    ratioToCeiling: '>= 0.5',
    p99At5000PerSecondMs: '<= 250',
    hubRss: 'bounded under overload',
  };
  console.log(JSON.stringify({ bench: 'ingest', ...figures }));
  process.exit(0);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
