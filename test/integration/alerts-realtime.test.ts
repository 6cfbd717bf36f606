import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import {
  TopicScheme,
  encodeMessage,
  makeDeviceId,
  type AlertChange,
  type AlertComment,
  type AlertOperationReply,
  type AlertRecord,
  type AlertRefusal,
  type AlertSyncReply,
  type ClientToServerEvents,
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

const sync = async (
  socket: Console,
  lastSeq: number,
  areas?: string[],
): Promise<Extract<AlertSyncReply, { ok: true }>> => {
  const request = areas === undefined ? { lastSeq } : { lastSeq, areas };
  const reply = (await socket.timeout(20_000).emitWithAck('alerts:sync', request)) as AlertSyncReply;
  if (!reply.ok) throw new Error(`sync refused: ${reply.error.message}`);
  return reply;
};

type Operation = Exclude<keyof ClientToServerEvents, 'ping' | 'alerts:sync'>;

/** Sends an alert operation over the socket and waits for its acknowledgement. */
const operate = async (socket: Console, event: Operation, body: Record<string, unknown>) =>
  (await socket.timeout(10_000).emitWithAck(event as 'alert:claim', body as never)) as AlertOperationReply;

/** The alert an acknowledgement carries; fails the test when the operation was refused. */
function accepted(reply: AlertOperationReply): AlertRecord {
  expect(reply, JSON.stringify(reply)).toMatchObject({ ok: true });
  return (reply as Extract<AlertOperationReply, { ok: true }>).alert;
}

/** The refusal an acknowledgement carries; fails the test unless it is the expected one. */
function refused(reply: AlertOperationReply, status: AlertRefusal['status'], code: AlertRefusal['code']): AlertRefusal {
  expect(reply, JSON.stringify(reply)).toMatchObject({ ok: false, error: { status, code } });
  const error = (reply as Extract<AlertOperationReply, { ok: false }>).error;
  expect(error.message.length).toBeGreaterThan(0);
  return error;
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

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
  let otherOperator: SignedIn;
  let urban: SignedIn;
  let water: SignedIn;
  let viewer: SignedIn;

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub(hubEnv(prepared.env));
    alerts = hub.hub.app.get(AlertsService);
    admin = await signIn(hub.httpUrl, 'admin', ADMIN_PASSWORD);
    [operator, otherOperator, urban, water, viewer] = await Promise.all([
      makeUser(hub.httpUrl, admin, 'operator'),
      makeUser(hub.httpUrl, admin, 'operator'),
      makeUser(hub.httpUrl, admin, 'department_member', 'urban_management'),
      makeUser(hub.httpUrl, admin, 'department_member', 'water'),
      makeUser(hub.httpUrl, admin, 'viewer'),
    ]);
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

  it('narrows the catch-up and the live stream to the areas a console asks for', async () => {
    const suffix = randomUUID().slice(0, 8);
    const north = `North ${suffix}`;
    const south = `South ${suffix}`;
    const camera = (serial: number, area: string) => ({
      id: makeDeviceId({ kind: 'hd_camera', serial }),
      name: `${area} cam`,
      kind: 'hd_camera' as const,
      lat: 45.7,
      lon: 126.6,
      place: area,
      area,
    });
    const northCam = camera(8301, north);
    const southCam = camera(8302, south);
    await registerEstate(hub.httpUrl, { tollgates: [], devices: [northCam, southCam] }, admin.token);
    const raiseIn = (device: { id: string } | null) => alerts.raise(raiseInput(device ? { deviceId: device.id } : {}));
    const context = { actor: operator.user };

    const mark = await alerts.raise(raiseInput());
    const n1 = await raiseIn(northCam);
    const s1 = await raiseIn(southCam);
    const x1 = await raiseIn(null);
    expect([n1.area, s1.area, x1.area]).toEqual([north, south, null]);

    const filtered = await connectConsole(hub.httpUrl, operator);
    const everything = await connectConsole(hub.httpUrl, viewer);
    const department = await connectConsole(hub.httpUrl, urban);
    try {
      // Catch-up: only the asked-for area; a console that asks for no area gets all three.
      const caughtUp = await sync(filtered.socket, mark.seq, [north]);
      expect(caughtUp.alerts.map((alert) => alert.id)).toEqual([n1.id]);
      const all = await sync(everything.socket, mark.seq);
      expect(all.alerts.map((alert) => alert.id)).toEqual([n1.id, s1.id, x1.id]);
      // A department's own alerts are what it sees, whatever areas it names.
      expect((await sync(department.socket, mark.seq, [north])).alerts).toEqual([]);

      // Live: changes to alerts in the other area (or in none) do not reach the filtered console.
      const n2 = await raiseIn(northCam);
      const s2 = await raiseIn(southCam);
      await raiseIn(null);
      await alerts.claim(s1.id, context);
      await alerts.claim(n1.id, context);
      await alerts.assign(s1.id, { departmentId: 'urban_management', deadline: inAnHour() }, context);
      // The last change, in the console's own area: once it has arrived, nothing sent before it is still on its way.
      const n3 = await raiseIn(northCam);
      const seen = (console: { changes: AlertChange[] }, after: number) =>
        console.changes.filter((change) => change.seq > after).map((change) => `${change.kind} ${change.alert.id}`);
      await expect.poll(() => seen(filtered, mark.seq)).toContain(`raised ${n3.id}`);
      expect(seen(filtered, mark.seq)).toEqual([`raised ${n2.id}`, `claimed ${n1.id}`, `raised ${n3.id}`]);
      await expect.poll(() => seen(everything, mark.seq)).toContain(`raised ${n3.id}`);
      // The console that asked for no area got all seven.
      expect(seen(everything, mark.seq)).toHaveLength(7);
      // The department got the south alert handed to it, although it asked for the north.
      await expect.poll(() => seen(department, mark.seq)).toEqual([`assigned ${s1.id}`]);

      // Syncing again with other areas moves the console to them: the catch-up and the live stream both follow.
      const lastSeen = n3.seq;
      const moved = await sync(filtered.socket, mark.seq, [south]);
      expect(moved.alerts.map((alert) => `${alert.lastChange} ${alert.id}`)).toEqual([
        `raised ${s2.id}`,
        `assigned ${s1.id}`,
      ]);
      const n4 = await raiseIn(northCam);
      const s3 = await raiseIn(southCam);
      await expect.poll(() => seen(filtered, lastSeen)).toContain(`raised ${s3.id}`);
      expect(seen(filtered, lastSeen)).toEqual([`raised ${s3.id}`]);
      await expect.poll(() => seen(everything, lastSeen)).toEqual([`raised ${n4.id}`, `raised ${s3.id}`]);

      // Syncing without areas, or with an empty list, brings back everything, alerts in no area included.
      const sinceLastSeen = [n4.id, s3.id];
      let since = s3.seq;
      for (const areas of [undefined, []]) {
        await sync(filtered.socket, since, [south]);
        const everywhere = await sync(filtered.socket, lastSeen, areas);
        expect(everywhere.alerts.map((alert) => alert.id)).toEqual(sinceLastSeen);
        const x = await raiseIn(null);
        const n = await raiseIn(northCam);
        await expect.poll(() => seen(filtered, since)).toEqual([`raised ${x.id}`, `raised ${n.id}`]);
        sinceLastSeen.push(x.id, n.id);
        since = n.seq;
      }
    } finally {
      filtered.socket.disconnect();
      everything.socket.disconnect();
      department.socket.disconnect();
    }
  });

  describe('acknowledged operations over the socket', () => {
    type Connected = Awaited<ReturnType<typeof connectConsole>>;
    let consoles: Connected[] = [];
    let holder: Console;
    let rival: Console;
    let urbanConsole: Console;
    let waterConsole: Console;
    let viewerConsole: Console;

    beforeAll(async () => {
      consoles = await Promise.all(
        [operator, otherOperator, urban, water, viewer].map((who) => connectConsole(hub.httpUrl, who)),
      );
      [holder, rival, urbanConsole, waterConsole, viewerConsole] = consoles.map((c) => c.socket) as [
        Console,
        Console,
        Console,
        Console,
        Console,
      ];
    });

    afterAll(() => {
      for (const c of consoles) c.socket.disconnect();
    });

    const stored = async (id: string) => (await api<AlertRecord>(hub.httpUrl, admin, 'GET', `/api/alerts/${id}`)).body;
    const claimedBy = async (who: SignedIn) => {
      const alert = await alerts.raise(raiseInput());
      return alerts.claim(alert.id, { actor: who.user });
    };
    const assignedTo = async (departmentId: string) => {
      const alert = await claimedBy(operator);
      return alerts.assign(alert.id, { departmentId, deadline: inAnHour() }, { actor: operator.user });
    };

    it('alert:assign acknowledges the assigned alert, and returns each refusal to the caller', async () => {
      const alert = await alerts.raise(raiseInput());
      const deadline = inAnHour();
      const body = { alertId: alert.id, departmentId: 'urban_management', deadline, note: 'move the stall' };
      // Not claimed yet: new → assigned is not a transition.
      expect(refused(await operate(holder, 'alert:assign', body), 409, 'illegal_transition').state).toBe('new');
      accepted(await operate(holder, 'alert:claim', { alertId: alert.id }));
      // Another operator may not hand on a claim someone else holds; a viewer or a department may not assign.
      const held = refused(await operate(rival, 'alert:assign', body), 409, 'already_claimed');
      expect(held.heldBy).toMatchObject({ id: operator.user.id });
      refused(await operate(viewerConsole, 'alert:assign', body), 403, 'forbidden');
      refused(await operate(urbanConsole, 'alert:assign', body), 403, 'forbidden');
      // Bad bodies: no deadline, a deadline in the past, an unknown department, a malformed id, an unknown alert.
      refused(await operate(holder, 'alert:assign', { ...body, deadline: undefined }), 400, 'invalid');
      const past = new Date(Date.now() - 60_000).toISOString();
      refused(await operate(holder, 'alert:assign', { ...body, deadline: past }), 400, 'invalid');
      refused(await operate(holder, 'alert:assign', { ...body, departmentId: 'no_such_department' }), 400, 'invalid');
      refused(await operate(holder, 'alert:assign', { ...body, alertId: 'x1' }), 400, 'invalid');
      refused(await operate(holder, 'alert:assign', { ...body, alertId: '999999999' }), 404, 'not_found');
      // None of the refusals changed it.
      expect(await stored(alert.id)).toMatchObject({ state: 'claimed', departmentId: null });

      const assigned = accepted(await operate(holder, 'alert:assign', body));
      expect(assigned).toMatchObject({
        id: alert.id,
        state: 'assigned',
        departmentId: 'urban_management',
        deadline,
        lastChange: 'assigned',
      });
      expect(await stored(alert.id)).toMatchObject({
        state: 'assigned',
        seq: assigned.seq,
        departmentId: 'urban_management',
      });
    });

    it('alert:resolve acknowledges the resolved alert, and returns each refusal to the caller', async () => {
      const alert = await assignedTo('urban_management');
      const body = { alertId: alert.id, resolution: 'stall moved on' };
      // Another department does not see it; a viewer may not work it; the resolution is required.
      refused(await operate(waterConsole, 'alert:resolve', body), 404, 'not_found');
      refused(await operate(viewerConsole, 'alert:resolve', body), 403, 'forbidden');
      refused(await operate(urbanConsole, 'alert:resolve', { alertId: alert.id, resolution: '' }), 400, 'invalid');
      // Only an assigned alert is resolved.
      const onlyClaimed = await claimedBy(operator);
      const early = refused(
        await operate(holder, 'alert:resolve', { alertId: onlyClaimed.id, resolution: 'x' }),
        409,
        'illegal_transition',
      );
      expect(early.state).toBe('claimed');
      expect(await stored(alert.id)).toMatchObject({ state: 'assigned', resolvedAt: null });

      const resolved = accepted(await operate(urbanConsole, 'alert:resolve', body));
      expect(resolved).toMatchObject({ id: alert.id, state: 'resolved', resolution: 'stall moved on' });
      expect(resolved.resolvedAt).not.toBeNull();
      expect(await stored(alert.id)).toMatchObject({ state: 'resolved', seq: resolved.seq });
      // Resolving it again is refused.
      const again = refused(await operate(urbanConsole, 'alert:resolve', body), 409, 'illegal_transition');
      expect(again.state).toBe('resolved');
    });

    it('alert:false-alarm acknowledges the closed alert, and returns each refusal to the caller', async () => {
      const fresh = await alerts.raise(raiseInput());
      const early = refused(
        await operate(holder, 'alert:false-alarm', { alertId: fresh.id, reason: 'shadow' }),
        409,
        'illegal_transition',
      );
      expect(early.state).toBe('new');

      const alert = await claimedBy(operator);
      const body = { alertId: alert.id, reason: 'a shadow on the lens' };
      refused(await operate(rival, 'alert:false-alarm', body), 409, 'already_claimed');
      refused(await operate(viewerConsole, 'alert:false-alarm', body), 403, 'forbidden');
      refused(await operate(urbanConsole, 'alert:false-alarm', body), 404, 'not_found');
      refused(await operate(holder, 'alert:false-alarm', { alertId: alert.id }), 400, 'invalid');
      expect(await stored(alert.id)).toMatchObject({ state: 'claimed', falseAlarmAt: null });

      const closed = accepted(await operate(holder, 'alert:false-alarm', body));
      expect(closed).toMatchObject({ id: alert.id, state: 'false_alarm', falseAlarmReason: 'a shadow on the lens' });
      expect(await stored(alert.id)).toMatchObject({ state: 'false_alarm', seq: closed.seq });
      refused(await operate(holder, 'alert:false-alarm', body), 409, 'illegal_transition');

      // A department calls a false alarm on what is assigned to it.
      const assigned = await assignedTo('water');
      const byWater = accepted(
        await operate(waterConsole, 'alert:false-alarm', { alertId: assigned.id, reason: 'dry' }),
      );
      expect(byWater).toMatchObject({ state: 'false_alarm', departmentId: 'water' });
    });

    it('alert:reopen acknowledges the reopened alert, and returns each refusal to the caller', async () => {
      const open = await assignedTo('urban_management');
      const stillOpen = refused(
        await operate(holder, 'alert:reopen', { alertId: open.id, reason: 'again' }),
        409,
        'illegal_transition',
      );
      expect(stillOpen.state).toBe('assigned');

      const alert = await alerts.resolve(open.id, { resolution: 'cleared' }, { actor: urban.user });
      const body = { alertId: alert.id, reason: 'the stall is back' };
      // Only operators and admins reopen.
      refused(await operate(urbanConsole, 'alert:reopen', body), 403, 'forbidden');
      refused(await operate(viewerConsole, 'alert:reopen', body), 403, 'forbidden');
      refused(await operate(holder, 'alert:reopen', { alertId: alert.id, reason: '' }), 400, 'invalid');
      expect(await stored(alert.id)).toMatchObject({ state: 'resolved', reopenedAt: null });

      const reopened = accepted(await operate(rival, 'alert:reopen', body));
      expect(reopened).toMatchObject({ id: alert.id, state: 'new', claimedBy: null, departmentId: null });
      expect(reopened.reopenedAt).not.toBeNull();
      expect(await stored(alert.id)).toMatchObject({ state: 'new', seq: reopened.seq });
      refused(await operate(holder, 'alert:reopen', body), 409, 'illegal_transition');
    });

    it('alert:comment acknowledges the commented alert, and returns each refusal to the caller', async () => {
      const alert = await assignedTo('urban_management');
      const body = { alertId: alert.id, text: 'team on the way' };
      refused(await operate(viewerConsole, 'alert:comment', body), 403, 'forbidden');
      refused(await operate(waterConsole, 'alert:comment', body), 404, 'not_found');
      refused(await operate(urbanConsole, 'alert:comment', { alertId: alert.id, text: '' }), 400, 'invalid');
      refused(
        await operate(urbanConsole, 'alert:comment', { alertId: alert.id, text: 'x'.repeat(4001) }),
        400,
        'invalid',
      );
      expect(await stored(alert.id)).toMatchObject({ commentCount: 0 });

      const commented = accepted(await operate(urbanConsole, 'alert:comment', body));
      expect(commented).toMatchObject({ id: alert.id, state: 'assigned', commentCount: 1, lastChange: 'commented' });
      // Comments are allowed at any time, after closing too.
      await alerts.resolve(alert.id, { resolution: 'done' }, { actor: urban.user });
      const late = accepted(await operate(holder, 'alert:comment', { alertId: alert.id, text: 'checked it myself' }));
      expect(late).toMatchObject({ state: 'resolved', commentCount: 2 });
      const comments = await api<AlertComment[]>(hub.httpUrl, admin, 'GET', `/api/alerts/${alert.id}/comments`);
      expect(comments.body.map((comment) => [comment.author?.id, comment.text])).toEqual([
        [urban.user.id, 'team on the way'],
        [operator.user.id, 'checked it myself'],
      ]);
    });
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
