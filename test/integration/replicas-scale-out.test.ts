import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { io } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  LIVE_NAMESPACE,
  TopicScheme,
  encodeMessage,
  makeDeviceId,
  type AlertChange,
  type AlertRecord,
  type AlertSyncReply,
  type DeviceRegistration,
  type PassageEventPayload,
} from '@citywatch/protocol';
import { EventCollector } from '../../edge-agent/test-support/event-collector';
import { ReplicaSet, duplicatesAt, metric, storedBy } from '../bench/scale-replicas';
import { passage, smallEstate } from '../support/fixtures';
import { REPO_ROOT, TEST_ADMIN, registerEstate, type HubProcess } from '../support/hub';
import { ProjectMosquitto } from '../support/mosquitto';
import { PassagePublisher } from '../support/publisher';
import { createTestDatabase, uniqueTopicRoot, type TestDatabase } from '../support/services';
import { makeUser, signIn, type Console, type SignedIn } from './alerts-helpers';

/**
 * Three hub processes on this machine's engines, set up as the compose file sets its replicas: the
 * project's Mosquitto configuration (a broker of the test's own), the machine's PostgreSQL and Redis,
 * one shared-subscription group. The district is split between them, stored once, alerts reach every
 * console, maintenance runs once per interval; a replica killed with SIGKILL loses nothing.
 */
const REPLICAS = 3;
const MAINTENANCE_MINUTES = 0.1; // 6 s rounds; the lease lasts 90% of that
const EVENT_TABLES = ['passages', 'face_captures', 'incidents'] as const;
/** Replicas note they are alive every second; one silent for 4 s is taken for dead. */
const FAST_MEMBERSHIP = { REPLICA_HEARTBEAT_S: '1', REPLICA_TIMEOUT_S: '4' };

/** REPLICAS_TRACE=file appends each step with its time (the test runs long on a loaded machine). */
function step(what: string): void {
  if (process.env.REPLICAS_TRACE) appendFileSync(process.env.REPLICAS_TRACE, `${new Date().toISOString()} ${what}\n`);
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** `citywatch-agent simulate` (edge-agent/dist/cli.js) registering the district through a hub, then publishing. */
async function runSimulator(options: {
  brokerUrl: string;
  hubUrl: string;
  topicRoot: string;
  dataDir: string;
  multiplier: number;
}): Promise<{ stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      join(REPO_ROOT, 'edge-agent/dist/cli.js'),
      'simulate',
      '--broker',
      options.brokerUrl,
      '--hub',
      options.hubUrl,
      '--topic-root',
      options.topicRoot,
      '--data-dir',
      options.dataDir,
      '--multiplier',
      String(options.multiplier),
      '--seed',
      '7',
      '--no-faults',
    ],
    {
      env: {
        ...process.env,
        ADMIN_USERNAME: TEST_ADMIN.username,
        ADMIN_PASSWORD: TEST_ADMIN.password,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const errors: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    stop: async () => {
      if (child.exitCode !== null) throw new Error(`simulator exited early (${child.exitCode}): ${errors.join('')}`);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Every event row in the database: how many, and how many distinct event ids. */
async function storedEvents(url: string): Promise<{ rows: number; ids: Set<string> }> {
  const rows = await query<{ event_id: string }>(
    url,
    EVENT_TABLES.map((table) => `SELECT event_id FROM ${table}`).join(' UNION ALL '),
  );
  return { rows: rows.length, ids: new Set(rows.map((row) => row.event_id)) };
}

/**
 * A console as it behaves behind the proxy: connected to one replica; when that one goes, it connects
 * to the next that answers and catches up with `alerts:sync` from the last seq it saw.
 */
class FailoverConsole {
  readonly view = new Map<string, AlertRecord>();
  readonly servedBy: string[] = [];
  lastSeq = 0;
  private socket?: Console;
  private closed = false;
  private failingOver?: Promise<void>;

  constructor(
    private readonly who: SignedIn,
    private readonly urls: () => string[],
  ) {}

  private apply(alerts: readonly AlertRecord[]): void {
    for (const alert of alerts) {
      const known = this.view.get(alert.id);
      if (!known || known.seq < alert.seq) this.view.set(alert.id, alert);
      this.lastSeq = Math.max(this.lastSeq, alert.seq);
    }
  }

  async connect(url: string): Promise<void> {
    const socket: Console = io(`${url}${LIVE_NAMESPACE}`, {
      transports: ['websocket'],
      auth: { token: this.who.token },
      reconnection: false,
      timeout: 3_000,
    });
    socket.on('alert:change', (change: AlertChange) => this.apply([change.alert]));
    await new Promise<void>((resolve, reject) => {
      socket.once('hello', () => resolve());
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
    this.socket = socket;
    this.servedBy.push(url);
    socket.once('disconnect', () => {
      if (!this.closed) this.failingOver = this.failOver(url);
    });
    const reply = (await socket
      .timeout(20_000)
      .emitWithAck('alerts:sync', { lastSeq: this.lastSeq })) as AlertSyncReply;
    if (!reply.ok) throw new Error(`sync refused: ${reply.error.message}`);
    this.apply(reply.alerts);
    this.lastSeq = Math.max(this.lastSeq, reply.upToSeq);
  }

  private async failOver(lost: string): Promise<void> {
    for (let attempt = 0; attempt < 40 && !this.closed; attempt++) {
      for (const url of this.urls().filter((candidate) => candidate !== lost)) {
        try {
          await this.connect(url);
          return;
        } catch {
          // try the next replica
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  get connectedTo(): string | undefined {
    return this.socket?.connected ? this.servedBy[this.servedBy.length - 1] : undefined;
  }

  async settled(): Promise<void> {
    await this.failingOver;
  }

  close(): void {
    this.closed = true;
    this.socket?.disconnect();
  }
}

/** Alerts the database holds, with the seq of their latest change. */
async function alertTruth(url: string): Promise<Map<string, number>> {
  const rows = await query<{ id: string; seq: string }>(url, 'SELECT id::text AS id, seq::text AS seq FROM alerts');
  return new Map(rows.map((row) => [row.id, Number(row.seq)]));
}

function missingFrom(view: Map<string, AlertRecord>, truth: Map<string, number>): string[] {
  return [...truth].filter(([id, seq]) => view.get(id)?.seq !== seq).map(([id]) => id);
}

/**
 * Waits until every console holds every alert at the seq the database holds now. The truth is read
 * again on each check: alerts raised from events stored last may still be changing (a merged repeat
 * bumps the seq), so a snapshot taken once can fall behind the consoles.
 */
async function everyAlertOnEveryConsole(consoles: FailoverConsole[], url: string): Promise<Map<string, number>> {
  let truth = new Map<string, number>();
  try {
    await waitUntil(
      async () => {
        truth = await alertTruth(url);
        return consoles.every((console) => missingFrom(console.view, truth).length === 0);
      },
      60_000,
      'every alert on every console',
    );
  } catch (error) {
    const detail = consoles.map((console) => {
      const missing = missingFrom(console.view, truth);
      return `${console.view.size} seen, ${missing.length} missing (${missing
        .slice(0, 3)
        .map((id) => `${id}@${truth.get(id)} seen ${console.view.get(id)?.seq}`)
        .join(', ')})`;
    });
    throw new Error(`${(error as Error).message}: ${truth.size} alerts; ${detail.join('; ')}`, { cause: error });
  }
  return truth;
}

/** Rows in `passages` for these event ids, and how many distinct ids they hold. */
async function passageRows(url: string, ids: readonly string[]): Promise<{ rows: number; distinct: number }> {
  const [row] = await query<{ rows: string; distinct: string }>(
    url,
    'SELECT count(*) AS rows, count(DISTINCT event_id) AS distinct FROM passages WHERE event_id = ANY($1::text[])',
    [ids],
  );
  return { rows: Number(row!.rows), distinct: Number(row!.distinct) };
}

/** Messages a replica took from the sessions of dead replicas. */
function takeoverMessages(hub: HubProcess): Promise<number> {
  return metric(hub.httpUrl, /^citywatch_replica_takeover_messages_total (\d+)/);
}

/** Each replica's state in `hub_replicas`. */
async function replicaStates(url: string): Promise<Record<string, string>> {
  const rows = await query<{ hub_id: string; state: string }>(url, 'SELECT hub_id, state FROM hub_replicas');
  return Object.fromEntries(rows.map((row) => [row.hub_id, row.state]));
}

interface MaintenanceRun {
  ranAt: number;
  holder: string;
}

function maintenanceRuns(hubs: HubProcess[]): MaintenanceRun[] {
  return hubs
    .flatMap((hub) => hub.output)
    .filter((line) => line.includes('"storage maintenance done"'))
    .map((line) => JSON.parse(line) as { ranAt: string; holder: string })
    .map((entry) => ({ ranAt: Date.parse(entry.ranAt), holder: entry.holder }))
    .sort((a, b) => a.ranAt - b.ranAt);
}

describe('three hub replicas on one machine', { timeout: 300_000 }, () => {
  let broker: ProjectMosquitto;
  let database: TestDatabase;
  let replicas: ReplicaSet | undefined;
  let consoles: FailoverConsole[] = [];

  beforeAll(async () => {
    broker = await ProjectMosquitto.start();
  });

  afterAll(async () => {
    await broker?.dispose();
  });

  afterEach(async () => {
    for (const console of consoles) console.close();
    consoles = [];
    await replicas?.stop();
    replicas = undefined;
    await database?.drop();
  });

  async function startReplicas(topicRoot: string, env: Record<string, string> = {}): Promise<ReplicaSet> {
    database = await createTestDatabase();
    replicas = await ReplicaSet.start({
      replicas: REPLICAS,
      brokerUrl: broker.url,
      databaseUrl: database.url,
      topicRoot,
      env: { ALERT_ESCALATION_SWEEP_S: '3600', ...env },
    });
    return replicas;
  }

  async function consolesOnEveryReplica(set: ReplicaSet): Promise<FailoverConsole[]> {
    const admin = await signIn(set.hub(0).httpUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const operator = await makeUser(set.hub(0).httpUrl, admin, 'operator');
    consoles = [];
    for (const hub of set.running) {
      const console = new FailoverConsole(operator, () => set.running.map((running) => running.httpUrl));
      await console.connect(hub.httpUrl);
      consoles.push(console);
    }
    return consoles;
  }

  it('splits the simulated district between the replicas, stores every event once, alerts every console, maintains once', async () => {
    const topics = new TopicScheme(uniqueTopicRoot());
    step('district: starting replicas');
    const set = await startReplicas(topics.root, { MAINTENANCE_INTERVAL_MINUTES: String(MAINTENANCE_MINUTES) });
    step('district: replicas started');
    const started = Date.now();
    const consoles = await consolesOnEveryReplica(set);

    // What the broker routes, seen by a plain (not shared) subscriber: the oracle.
    const collector = new EventCollector(broker.url, topics);
    await collector.start();
    // The district simulator as its own process (the edge agent's CLI), 200 times the district's traffic.
    const dataDir = mkdtempSync(join(tmpdir(), 'citywatch-district-'));
    try {
      const simulator = await runSimulator({
        brokerUrl: broker.url,
        hubUrl: set.hub(0).httpUrl,
        topicRoot: topics.root,
        dataDir,
        multiplier: 200,
      });
      step('district: simulator started');
      await waitUntil(() => collector.events.length > 0, 90_000, 'the first simulated event');
      step('district: events flowing');
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      await simulator.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // Let the broker finish routing what the devices published last.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const published = collector.events.length;
    step(`district: simulator stopped, ${published} routed`);
    expect(published).toBeGreaterThan(3_000);

    const deadLetters = async () =>
      Number((await query<{ n: string }>(database.url, 'SELECT count(*) AS n FROM dead_letters'))[0]!.n);
    await waitUntil(
      async () => (await storedEvents(database.url)).rows + (await deadLetters()) >= published,
      120_000,
      `${published} events stored`,
    );
    const stored = await storedEvents(database.url);
    step('district: all stored');
    // Once each: one row per event id, and every event the broker routed is there.
    expect(stored.rows).toBe(stored.ids.size);
    const notStored = collector.events.filter((event) => !stored.ids.has(event.eventId));
    expect(notStored.length).toBe(await deadLetters());
    expect(notStored.length).toBeLessThan(published * 0.01);
    expect([...stored.ids].every((id) => collector.seen.has(id))).toBe(true);

    // Split: every replica took a share, nobody took an event another had (no duplicates to absorb).
    const shares = await Promise.all(set.running.map((hub) => storedBy(hub)));
    const duplicates = await Promise.all(set.running.map((hub) => duplicatesAt(hub)));
    expect(shares.reduce((sum, share) => sum + share, 0)).toBe(stored.rows);
    for (const share of shares) expect(share).toBeGreaterThan(stored.rows / REPLICAS / 3);
    expect(duplicates).toEqual(shares.map(() => 0));

    // Incidents were raised as alerts by whichever replica took them; every console saw every alert.
    const truth = await everyAlertOnEveryConsole(consoles, database.url);
    expect(truth.size).toBeGreaterThan(0);

    // Maintenance: rounds every 6 s on each replica, but runs never closer than the lease, across all.
    await waitUntil(() => Date.now() - started > 25_000, 30_000, 'a few maintenance rounds');
    const runs = maintenanceRuns(set.running);
    const span = Date.now() - started;
    const lease = MAINTENANCE_MINUTES * 60_000 * 0.9;
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeLessThanOrEqual(Math.floor(span / lease) + 1);
    for (let i = 1; i < runs.length; i++) expect(runs[i]!.ranAt - runs[i - 1]!.ranAt).toBeGreaterThanOrEqual(lease);
    await collector.stop();
    console.info(
      `district: ${published} events routed, ${stored.rows} stored, shares ${shares.join('/')}, ` +
        `${truth.size} alerts on ${consoles.length} consoles, ${runs.length} maintenance runs in ${Math.round(span / 1000)} s ` +
        `by ${[...new Set(runs.map((run) => run.holder))].length} replica(s)`,
    );
  });

  it('loses and doubles nothing when a replica is killed with SIGKILL mid-stream; its console reconnects to another and catches up', async () => {
    const topics = new TopicScheme(uniqueTopicRoot());
    step('kill: starting replicas');
    const set = await startReplicas(topics.root, FAST_MEMBERSHIP);
    step('kill: replicas started');
    const estate = smallEstate(700);
    const [laneA, laneB] = estate.laneDevices as [string, string];
    const cameras: DeviceRegistration[] = Array.from({ length: 12 }, (_, i) => ({
      id: makeDeviceId({ kind: 'hd_camera', serial: 7700 + i }),
      name: `Replica test camera ${i + 1}`,
      kind: 'hd_camera',
      lat: 45.6,
      lon: 126.6,
      place: 'Hanan',
      area: 'Hanan',
    }));
    await registerEstate(set.hub(0).httpUrl, { tollgates: estate.tollgates, devices: [...estate.devices, ...cameras] });
    const consoles = await consolesOnEveryReplica(set);
    const victim = 2;
    const victimConsole = consoles[victim]!;

    // Incidents (so alerts) all along, from a device of their own.
    const incidentsDevice: MqttClient = await mqtt.connectAsync(broker.url, {
      clientId: `cams-${randomUUID()}`,
      clean: true,
    });
    let raising = true;
    const kinds = ['illegal_parking', 'street_vending', 'crowding', 'garbage_overflow'];
    const incidents = (async () => {
      for (let i = 0; raising; i++) {
        const camera = cameras[i % cameras.length]!;
        await incidentsDevice.publishAsync(
          topics.event(camera.id, 'incident'),
          encodeMessage('incident', {
            v: 1,
            eventId: randomUUID(),
            deviceId: camera.id,
            at: new Date().toISOString(),
            kind: kinds[i % kinds.length],
            confidence: 0.9,
          } as never),
          { qos: 1 },
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const total = 30_000;
    const start = Date.now() - total * 5;
    const events: PassageEventPayload[] = Array.from({ length: total }, (_, i) =>
      passage(i % 2 === 0 ? laneA : laneB, {
        laneNo: i % 2 === 0 ? 1 : 2,
        passTime: new Date(start + i * 5).toISOString(),
        plateNo: `黑A${String(10000 + (i % 80000)).padStart(5, '0')}`,
      }),
    );
    const ids = events.map((event) => event.eventId);
    const storedOf = async () => (await passageRows(database.url, ids)).rows;
    const publisher = await PassagePublisher.connect(broker.url, topics.root);
    const publishing = publisher.publishAll(events);
    await waitUntil(async () => (await storedOf()) >= total * 0.2, 60_000, '20% stored');

    step('kill: killing');
    await set.kill(victim);
    const atKill = await storedOf();
    // The others go on storing their shares meanwhile; the console that was on the victim moves on.
    await waitUntil(async () => (await storedOf()) > atKill + 1_000, 30_000, 'the others storing after the kill');
    await waitUntil(
      () => victimConsole.connectedTo !== undefined && victimConsole.servedBy.length === 2,
      20_000,
      'console failover',
    );
    expect(victimConsole.servedBy[1]).not.toBe(victimConsole.servedBy[0]);
    await publishing;

    // Nobody restarts it: once it has been silent for REPLICA_TIMEOUT_S a live replica takes its session
    // over, stores what the broker kept for it, and takes it out of the group.
    await waitUntil(async () => (await storedOf()) >= total, 90_000, `all ${total} passages without the victim`);
    step('kill: all stored by the others');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await passageRows(database.url, ids)).toEqual({ rows: total, distinct: total });
    const takenOver = (await Promise.all(set.running.map((hub) => takeoverMessages(hub)))).reduce((a, b) => a + b, 0);
    expect(takenOver).toBeGreaterThan(0);
    expect(await replicaStates(database.url)).toMatchObject({ [set.ids[victim]!]: 'left' });

    // The supervisor brings it back under the same HUB_ID: it joins the group again and takes a share.
    const restarted = await set.startReplica(victim);
    step('kill: restarted');
    const more = Array.from({ length: 3_000 }, (_, i) =>
      passage(i % 2 === 0 ? laneA : laneB, {
        laneNo: i % 2 === 0 ? 1 : 2,
        plateNo: `黑B${String(i).padStart(5, '0')}`,
      }),
    );
    await publisher.publishAll(more);
    ids.push(...more.map((event) => event.eventId));
    await waitUntil(async () => (await storedOf()) >= total + more.length, 60_000, 'the events after the restart');
    const sharedByRestarted = await storedBy(restarted);
    expect(sharedByRestarted).toBeGreaterThan(0);
    expect(await replicaStates(database.url)).toMatchObject({ [set.ids[victim]!]: 'member' });

    raising = false;
    await incidents;
    await incidentsDevice.endAsync();
    await publisher.close();

    // Every console, the one that failed over included, ends up with every alert at its latest state.
    const truth = await everyAlertOnEveryConsole(consoles, database.url);
    expect(truth.size).toBeGreaterThan(10);
    await victimConsole.settled();
    console.info(
      `SIGKILL: ${atKill} of ${total} stored at the kill; ${takenOver} taken over from the dead replica's session; ` +
        `back under its HUB_ID it stored ${sharedByRestarted} of ${more.length} new; ${truth.size} alerts; ` +
        `the failed-over console went ${victimConsole.servedBy.join(' -> ')}`,
    );
  });
  it('a replica stopped cleanly leaves the group at once; the last one keeps its session for the next replica to take over', async () => {
    const topics = new TopicScheme(uniqueTopicRoot());
    const set = await startReplicas(topics.root, FAST_MEMBERSHIP);
    const estate = smallEstate(710);
    const [laneA, laneB] = estate.laneDevices as [string, string];
    await registerEstate(set.hub(0).httpUrl, { tollgates: estate.tollgates, devices: estate.devices });
    const batch = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) =>
        passage(i % 2 === 0 ? laneA : laneB, {
          laneNo: i % 2 === 0 ? 1 : 2,
          plateNo: `${prefix}${String(i).padStart(5, '0')}`,
        }),
      );
    const ids: string[] = [];
    const stored = async () => (await passageRows(database.url, ids)).rows;
    const publisher = await PassagePublisher.connect(broker.url, topics.root);
    try {
      // A rolling stop mid-stream: the first replica leaves; its share goes to the others with no wait for
      // a timeout (the stream is stored well before REPLICA_TIMEOUT_S could have passed for a takeover).
      const first = batch('黑C', 12_000);
      ids.push(...first.map((event) => event.eventId));
      const publishing = publisher.publishAll(first);
      await waitUntil(async () => (await stored()) >= 2_000, 60_000, 'the stream flowing');
      const stoppedAt = Date.now();
      const left = await set.stopReplica(0);
      // Left and drained; or, on a loaded machine, left with its queue still full after 10 s, and taken over.
      expect(
        left.output.some((line) =>
          /"(left the shared subscription group|left the group without draining[^"]*)"/.test(line),
        ),
      ).toBe(true);
      await publishing;
      await waitUntil(async () => (await stored()) >= ids.length, 60_000, 'every event after the clean stop');
      await waitUntil(
        async () => (await replicaStates(database.url))[set.ids[0]!] === 'left',
        30_000,
        'the stopped replica out of the group',
      );
      expect(Date.now() - stoppedAt).toBeLessThan(60_000);

      // Every replica stops: the second leaves, the third is the last alive and keeps its session.
      await set.stopReplica(1);
      const last = await set.stopReplica(2);
      expect(last.output.some((line) => line.includes('last live replica of the group'))).toBe(true);
      expect(await replicaStates(database.url)).toEqual({
        [set.ids[0]!]: 'left',
        [set.ids[1]!]: 'left',
        [set.ids[2]!]: 'member',
      });

      // Events published while no replica runs are queued by the broker for the last one's session; a new
      // replica (a HUB_ID never seen) takes that session over and stores them.
      const whileDown = batch('黑D', 2_000);
      ids.push(...whileDown.map((event) => event.eventId));
      await publisher.publishAll(whileDown);
      const fresh = await set.addReplica();
      await waitUntil(async () => (await stored()) >= ids.length, 60_000, 'the events published while all were down');
      await waitUntil(
        async () => (await replicaStates(database.url))[set.ids[2]!] === 'left',
        30_000,
        'the takeover to finish',
      );
      expect(await takeoverMessages(set.hub(fresh))).toBeGreaterThanOrEqual(whileDown.length);
      expect(await passageRows(database.url, ids)).toEqual({ rows: ids.length, distinct: ids.length });
      expect(await replicaStates(database.url)).toMatchObject({ [set.ids[2]!]: 'left', [set.ids[fresh]!]: 'member' });
    } finally {
      await publisher.close();
    }
  });
});
