import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { PassageEventPayload } from '@citywatch/protocol';
import { passage, smallEstate } from '../support/fixtures';
import { registerEstate, startHub, type HubProcess } from '../support/hub';
import { ProjectMosquitto } from '../support/mosquitto';
import { OwnPostgres } from '../support/postgres';
import { PassagePublisher } from '../support/publisher';
import { createTestDatabase, uniqueName, uniqueTopicRoot, type TestDatabase } from '../support/services';

/**
 * Faults the ingest must survive without losing or doubling an acknowledged event. Each test runs its
 * own Mosquitto (the project's configuration) so it can stop it, and the hub as a child process so it
 * can be killed.
 */
const estate = smallEstate(500);
const [laneA, laneB] = estate.laneDevices as [string, string];

function passages(count: number): PassageEventPayload[] {
  const start = Date.now() - count * 10;
  return Array.from({ length: count }, (_, i) =>
    passage(i % 2 === 0 ? laneA : laneB, {
      laneNo: i % 2 === 0 ? 1 : 2,
      passTime: new Date(start + i * 10).toISOString(),
    }),
  );
}

async function countStored(url: string, ids: readonly string[]): Promise<{ rows: number; distinct: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ rows: string; distinct: string }>(
      `SELECT count(*)::text AS rows, count(DISTINCT event_id)::text AS distinct FROM passages WHERE event_id = ANY($1::text[])`,
      [ids],
    );
    return { rows: Number(result.rows[0]!.rows), distinct: Number(result.rows[0]!.distinct) };
  } finally {
    await client.end();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function metric(httpUrl: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? 0);
}

describe('ingest under faults', { timeout: 180_000 }, () => {
  let broker: ProjectMosquitto;
  let database: TestDatabase;
  const hubs: HubProcess[] = [];
  let topicRoot: string;

  const hubEnv = (hubId: string, databaseUrl = database.url, shareGroup?: string): Record<string, string> => ({
    ...(shareGroup ? { MQTT_SHARE_GROUP: shareGroup } : {}),
    MQTT_URL: broker.url,
    DATABASE_URL: databaseUrl,
    TOPIC_ROOT: topicRoot,
    HUB_ID: hubId,
    INGEST_QUEUE_LIMIT: '5000',
    // Short, so that an outage longer than 1.5 keepalives (the PostgreSQL restart) tests the keepalive
    // while the hub, its queue full, reads nothing from the broker.
    MQTT_KEEPALIVE_S: '2',
  });

  beforeAll(async () => {
    broker = await ProjectMosquitto.start();
  });

  afterAll(async () => {
    await broker?.dispose();
  });

  afterEach(async () => {
    for (const hub of hubs.splice(0)) await hub.kill();
    await database?.drop();
  });

  async function freshStart(hubId: string, databaseUrl?: string, shareGroup?: string): Promise<HubProcess> {
    topicRoot = uniqueTopicRoot();
    if (!databaseUrl) database = await createTestDatabase();
    const hub = await startHub({ env: hubEnv(hubId, databaseUrl ?? database.url, shareGroup) });
    hubs.push(hub);
    await registerEstate(hub.httpUrl, estate);
    return hub;
  }

  it('loses nothing and doubles nothing when the hub is killed with SIGKILL mid-stream', async () => {
    const hubId = uniqueName('hub');
    const hub = await freshStart(hubId);
    const events = passages(20_000);
    const ids = events.map((e) => e.eventId);
    const publisher = await PassagePublisher.connect(broker.url, topicRoot);
    const publishing = publisher.publishAll(events);

    await waitUntil(async () => (await countStored(database.url, ids)).rows >= 4_000, 60_000, '4,000 rows');
    await hub.kill();
    hubs.splice(hubs.indexOf(hub), 1);
    const beforeRestart = (await countStored(database.url, ids)).rows;
    expect(beforeRestart).toBeLessThan(20_000);

    await publishing; // the broker keeps what arrives for the hub's persistent session
    const restarted = await startHub({ env: hubEnv(hubId) });
    hubs.push(restarted);
    await waitUntil(async () => (await countStored(database.url, ids)).rows >= 20_000, 120_000, 'all 20,000 rows');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await countStored(database.url, ids)).toEqual({ rows: 20_000, distinct: 20_000 });
    await publisher.close();
  });

  it('recovers by itself when PostgreSQL restarts mid-stream, and loses nothing', async () => {
    const own = await OwnPostgres.start();
    try {
      const hub = await freshStart(uniqueName('hub'), own.url);
      const events = passages(10_000);
      const ids = events.map((e) => e.eventId);
      const publisher = await PassagePublisher.connect(broker.url, topicRoot);
      const publishing = publisher.publishAll(events);
      await waitUntil(async () => (await countStored(own.url, ids)).rows >= 2_000, 60_000, '2,000 rows');
      await own.stop();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const health = await fetch(`${hub.httpUrl}/health`);
      expect(health.status).toBe(503);
      await own.start();
      await publishing;
      await waitUntil(async () => (await countStored(own.url, ids)).rows >= 10_000, 120_000, 'all 10,000 rows');
      expect(await countStored(own.url, ids)).toEqual({ rows: 10_000, distinct: 10_000 });
      expect(
        await metric(hub.httpUrl, /citywatch_ingest_write_retries_total\{queue="passages"\} (\d+)/),
      ).toBeGreaterThan(0);
      expect((await fetch(`${hub.httpUrl}/health`)).status).toBe(200);
      // The broker connection outlived the outage (its queue full, the hub read nothing for seconds, more
      // than 1.5 keepalives): no reconnect, so nothing was sent again.
      expect(hub.output.filter((line) => line.includes('reconnecting to MQTT broker'))).toEqual([]);
      expect(await metric(hub.httpUrl, /citywatch_events_duplicate_total\{kind="passage"\} (\d+)/)).toBe(0);
      await publisher.close();
    } finally {
      for (const hub of hubs.splice(0)) await hub.kill();
      await own.dispose();
    }
  });

  it('reconnects and resumes when the broker restarts', async () => {
    const hub = await freshStart(uniqueName('hub'));
    const first = passages(3_000);
    const second = passages(3_000);
    const ids = [...first, ...second].map((e) => e.eventId);
    const publisher = await PassagePublisher.connect(broker.url, topicRoot);
    await publisher.publishAll(first);
    await broker.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await broker.start();
    await publisher.publishAll(second);
    await waitUntil(async () => (await countStored(database.url, ids)).rows >= 6_000, 60_000, 'all 6,000 rows');
    expect(await countStored(database.url, ids)).toEqual({ rows: 6_000, distinct: 6_000 });
    expect((await fetch(`${hub.httpUrl}/health`)).status).toBe(200);
    await publisher.close();
  });

  it('dead-letters ten thousand malformed payloads among ten thousand valid ones, storing every valid one', async () => {
    const hub = await freshStart(uniqueName('hub'));
    const valid = passages(10_000);
    const publisher = await PassagePublisher.connect(broker.url, topicRoot);
    const bad: (Buffer | string)[] = Array.from({ length: 10_000 }, (_, i) => {
      switch (i % 4) {
        case 0:
          return `{"truncated": ${i}`;
        case 1:
          return JSON.stringify({ ...passage(laneA), plateNo: `X${i}` });
        case 2:
          return Buffer.alloc(70_000, 0x41); // over the passage size limit
        default:
          return JSON.stringify({ ...passage(laneA), passTime: '1999-01-01T00:00:00Z' });
      }
    });
    const validDone = publisher.publishAll(valid);
    for (let i = 0; i < bad.length; i += 500) {
      await Promise.all(bad.slice(i, i + 500).map((payload) => publisher.publishRaw(laneA, payload)));
    }
    await validDone;
    const ids = valid.map((e) => e.eventId);
    await waitUntil(async () => (await countStored(database.url, ids)).rows >= 10_000, 90_000, 'all valid rows');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const reasons = async () =>
      Object.fromEntries(
        (
          await client.query<{ reason: string; count: string }>(
            `SELECT reason, count(*)::text AS count FROM dead_letters GROUP BY reason ORDER BY reason`,
          )
        ).rows.map((r) => [r.reason, Number(r.count)]),
      );
    const expected = { invalid_json: 2_500, oversize: 2_500, schema: 2_500, time_window: 2_500 };
    await waitUntil(async () => JSON.stringify(await reasons()) === JSON.stringify(expected), 30_000, 'dead letters');
    expect(await reasons()).toEqual(expected);
    await client.end();
    expect(await metric(hub.httpUrl, /citywatch_dead_letters_total\{reason="oversize"\} (\d+)/)).toBe(2_500);
    const rss = await metric(hub.httpUrl, /citywatch_process_resident_memory_bytes (\d+)/);
    expect(rss).toBeLessThan(600 * 1024 * 1024);
    expect((await fetch(`${hub.httpUrl}/health`)).status).toBe(200);
    await publisher.close();
  });

  it('splits the stream between two hubs on one shared subscription, storing each event once', async () => {
    const first = await freshStart(uniqueName('hub-a'), undefined, 'citywatch');
    const second = await startHub({ env: hubEnv(uniqueName('hub-b'), database.url, 'citywatch') });
    hubs.push(second);
    const events = passages(10_000);
    const ids = events.map((e) => e.eventId);
    const publisher = await PassagePublisher.connect(broker.url, topicRoot);
    await publisher.publishAll(events);
    await waitUntil(async () => (await countStored(database.url, ids)).rows >= 10_000, 60_000, 'all rows');
    const storedBy = [
      await metric(first.httpUrl, /citywatch_events_stored_total\{kind="passage"\} (\d+)/),
      await metric(second.httpUrl, /citywatch_events_stored_total\{kind="passage"\} (\d+)/),
    ];
    expect(storedBy[0]! + storedBy[1]!).toBe(10_000);
    expect(Math.min(...storedBy)).toBeGreaterThan(1_000);
    expect(await countStored(database.url, ids)).toEqual({ rows: 10_000, distinct: 10_000 });
    await publisher.close();
  });
});
