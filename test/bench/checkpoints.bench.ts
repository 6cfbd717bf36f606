/**
 * Checkpoint search benchmark: loads passages with realistic distributions into a database of its own on
 * the machine's PostgreSQL (created here, dropped at the end), vacuums it as autovacuum would have, then
 * times the hub's own search code: exact plate, wildcard (also once before the vacuum, and over plates seen
 * only early in the range), fuzzy, trajectory and statistics (p50/p95), and the hotlist check per passage
 * with 100,000 entries in memory.
 *
 *   npm run bench:checkpoints                      10,000,000 passages, 300,000 plates, 90 days
 *   BENCH_QUICK=1 npm run bench:checkpoints        a short run (under a minute)
 *   BENCH_DATABASE=name npm run bench:checkpoints  loads into that database the first time and keeps it;
 *                                                  later runs reuse it (same data) and only time the queries
 *
 * It runs the built hub code (server/dist, so the Nest decorators are compiled); the script builds it first.
 *
 * Prints one JSON line at the end.
 */
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { HotlistEntry, PassageSearchQuery } from '@citywatch/protocol';
import { HotlistIndex } from '../../server/dist/checkpoints/hotlist-index';
import { PassageSearchService } from '../../server/dist/checkpoints/passage-search.service';
import { PassagesRepository } from '../../server/dist/checkpoints/passages.repository';
import { PlatesRepository } from '../../server/dist/checkpoints/plates.repository';
import type { HubConfig } from '../../server/dist/platform/config/hub-config';
import { detectTimescale, migrate } from '../../server/dist/platform/database/migrator';
import { PostgresDatabase } from '../../server/dist/platform/database/postgres-database';
import type { Logger } from '../../server/dist/platform/logging/logger';

const QUICK = process.env.BENCH_QUICK === '1';
const SERVER_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const PASSAGES = Number(process.env.BENCH_PASSAGES ?? (QUICK ? 300_000 : 10_000_000));
const PLATES = Number(process.env.BENCH_PLATES ?? (QUICK ? 30_000 : 300_000));
const DAYS = 90;
const ITERATIONS = QUICK ? 25 : 200;
const HOTLIST_ENTRIES = 100_000;
/** A database to keep between runs (for working on the queries); by default one is made and dropped. */
const KEPT_DATABASE = process.env.BENCH_DATABASE;

const silent = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child: () => silent,
} as unknown as Logger;

// ----------------------------------------------------------------------------------------- random data

let seed = 20261127;
function random(): number {
  // mulberry32: the same data on every run
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '0123456789';
const OTHER_PROVINCES = '吉辽京蒙鲁冀';

/** Plates as the district sees them: mostly 黑A, digits with a letter now and then, a tenth new-energy. */
function makePlates(count: number): string[] {
  const plates = new Set<string>();
  while (plates.size < count) {
    const province = random() < 0.9 ? '黑' : pick([...OTHER_PROVINCES]);
    const office = province === '黑' ? (random() < 0.8 ? 'A' : pick([...'BCDEFGHJKLMN'])) : pick([...LETTERS]);
    let body = '';
    if (random() < 0.1) {
      body = pick(['D', 'F']);
      for (let i = 0; i < 5; i++) body += pick([...DIGITS]);
    } else {
      for (let i = 0; i < 5; i++) body += random() < 0.2 ? pick([...LETTERS]) : pick([...DIGITS]);
    }
    plates.add(province + office + body);
  }
  return [...plates];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(name: string, iterations: number, run: (i: number) => Promise<unknown>) {
  for (let i = 0; i < Math.min(5, iterations); i++) await run(i); // warm the caches and the plans
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await run(i);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const result = {
    p50Ms: Math.round(percentile(samples, 50) * 100) / 100,
    p95Ms: Math.round(percentile(samples, 95) * 100) / 100,
  };
  console.log(
    `${name.padEnd(28)} p50 ${String(result.p50Ms).padStart(8)} ms   p95 ${String(result.p95Ms).padStart(8)} ms`,
  );
  return result;
}

// ------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  if (KEPT_DATABASE !== undefined && !/^[a-z_][a-z0-9_]*$/.test(KEPT_DATABASE)) {
    throw new Error('BENCH_DATABASE: lower-case letters, digits and _ only');
  }
  const name = KEPT_DATABASE ?? `citywatch_bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  const exists = (await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [name])).rowCount! > 0;
  if (!exists) await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const database = await PostgresDatabase.connect(url.toString(), 4, silent);
  const report: Record<string, unknown> = { passages: PASSAGES, plates: PLATES, days: DAYS, quick: QUICK };
  try {
    await detectTimescale(database, 'auto', silent);
    await migrate(database, silent);
    report.timescale = database.features.timescale;
    const end = Date.parse('2026-11-27T00:00:00Z');
    const start = end - DAYS * 86_400_000;
    const plateRepository = new PlatesRepository(database);
    // A kept database that holds its plate dictionary was loaded in full by an earlier run.
    const reused = KEPT_DATABASE !== undefined && !(await plateRepository.isEmpty());
    const load = async (sql: string, params: unknown[] = []) => {
      if (!reused) await database.query(sql, params);
    };

    // The estate: 13 tollgates, 48 lanes.
    const lanes: { tollgate: string; lane: number }[] = [];
    for (let t = 0; t < 13; t++) {
      const id = `TG-${String(t + 1).padStart(2, '0')}`;
      await load(`INSERT INTO tollgates (id, name, lat, lon, place) VALUES ($1, $2, $3, $4, '')`, [
        id,
        `Checkpoint ${t + 1}`,
        45.55 + 0.01 * t,
        126.6 + 0.008 * t,
      ]);
      const laneCount = t < 9 ? 4 : 3;
      for (let l = 1; l <= laneCount; l++) {
        lanes.push({ tollgate: id, lane: l });
        await load(`INSERT INTO lanes (tollgate_id, lane_no, direction, speed_limit_kmh) VALUES ($1, $2, $3, $4)`, [
          id,
          l,
          l % 2 ? 'N' : 'S',
          t < 4 ? 80 : 60,
        ]);
      }
    }

    // Plates with their colours and classes.
    const plates = makePlates(PLATES);
    await load(
      `CREATE UNLOGGED TABLE bench_plates (id integer PRIMARY KEY, plate_no text, plate_color text, vehicle_class text, vehicle_color text)`,
    );
    for (let i = 0; i < plates.length; i += 50_000) {
      const chunk = plates.slice(i, i + 50_000);
      // The same random draws either way, so a reused database meets the same hotlist stream.
      await load(
        `INSERT INTO bench_plates SELECT * FROM unnest($1::integer[], $2::text[], $3::text[], $4::text[], $5::text[])`,
        [
          chunk.map((_, j) => i + j),
          chunk,
          chunk.map((p) => ([...p].length === 8 ? 'green' : random() < 0.9 ? 'blue' : 'yellow')),
          chunk.map(() => pick(['car', 'car', 'car', 'suv', 'suv', 'mpv', 'van', 'truck', 'bus', 'motorcycle'])),
          chunk.map(() => pick(['white', 'white', 'black', 'black', 'silver', 'grey', 'red', 'blue', 'other'])),
        ],
      );
    }

    // Passages, generated inside PostgreSQL: plates skewed (a few commuters pass daily, most rarely),
    // a day shaped by morning and evening peaks, speeds around the limit. Secondary indexes are dropped
    // for the load and rebuilt after, exactly as the migrations define them.
    const loadStarted = performance.now();
    const loadPassages = async (): Promise<void> => {
      const indexes = await database.query<{ indexname: string; indexdef: string }>(
        `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'passages' AND indexname NOT LIKE '%pkey'`,
      );
      for (const index of indexes.rows) await database.exec(`DROP INDEX ${index.indexname}`);
      const laneTollgates = `ARRAY[${lanes.map((l) => `'${l.tollgate}'`).join(',')}]`;
      const laneNumbers = `ARRAY[${lanes.map((l) => l.lane).join(',')}]`;
      const batch = 1_000_000;
      for (let offset = 0; offset < PASSAGES; offset += batch) {
        const rows = Math.min(batch, PASSAGES - offset);
        await database.query(
          `INSERT INTO passages (event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
                               plate_confidence, vehicle_class, vehicle_color, speed_kmh, stored_at)
         SELECT 'bench-' || g, t, '2301080000121' || lpad((lane_ix)::text, 7, '0'),
                (${laneTollgates})[lane_ix], (${laneNumbers})[lane_ix], CASE WHEN (${laneNumbers})[lane_ix] % 2 = 1 THEN 'N' ELSE 'S' END,
                p.plate_no, p.plate_color, 0.8 + 0.2 * random(), p.vehicle_class, p.vehicle_color,
                greatest(5, 50 + 12 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())), t
         FROM (
           SELECT g,
                  1 + floor(random() * ${lanes.length})::integer AS lane_ix,
                  floor(${PLATES} * power(random(), 2.5))::integer AS plate_ix,
                  to_timestamp(${start / 1000} + floor(random() * ${DAYS}) * 86400
                    + 3600 * CASE WHEN random() < 0.55
                        THEN (CASE WHEN random() < 0.5 THEN 8 ELSE 17.5 END) + 1.2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
                        ELSE 5 + 18 * random() END
                    - 8 * 3600 + random()) AS t
           FROM generate_series($1::bigint, $2::bigint) AS g
         ) AS s JOIN bench_plates p ON p.id = s.plate_ix`,
          [offset, offset + rows - 1],
        );
        process.stdout.write(`\rloaded ${Math.min(offset + rows, PASSAGES).toLocaleString('en')} passages`);
      }
      process.stdout.write('\n');
      // Visitors: 1,000 plates of a province the generator never makes (新Q10000-新Q10999), five passages
      // each, all in the first two days of the last 30: a wildcard over them finds nothing in the newest
      // four weeks, where the planner, estimating from average plates, expects to find them.
      await database.query(
        `INSERT INTO passages (event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
                               plate_confidence, vehicle_class, vehicle_color, speed_kmh, stored_at)
         SELECT 'visitor-' || g, t, '23010800001210000001', 'TG-01', 1, 'N', '新Q' || (10000 + g / 5), 'blue', 0.95,
                'car', 'white', 50, t
         FROM (SELECT g, $1::timestamptz + random() * INTERVAL '2 days' AS t FROM generate_series(0, 4999) AS g) AS v`,
        [new Date(end - 30 * 86_400_000).toISOString()],
      );
      for (const index of indexes.rows) await database.exec(`SET maintenance_work_mem = '512MB'; ${index.indexdef}`);
      report.dictionaryPlates = await plateRepository.backfill();
      await database.exec('ANALYZE passages');
      await database.exec('ANALYZE checkpoint_plates');
    };
    if (!reused) await loadPassages();
    if (reused) {
      report.reusedDatabase = name;
      console.log(`reusing the loaded database ${name}`);
    } else {
      report.loadSeconds = Math.round((performance.now() - loadStarted) / 100) / 10;
      console.log(
        `load, indexes and plate dictionary: ${report.loadSeconds} s (${String(report.dictionaryPlates)} plates)`,
      );
    }

    const config = { CHECKPOINT_EXPORT_PAGE_SIZE: 5000, CHECKPOINT_EXPORT_MAX_ROWS: 1_000_000 } as HubConfig;
    const search = new PassageSearchService(new PassagesRepository(database), plateRepository, config, silent);
    const caller = { ip: '127.0.0.1' };
    const last30 = { from: new Date(end - 30 * 86_400_000).toISOString(), to: new Date(end).toISOString() };
    const seenPlates = (
      await database.query<{ plate_no: string }>(
        `SELECT plate_no FROM checkpoint_plates WHERE last_seen >= $1 ORDER BY random() LIMIT 1000`,
        [last30.from],
      )
    ).rows.map((r) => r.plate_no);
    const run = (query: Partial<PassageSearchQuery>) =>
      search.search({ limit: 50, ...query } as PassageSearchQuery, caller);
    const wildcardSearch = (i: number) => {
      const digits = String((i * 37) % 100).padStart(2, '0');
      return run({ plate: `黑A?${digits}*`, plateMatch: 'wildcard', ...last30 });
    };

    // A server's autovacuum would have been through the loaded table (on plain PostgreSQL, migration 0302
    // has it come after every 1% of new passages), leaving a visibility map for index-only scans; this
    // machine's PostgreSQL runs with autovacuum off. The wildcard search is timed once before, for the record.
    if (!reused) {
      report.wildcardNotVacuumed = await time('wildcard, not vacuumed', ITERATIONS, wildcardSearch);
      const vacuumStarted = performance.now();
      await database.exec('VACUUM ANALYZE passages');
      await database.exec('VACUUM ANALYZE checkpoint_plates');
      report.vacuumSeconds = Math.round((performance.now() - vacuumStarted) / 100) / 10;
      console.log(`VACUUM ANALYZE: ${report.vacuumSeconds} s`);
    }

    const exact = await time('exact plate, 30 days', ITERATIONS, (i) =>
      run({ plate: seenPlates[i % 1000], ...last30 }),
    );
    const wildcard = await time('wildcard 黑A?NN*, 30 days', ITERATIONS, wildcardSearch);
    const visitors = await time('wildcard, plates seen early', Math.max(10, Math.floor(ITERATIONS / 4)), () =>
      run({ plate: '新Q1*', plateMatch: 'wildcard', ...last30 }),
    );
    const confuse: Record<string, string> = { '0': 'D', '8': 'B', '1': 'I', '2': 'Z', '5': 'S', D: '0', B: '8' };
    const fuzzy = await time('fuzzy (confusion or gap)', ITERATIONS, (i) => {
      const chars = [...seenPlates[i % 1000]!];
      const at = 2 + (i % (chars.length - 2));
      if (i % 2 === 0) chars.splice(at, 1);
      else chars[at] = confuse[chars[at]!] ?? chars[at]!;
      return run({ plate: chars.join(''), plateMatch: 'fuzzy', ...last30 });
    });
    const trajectory = await time('trajectory, 90 days', ITERATIONS, (i) =>
      search.trajectory({ plate: seenPlates[(i * 7) % 1000]!, limit: 1000 }, caller),
    );
    const day = (i: number) => {
      const from = end - (1 + (i % 60)) * 86_400_000;
      return { from: new Date(from).toISOString(), to: new Date(from + 86_400_000).toISOString() };
    };
    const statisticsQuery = (i: number) => ({ ...day(i), timeZone: 'Asia/Shanghai', bucketKmh: 10, top: 20 });
    const statIterations = Math.max(10, Math.floor(ITERATIONS / 4));
    const hourly = await time('statistics: hourly, 1 day', statIterations, (i) => search.hourly(statisticsQuery(i)));
    const speeds = await time('statistics: speeds, 1 day', statIterations, (i) => search.speeds(statisticsQuery(i)));
    const top = await time('statistics: top plates, 1 day', statIterations, (i) =>
      search.topPlates(statisticsQuery(i), caller),
    );
    const peak = await time('statistics: peak hours, 1 day', statIterations, (i) =>
      search.peakHours(statisticsQuery(i)),
    );

    // The hotlist: 100,000 entries in memory (99% exact plates with fuzzy matching on, 1% patterns),
    // checked against a stream of reads where about 1 in 100 is listed.
    const index = new HotlistIndex();
    const listed = makePlates(HOTLIST_ENTRIES);
    const entry = (id: number, plate: string): HotlistEntry => ({
      id: String(id),
      plate,
      kind: /[?*]/.test(plate) ? 'pattern' : 'exact',
      category: 'stolen',
      priority: 2,
      reason: 'bench',
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: null,
      tollgateIds: [],
      fuzzy: true,
      createdBy: null,
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    const buildStarted = performance.now();
    listed.forEach((plate, i) => {
      if (i % 100 === 0) {
        // A partial plate from a witness: one character unknown, the last ones unread (黑A1?34*).
        const chars = [...plate];
        index.upsert(entry(i, `${chars.slice(0, 3).join('')}?${chars.slice(4, 6).join('')}*`));
      } else index.upsert(entry(i, plate));
    });
    const buildMs = performance.now() - buildStarted;
    const stream = Array.from({ length: QUICK ? 100_000 : 500_000 }, (_, i) =>
      i % 100 === 0 ? listed[i % listed.length]! : plates[i % plates.length]!,
    );
    const now = Date.parse('2026-11-27T08:00:00Z');
    let hits = 0;
    for (const plate of stream.slice(0, 20_000)) hits += index.match(plate, 'TG-01', now).length; // warm-up
    hits = 0;
    const checkStarted = performance.now();
    for (const plate of stream) hits += index.match(plate, 'TG-01', now).length;
    const perPassageUs = ((performance.now() - checkStarted) * 1000) / stream.length;
    const hotlist = {
      entries: index.size,
      buildMs: Math.round(buildMs),
      perPassageUs: Math.round(perPassageUs * 100) / 100,
      hitsPer1000: Math.round((hits / stream.length) * 1000 * 10) / 10,
    };
    console.log(
      `hotlist check (${index.size} entries)  ${hotlist.perPassageUs} µs per passage (${hotlist.hitsPer1000} hits per 1000 reads; index built in ${hotlist.buildMs} ms)`,
    );

    Object.assign(report, {
      exact,
      wildcard,
      wildcardPlatesSeenEarly: visitors,
      fuzzy,
      trajectory,
      statistics: { hourly, speeds, topPlates: top, peakHours: peak },
      hotlist,
      targets: {
        exactP95Ms: 20,
        wildcardP95Ms: 200,
        fuzzyP95Ms: 1000,
        hotlistUsPerPassage: 50,
        met: exact.p95Ms <= 20 && wildcard.p95Ms <= 200 && fuzzy.p95Ms <= 1000 && hotlist.perPassageUs <= 50,
      },
    });
  } finally {
    await database.close();
    if (KEPT_DATABASE === undefined) {
      const cleanup = new pg.Client({ connectionString: SERVER_URL });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    }
  }
  console.log(JSON.stringify({ bench: 'checkpoints', ...report }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
