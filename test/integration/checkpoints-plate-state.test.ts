import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme, encodeMessage, type AlertRecord, type PassageEventPayload } from '@citywatch/protocol';
import { PassageRulesService } from '../../server/src/checkpoints/passage-rules.service';
import { PassagesRepository } from '../../server/src/checkpoints/passages.repository';
import { EventRepository } from '../../server/src/ingest/event.repository';
import { IngestService } from '../../server/src/ingest/ingest.service';
import { registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';
import { MACHINE_MQTT_URL, createTestDatabase, uniqueTopicRoot, type TestDatabase } from '../support/services';
import { ADMIN_PASSWORD, call, passageEvent, signIn, threeTollgates, type Caller } from './checkpoints-support';

/**
 * CHECKPOINT_PLATE_STATE=database on the machine's PostgreSQL: the cloned-plate and frequent-passage rules
 * read a plate's recent passages from the passages table, so they see what another hub stored and what
 * this hub stored before it restarted (with the default `memory` neither would be seen).
 */
describe('checkpoint plate state in the database (machine PostgreSQL)', () => {
  let database: TestDatabase;
  let env: Record<string, string>;
  const hubs: InProcessHub[] = [];
  let admin: Caller;
  const estate = threeTollgates(800);
  const base = Date.now() - 3_600_000;
  const at = (ms: number) => new Date(base + ms).toISOString();

  const startReplica = async (hubId: string) => {
    const hub = await startInProcessHub({ ...env, HUB_ID: hubId });
    hubs.push(hub);
    return hub;
  };

  /** Stores passages through one hub's ingest pipeline and waits until its rules have run on them. */
  async function store(hub: InProcessHub, ...events: PassageEventPayload[]): Promise<void> {
    const ingest = hub.hub.app.get(IngestService);
    const topics = new TopicScheme(hub.topicRoot);
    for (const e of events) {
      // One at a time: each passage is committed before the next one's rules run, wherever it is stored.
      await ingest.ingest(topics.event(e.deviceId, 'passage'), encodeMessage('passage', e)).committed;
      await new Promise((resolve) => setImmediate(resolve));
      await hub.hub.app.get(PassageRulesService).idle();
    }
  }
  // TG-B and TG-C are 5 km apart with no configured travel time: at 150 km/h the fastest plausible is 120 s.
  const event = (tollgate: 1 | 2, plateNo: string, ms: number) =>
    passageEvent(estate.device(tollgate, 1), {
      tollgateId: ['TG-A', 'TG-B', 'TG-C'][tollgate],
      plateNo,
      passTime: at(ms),
    });
  const alerts = async (hub: InProcessHub, type: string, plateNo: string) =>
    (await call<AlertRecord[]>(hub.httpUrl, admin, `/api/alerts?type=${type}&limit=500`)).body.filter(
      (a) => a.evidence.plateNo === plateNo,
    );

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      MQTT_URL: MACHINE_MQTT_URL,
      TOPIC_ROOT: uniqueTopicRoot(),
      CHECKPOINT_PLATE_STATE: 'database',
      CHECKPOINT_SYNC_INTERVAL_MS: '200',
      ADMIN_PASSWORD,
      RATE_LIMIT_PER_MINUTE: '100000',
    };
    const first = await startReplica('plate-state-1');
    admin = await signIn(first.httpUrl, 'admin', ADMIN_PASSWORD);
    await registerEstate(first.httpUrl, estate, admin.token);
    await startReplica('plate-state-2');
  });

  afterAll(async () => {
    for (const hub of hubs) await hub.stop().catch(() => undefined);
    await database?.drop();
  });

  it('compares a passage with the passages another hub stored (cloned plate, frequent passage)', async () => {
    const [one, two] = hubs as [InProcessHub, InProcessHub];
    await store(one, event(1, '黑A61111', 0));
    await store(two, event(2, '黑A61111', 100_000));
    // 130 s apart is plausible: no alert.
    await store(one, event(1, '黑A61112', 0));
    await store(two, event(2, '黑A61112', 130_000));
    const cloned = await alerts(one, 'cloned_plate', '黑A61111');
    expect(cloned).toHaveLength(1);
    expect(cloned[0]!.evidence.facts).toMatchObject({ firstTollgateId: 'TG-B', secondTollgateId: 'TG-C' });
    expect(await alerts(one, 'cloned_plate', '黑A61112')).toEqual([]);

    // Eleven passages at TG-C within the hour (the default limit is 10), stored alternately by the two hubs.
    for (let i = 0; i < 11; i++) await store(i % 2 ? two : one, event(2, '黑A61113', 200_000 + i * 60_000));
    const frequent = await alerts(two, 'frequent_passage', '黑A61113');
    expect(frequent.map((a) => a.evidence.facts?.passages)).toEqual([11]);
  });

  it('still knows the passages a hub stored before it restarted', async () => {
    const first = hubs[0]!;
    await store(first, event(1, '黑A62221', 1_000_000));
    await first.stop();
    hubs.splice(0, 1);
    const restarted = await startReplica('plate-state-1');
    await store(restarted, event(2, '黑A62221', 1_090_000));
    const cloned = await alerts(restarted, 'cloned_plate', '黑A62221');
    expect(cloned).toHaveLength(1);
    expect(cloned[0]!.sourceEventIds).toHaveLength(2);
  });

  it("reads at most perPlate of a plate's latest passages since the horizon, oldest first", async () => {
    const hub = hubs[0]!;
    const passages = Array.from({ length: 150 }, (_, i) => event(1, '黑L55555', 600_000 + i * 1_000));
    await hub.hub.app.get(EventRepository).insertPassages(passages);
    const rows = await hub.hub.app.get(PassagesRepository).recentOfPlates(['黑L55555', '黑L00000'], at(0), 64);
    expect(rows.map((row) => row.eventId)).toEqual(passages.slice(-64).map((p) => p.eventId));
    const since = await hub.hub.app.get(PassagesRepository).recentOfPlates(['黑L55555'], at(600_000 + 140_000), 64);
    expect(since.map((row) => row.eventId)).toEqual(passages.slice(140).map((p) => p.eventId));
  });
});
