import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import {
  TopicScheme,
  encodeMessage,
  makeDeviceId,
  type AlertChange,
  type AlertRecord,
  type AlertSyncReply,
} from '@citywatch/protocol';
import { AlertsService } from '../../server/src/alerts/alerts.service';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import { registerEstate, startHub, startInProcessHub, type HubProcess, type InProcessHub } from '../support/hub';
import {
  MACHINE_MQTT_URL,
  createTestDatabase,
  uniqueName,
  uniqueTopicRoot,
  type TestDatabase,
} from '../support/services';
import {
  ADMIN_PASSWORD,
  api,
  connectConsole,
  hubEnv,
  makeUser,
  raiseInput,
  signIn,
  type Console,
  type SignedIn,
} from './alerts-helpers';

const sync = async (socket: Console, lastSeq: number): Promise<Extract<AlertSyncReply, { ok: true }>> => {
  const reply = (await socket.timeout(20_000).emitWithAck('alerts:sync', { lastSeq })) as AlertSyncReply;
  if (!reply.ok) throw new Error(`sync refused: ${reply.error.message}`);
  return reply;
};

/** What a console knows after applying changes: each alert at the highest seq seen. */
function apply(view: Map<string, AlertRecord>, alerts: readonly AlertRecord[]): void {
  for (const alert of alerts) {
    const known = view.get(alert.id);
    if (!known || known.seq < alert.seq) view.set(alert.id, alert);
  }
}

describe.each(BACKENDS)('alerts over socket.io on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let alerts: AlertsService;
  let admin: SignedIn;
  let operator: SignedIn;

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub(hubEnv(prepared.env));
    alerts = hub.hub.app.get(AlertsService);
    admin = await signIn(hub.httpUrl, 'admin', ADMIN_PASSWORD);
    operator = await makeUser(hub.httpUrl, admin, 'operator');
  });

  afterAll(async () => {
    await hub?.stop();
    await cleanup?.();
  });

  it('catches a reconnecting console up with no gaps and no duplicates, then streams live', async () => {
    const first = await connectConsole(hub.httpUrl, operator);
    const initial = await sync(first.socket, 0);
    const view = new Map<string, AlertRecord>();
    apply(view, initial.alerts);
    const before = await Promise.all(Array.from({ length: 20 }, () => alerts.raise(raiseInput())));
    await expect.poll(() => first.changes.length).toBeGreaterThanOrEqual(20);
    apply(
      view,
      first.changes.map((change) => change.alert),
    );
    const lastSeq = Math.max(initial.upToSeq, ...first.changes.map((change) => change.seq));
    first.socket.disconnect();

    // While it is away: new alerts, repeats and transitions of ones it knows.
    const context = { actor: operator.user };
    await Promise.all(Array.from({ length: 30 }, () => alerts.raise(raiseInput())));
    for (const alert of before.slice(0, 5)) await alerts.claim(alert.id, context);
    for (const alert of before.slice(5, 10)) await alerts.raise(raiseInput({ dedupeKey: alert.dedupeKey }));

    // It comes back while alerts keep arriving.
    let raising = true;
    const background = (async () => {
      const raised: AlertRecord[] = [];
      for (let i = 0; i < 60 && raising; i++) {
        raised.push(await alerts.raise(raiseInput()));
        if (i % 10 === 0) await alerts.claim(raised[raised.length - 1]!.id, context);
      }
      return raised;
    })();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await connectConsole(hub.httpUrl, operator);
    const caughtUp = await sync(second.socket, lastSeq);
    raising = false;
    await background;

    const database = hub.hub.app.get<Database>(DATABASE);
    const truth = await database.query<{ id: string; seq: string }>(
      'SELECT id::text AS id, seq::text AS seq FROM alerts WHERE seq > $1',
      [lastSeq],
    );
    const wanted = new Map(truth.rows.map((row) => [row.id, Number(row.seq)]));
    await expect
      .poll(() => {
        const got = new Map(view);
        apply(got, caughtUp.alerts);
        apply(
          got,
          second.changes.map((change) => change.alert),
        );
        return [...wanted].filter(([id, seq]) => got.get(id)?.seq !== seq).length;
      })
      .toBe(0);

    // No duplicates: nothing in the catch-up was also pushed live, and nothing was pushed twice.
    const liveSeqs = second.changes.map((change) => change.seq);
    expect(new Set(liveSeqs).size).toBe(liveSeqs.length);
    const caughtSeqs = caughtUp.alerts.map((alert) => alert.seq);
    expect(caughtSeqs.filter((seq) => liveSeqs.includes(seq))).toEqual([]);
    expect(new Set(caughtUp.alerts.map((alert) => alert.id)).size).toBe(caughtUp.alerts.length);
    expect(caughtSeqs.every((seq) => seq > lastSeq)).toBe(true);
    expect([...caughtSeqs].sort((a, b) => a - b)).toEqual(caughtSeqs);
    // Live changes arrive in seq order.
    expect([...liveSeqs].sort((a, b) => a - b)).toEqual(liveSeqs);
    // The ones it missed while away are in the catch-up at their latest state.
    for (const alert of before.slice(0, 5)) {
      expect(caughtUp.alerts.find((a) => a.id === alert.id)).toMatchObject({ state: 'claimed', lastChange: 'claimed' });
    }
    for (const alert of before.slice(5, 10)) {
      expect(caughtUp.alerts.find((a) => a.id === alert.id)).toMatchObject({ count: 2, lastChange: 'repeated' });
    }
    second.socket.disconnect();
  });

  it('refuses a malformed sync through the acknowledgement', async () => {
    const console = await connectConsole(hub.httpUrl, operator);
    const reply = (await console.socket.timeout(5_000).emitWithAck('alerts:sync', { lastSeq: -1 })) as AlertSyncReply;
    expect(reply).toMatchObject({ ok: false, error: { status: 400, code: 'invalid' } });
    console.socket.disconnect();
  });
});

describe('alerts across two hub processes sharing Redis', () => {
  let database: TestDatabase;
  let hubs: HubProcess[] = [];
  const topicRoot = uniqueTopicRoot();

  beforeAll(async () => {
    database = await createTestDatabase();
    const common = hubEnv({
      DATABASE_URL: database.url,
      MQTT_URL: MACHINE_MQTT_URL,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_CHANNEL_PREFIX: uniqueName('citywatch-test'),
    });
    // One at a time: the first creates the administrator; only the first reads the devices' topic root.
    hubs.push(await startHub({ env: { ...common, TOPIC_ROOT: topicRoot, HUB_ID: uniqueName('hub-a') } }));
    hubs.push(await startHub({ env: { ...common, TOPIC_ROOT: uniqueTopicRoot(), HUB_ID: uniqueName('hub-b') } }));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(hubs.map((hub) => hub.stop()));
    hubs = [];
    await database?.drop();
  });

  it('pushes an alert raised on one hub to a console connected to the other', async () => {
    const [hubA, hubB] = hubs as [HubProcess, HubProcess];
    const admin = await signIn(hubA.httpUrl, 'admin', ADMIN_PASSWORD);
    const camera = makeDeviceId({ kind: 'hd_camera', serial: 8801 });
    await registerEstate(
      hubA.httpUrl,
      {
        tollgates: [],
        devices: [
          { id: camera, name: 'Hanan cam 1', kind: 'hd_camera', lat: 45.6, lon: 126.6, place: 'Hanan', area: 'Hanan' },
        ],
      },
      admin.token,
    );
    const operator = await makeUser(hubA.httpUrl, admin, 'operator');
    const onB = await connectConsole(hubB.httpUrl, operator);
    try {
      const initial = await sync(onB.socket, 0);
      const eventId = randomUUID();
      const device = await mqtt.connectAsync(MACHINE_MQTT_URL, {
        clientId: `device-${camera}-${randomUUID()}`,
        clean: true,
      });
      const topics = new TopicScheme(topicRoot);
      await device.publishAsync(
        topics.event(camera, 'incident'),
        encodeMessage('incident', {
          v: 1,
          eventId,
          deviceId: camera,
          at: new Date().toISOString(),
          kind: 'fire_smoke',
          confidence: 0.95,
        } as never),
        { qos: 1 },
      );
      await device.endAsync();
      // Only hub A reads this topic root, so hub A raised it; the console on hub B hears of it through Redis.
      let raised: AlertChange | undefined;
      await expect
        .poll(() => (raised = onB.changes.find((change) => change.eventIds.includes(eventId))), { timeout: 20_000 })
        .toBeDefined();
      expect(raised).toMatchObject({
        kind: 'raised',
        alert: { type: 'urban_incident', severity: 'critical', area: 'Hanan' },
      });
      expect(hubA.output.join('\n')).toContain('socket.io Redis adapter connected');

      // An operation through hub A's REST API reaches the console on hub B too.
      const claim = await api<AlertRecord>(hubA.httpUrl, operator, 'POST', `/api/alerts/${raised!.alert.id}/claim`, {});
      expect(claim.status).toBe(200);
      await expect
        .poll(() => onB.changes.some((change) => change.kind === 'claimed' && change.alert.id === raised!.alert.id))
        .toBe(true);
      // And the shared database lets hub B catch a console up on what hub A did.
      const fresh = await connectConsole(hubB.httpUrl, operator);
      const all = await sync(fresh.socket, initial.upToSeq);
      expect(all.alerts.find((alert) => alert.id === raised!.alert.id)).toMatchObject({ state: 'claimed' });
      fresh.socket.disconnect();
    } finally {
      onB.socket.disconnect();
    }
  });
});
