import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import mqtt from 'mqtt';
import {
  ALERT_ACTIONS,
  ALERT_STATES,
  TopicScheme,
  encodeMessage,
  makeDeviceId,
  type AlertAction,
  type AlertHourlySeries,
  type AlertOperationReply,
  type AlertRecord,
  type AlertRefusal,
  type AlertState,
  type AlertStats,
  type AlertTrailEntry,
  type Department,
} from '@citywatch/protocol';
import { randomUUID } from 'node:crypto';
import { AlertClock } from '../../server/src/alerts/alert-clock';
import { TRANSITIONS } from '../../server/src/alerts/alert-rules';
import { AlertsService } from '../../server/src/alerts/alerts.service';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import { smallEstate } from '../support/fixtures';
import { registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';
import {
  ADMIN_PASSWORD,
  api,
  connectConsole,
  hubEnv,
  makeUser,
  raiseInput,
  signIn,
  type SignedIn,
} from './alerts-helpers';

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe.each(BACKENDS)('alert lifecycle on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let alerts: AlertsService;
  let admin: SignedIn;
  let operatorA: SignedIn;
  let operatorB: SignedIn;
  let urban: SignedIn;
  let water: SignedIn;
  let viewer: SignedIn;
  const estate = smallEstate(700);

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub(hubEnv(prepared.env));
    alerts = hub.hub.app.get(AlertsService);
    admin = await signIn(hub.httpUrl, 'admin', ADMIN_PASSWORD);
    await registerEstate(hub.httpUrl, estate, admin.token);
    [operatorA, operatorB, urban, water, viewer] = await Promise.all([
      makeUser(hub.httpUrl, admin, 'operator'),
      makeUser(hub.httpUrl, admin, 'operator'),
      makeUser(hub.httpUrl, admin, 'department_member', 'urban_management'),
      makeUser(hub.httpUrl, admin, 'department_member', 'water'),
      makeUser(hub.httpUrl, admin, 'viewer'),
    ]);
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await hub?.stop();
    await cleanup?.();
  });

  const post = <T = AlertRecord>(who: SignedIn, path: string, body: unknown = {}) =>
    api<T>(hub.httpUrl, who, 'POST', path, body);

  it('walks new → claimed → assigned → resolved → reopened, with the trail and audit of every step', async () => {
    const raised = await alerts.raise(raiseInput({ deviceId: estate.laneDevices[0] }));
    expect(raised).toMatchObject({ state: 'new', count: 1, area: 'Youxie street office', lastChange: 'raised' });

    const claimed = await post(operatorA, `/api/alerts/${raised.id}/claim`);
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ state: 'claimed', claimedBy: operatorA.user.id });
    expect(claimed.body.seq).toBeGreaterThan(raised.seq);

    const deadline = inAnHour();
    const assigned = await post(operatorA, `/api/alerts/${raised.id}/assign`, {
      departmentId: 'urban_management',
      deadline,
      note: 'clear the stall before the evening rush',
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ state: 'assigned', departmentId: 'urban_management', deadline });

    // Another department may not see it, let alone resolve it.
    expect((await post(water, `/api/alerts/${raised.id}/resolve`, { resolution: 'x' })).status).toBe(404);
    expect((await api(hub.httpUrl, water, 'GET', `/api/alerts/${raised.id}`)).status).toBe(404);
    // A viewer reads but does not work.
    expect((await api(hub.httpUrl, viewer, 'GET', `/api/alerts/${raised.id}`)).status).toBe(200);
    expect((await post(viewer, `/api/alerts/${raised.id}/comments`, { text: 'hi' })).status).toBe(403);

    const commented = await post(urban, `/api/alerts/${raised.id}/comments`, { text: 'team on the way' });
    expect(commented.body).toMatchObject({ state: 'assigned', commentCount: 1 });
    const resolved = await post(urban, `/api/alerts/${raised.id}/resolve`, { resolution: 'stall moved on' });
    expect(resolved.body).toMatchObject({ state: 'resolved', resolution: 'stall moved on', overdue: false });
    expect(resolved.body.resolvedAt).not.toBeNull();

    const reopened = await post(operatorB, `/api/alerts/${raised.id}/reopen`, { reason: 'stall is back' });
    expect(reopened.body).toMatchObject({ state: 'new', claimedBy: null, departmentId: null });

    const trail = await api<AlertTrailEntry[]>(hub.httpUrl, viewer, 'GET', `/api/alerts/${raised.id}/trail`);
    expect(trail.body.map((entry) => [entry.kind, entry.fromState, entry.toState, entry.actor?.id ?? null])).toEqual([
      ['raised', null, 'new', null],
      ['claimed', 'new', 'claimed', operatorA.user.id],
      ['assigned', 'claimed', 'assigned', operatorA.user.id],
      ['commented', 'assigned', 'assigned', urban.user.id],
      ['resolved', 'assigned', 'resolved', urban.user.id],
      ['reopened', 'resolved', 'new', operatorB.user.id],
    ]);
    const seqs = trail.body.map((entry) => entry.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    // The trail cannot be edited.
    const database = hub.hub.app.get<Database>(DATABASE);
    await expect(database.query(`UPDATE alert_changes SET actor_name = 'someone else'`)).rejects.toThrow(/append-only/);
    await expect(database.query(`DELETE FROM alert_changes`)).rejects.toThrow(/append-only/);

    const audit = await database.query<{ action: string; actor_username: string; outcome: string }>(
      `SELECT action, actor_username, outcome FROM audit_log WHERE target = $1 ORDER BY id`,
      [`alert:${raised.id}`],
    );
    expect(audit.rows.filter((row) => row.outcome === 'success').map((row) => row.action)).toEqual([
      'alerts.claim',
      'alerts.assign',
      'alerts.comment',
      'alerts.resolve',
      'alerts.reopen',
    ]);
    expect(audit.rows.filter((row) => row.outcome === 'failure').map((row) => row.action)).toContain('alerts.resolve');
  });

  it('allows exactly the legal transitions from every state and refuses the rest with 409', async () => {
    const reach = async (state: AlertState): Promise<AlertRecord> => {
      const alert = await alerts.raise(raiseInput());
      const context = { actor: admin.user };
      if (state === 'new') return alert;
      await alerts.claim(alert.id, context);
      if (state === 'claimed') return alerts.get(alert.id, admin.user);
      if (state === 'false_alarm') return alerts.falseAlarm(alert.id, { reason: 'shadow' }, context);
      await alerts.assign(alert.id, { departmentId: 'water', deadline: inAnHour() }, context);
      if (state === 'assigned') return alerts.get(alert.id, admin.user);
      return alerts.resolve(alert.id, { resolution: 'fixed' }, context);
    };
    const bodies: Record<AlertAction, unknown> = {
      claim: {},
      assign: { departmentId: 'power', deadline: inAnHour() },
      resolve: { resolution: 'done' },
      false_alarm: { reason: 'a shadow' },
      reopen: { reason: 'again' },
      comment: { text: 'noted' },
    };
    const paths: Record<AlertAction, string> = {
      claim: 'claim',
      assign: 'assign',
      resolve: 'resolve',
      false_alarm: 'false-alarm',
      reopen: 'reopen',
      comment: 'comments',
    };
    const outcomes: string[] = [];
    for (const state of ALERT_STATES) {
      for (const action of ALERT_ACTIONS) {
        const alert = await reach(state);
        expect(alert.state).toBe(state);
        const response = await post<AlertRecord | AlertRefusal>(
          admin,
          `/api/alerts/${alert.id}/${paths[action]}`,
          bodies[action],
        );
        const legal = TRANSITIONS[action].from.includes(state);
        outcomes.push(`${state} ${action} ${response.status}`);
        if (legal) {
          expect(response.status, `${state} → ${action}`).toBe(200);
          const to = TRANSITIONS[action].to;
          expect((response.body as AlertRecord).state).toBe(to === 'same' ? state : to);
        } else {
          expect(response.status, `${state} → ${action}`).toBe(409);
          expect((response.body as AlertRefusal).code).toMatch(/illegal_transition|already_claimed/);
        }
      }
    }
    expect(outcomes).toHaveLength(ALERT_STATES.length * ALERT_ACTIONS.length);
  });

  it('refuses bad input and unknown alerts', async () => {
    const alert = await alerts.raise(raiseInput());
    await post(operatorA, `/api/alerts/${alert.id}/claim`);
    const past = await post<AlertRefusal>(operatorA, `/api/alerts/${alert.id}/assign`, {
      departmentId: 'water',
      deadline: new Date(Date.now() - 60_000).toISOString(),
    });
    expect(past.status).toBe(400);
    const unknownDepartment = await post<AlertRefusal>(operatorA, `/api/alerts/${alert.id}/assign`, {
      departmentId: 'no_such_department',
      deadline: inAnHour(),
    });
    expect(unknownDepartment.status).toBe(400);
    expect((await post(operatorA, `/api/alerts/${alert.id}/resolve`, {})).status).toBe(400);
    expect((await post(operatorA, `/api/alerts/999999999/claim`)).status).toBe(404);
  });

  it('lets exactly one of two operators claiming at once win; the other learns who holds it', async () => {
    const [a, b] = await Promise.all([connectConsole(hub.httpUrl, operatorA), connectConsole(hub.httpUrl, operatorB)]);
    try {
      for (let round = 0; round < 10; round++) {
        const alert = await alerts.raise(raiseInput({ severity: 'major' }));
        const [replyA, replyB] = await Promise.all(
          [a, b].map(({ socket }) =>
            socket.timeout(10_000).emitWithAck('alert:claim', { alertId: alert.id }),
          ) as Promise<AlertOperationReply>[],
        );
        const winners = [replyA, replyB].filter((reply) => reply.ok);
        const losers = [replyA, replyB].filter((reply) => !reply.ok);
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(1);
        const winner = winners[0] as Extract<AlertOperationReply, { ok: true }>;
        const loser = losers[0] as Extract<AlertOperationReply, { ok: false }>;
        expect(loser.error).toMatchObject({
          status: 409,
          code: 'already_claimed',
          heldBy: { id: winner.alert.claimedBy },
        });
        expect(loser.error.heldBy?.name).toBe(winner.alert.claimedByName);
      }
      // Socket operations answer refusals through the acknowledgement too.
      const viewerConsole = await connectConsole(hub.httpUrl, viewer);
      const refused = (await viewerConsole.socket
        .timeout(10_000)
        .emitWithAck('alert:claim', { alertId: '1' })) as AlertOperationReply;
      expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      viewerConsole.socket.disconnect();
    } finally {
      a.socket.disconnect();
      b.socket.disconnect();
    }
  });

  it('folds repeats of an open alert into it, and raises a new one once it is closed', async () => {
    const dedupeKey = `hotlist:${randomUUID()}`;
    const repeats = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        alerts.raise(raiseInput({ dedupeKey, type: 'hotlist_vehicle', sourceEventIds: [`ev-${i}-${randomUUID()}`] })),
      ),
    );
    expect(new Set(repeats.map((alert) => alert.id)).size).toBe(1);
    const alert = await alerts.get(repeats[0]!.id, admin.user);
    expect(alert.count).toBe(5);
    expect(alert.sourceEventIds).toHaveLength(5);
    expect(Date.parse(alert.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(alert.firstSeenAt));
    // A repeat with a higher severity raises the open alert's severity.
    const worse = await alerts.raise(raiseInput({ dedupeKey, type: 'hotlist_vehicle', severity: 'critical' }));
    expect(worse).toMatchObject({ id: alert.id, count: 6, severity: 'critical', lastChange: 'repeated' });

    await alerts.claim(alert.id, { actor: operatorA.user });
    const stillOpen = await alerts.raise(raiseInput({ dedupeKey, type: 'hotlist_vehicle' }));
    expect(stillOpen).toMatchObject({ id: alert.id, count: 7, state: 'claimed' });
    await alerts.falseAlarm(alert.id, { reason: 'plate misread' }, { actor: operatorA.user });
    const fresh = await alerts.raise(raiseInput({ dedupeKey, type: 'hotlist_vehicle' }));
    expect(fresh.id).not.toBe(alert.id);
    expect(fresh).toMatchObject({ count: 1, state: 'new' });
    // Reopening the closed one while another with its key is open is refused.
    const reopen = await post<AlertRefusal>(operatorA, `/api/alerts/${alert.id}/reopen`, { reason: 'again' });
    expect(reopen.status).toBe(409);
  });

  it('escalates alerts left unclaimed per severity, and alerts past their deadline once, on a controlled clock', async () => {
    const clock = hub.hub.app.get(AlertClock);
    const start = Date.now() + 10 * 86_400_000;
    let now = start;
    const spy = vi.spyOn(clock, 'now').mockImplementation(() => new Date(now));
    const watcher = await connectConsole(hub.httpUrl, viewer);
    try {
      const minor = await alerts.raise(raiseInput({ severity: 'minor' }));
      const critical = await alerts.raise(raiseInput({ severity: 'critical' }));
      const handled = await alerts.raise(raiseInput({ severity: 'critical' }));
      await alerts.claim(handled.id, { actor: operatorA.user });

      // Default timeouts: critical 120 s, minor 1800 s.
      now = start + 119_000;
      expect((await alerts.escalate()).filter((a) => [minor.id, critical.id].includes(a.id))).toEqual([]);
      now = start + 120_000;
      const first = await alerts.escalate();
      expect(first.find((a) => a.id === critical.id)).toMatchObject({ severity: 'critical', escalationLevel: 1 });
      expect(first.find((a) => a.id === minor.id)).toBeUndefined();
      expect(first.find((a) => a.id === handled.id)).toBeUndefined();

      now = start + 1_800_000;
      const second = await alerts.escalate();
      expect(second.find((a) => a.id === minor.id)).toMatchObject({ severity: 'major', escalationLevel: 1 });
      // After escalation the clock restarts with the new severity's timeout (major: 600 s).
      now = start + 2_399_000;
      expect((await alerts.escalate()).find((a) => a.id === minor.id)).toBeUndefined();
      now = start + 2_400_000;
      expect((await alerts.escalate()).find((a) => a.id === minor.id)).toMatchObject({
        severity: 'critical',
        escalationLevel: 2,
      });

      // Past its deadline: escalated once.
      const deadline = new Date(start + 3_000_000).toISOString();
      await alerts.assign(handled.id, { departmentId: 'power', deadline }, { actor: operatorA.user });
      now = start + 3_000_001;
      const overdue = (await alerts.escalate()).find((a) => a.id === handled.id);
      expect(overdue).toMatchObject({ escalationLevel: 1, overdue: true, state: 'assigned' });
      now = start + 4_000_000;
      expect((await alerts.escalate()).find((a) => a.id === handled.id)).toBeUndefined();

      await expect
        .poll(() =>
          watcher.changes
            .filter((change) => change.kind === 'escalated')
            .map((change) => `${change.alert.id}:${change.details.reason}`),
        )
        .toEqual(
          expect.arrayContaining([`${critical.id}:unclaimed`, `${minor.id}:unclaimed`, `${handled.id}:overdue`]),
        );
    } finally {
      spy.mockRestore();
      watcher.socket.disconnect();
    }
  });

  it('shows a department only what is assigned to it, live and in lists', async () => {
    const urbanConsole = await connectConsole(hub.httpUrl, urban);
    const waterConsole = await connectConsole(hub.httpUrl, water);
    try {
      const alert = await alerts.raise(raiseInput());
      await alerts.claim(alert.id, { actor: operatorA.user });
      await alerts.assign(
        alert.id,
        { departmentId: 'urban_management', deadline: inAnHour() },
        { actor: operatorA.user },
      );
      await alerts.assign(alert.id, { departmentId: 'water', deadline: inAnHour() }, { actor: operatorA.user });
      await expect.poll(() => waterConsole.changes.filter((c) => c.alert.id === alert.id).length).toBe(1);
      // Urban management saw it arrive and leave.
      await expect
        .poll(() => urbanConsole.changes.filter((c) => c.alert.id === alert.id).map((c) => c.alert.departmentId))
        .toEqual(['urban_management', 'water']);
      expect(urbanConsole.changes.some((c) => c.kind === 'raised')).toBe(false);
      const list = await api<AlertRecord[]>(hub.httpUrl, water, 'GET', '/api/alerts?open=true');
      expect(list.body.length).toBeGreaterThan(0);
      expect(list.body.every((a) => a.departmentId === 'water')).toBe(true);
    } finally {
      urbanConsole.socket.disconnect();
      waterConsole.socket.disconnect();
    }
  });

  it('raises alerts from camera incidents and devices going offline', async () => {
    const topics = new TopicScheme(hub.topicRoot);
    const camera = makeDeviceId({ kind: 'hd_camera', serial: 7001 });
    await registerEstate(
      hub.httpUrl,
      {
        tollgates: [],
        devices: [
          {
            id: camera,
            name: 'Xinjiang Ave cam 1',
            kind: 'hd_camera',
            lat: 45.6,
            lon: 126.6,
            place: 'Xinjiang Ave',
            area: 'Pingfang',
          },
        ],
      },
      admin.token,
    );
    const watcher = await connectConsole(hub.httpUrl, viewer);
    try {
      const device = await mqtt.connectAsync(hub.mqttUrl, {
        clientId: `device-${camera}-${randomUUID()}`,
        clean: true,
      });
      const incident = (kind: string) => ({
        v: 1,
        eventId: randomUUID(),
        deviceId: camera,
        at: new Date().toISOString(),
        kind,
        confidence: 0.9,
        description: 'vendor cart on the pavement',
      });
      const first = incident('street_vending');
      await device.publishAsync(topics.event(camera, 'incident'), encodeMessage('incident', first as never), {
        qos: 1,
      });
      await device.publishAsync(
        topics.event(camera, 'incident'),
        encodeMessage('incident', incident('street_vending') as never),
        { qos: 1 },
      );
      await device.publishAsync(
        topics.event(camera, 'incident'),
        encodeMessage('incident', incident('tamper') as never),
        { qos: 1 },
      );
      await device.endAsync();
      await expect
        .poll(async () => {
          const list = await api<AlertRecord[]>(hub.httpUrl, viewer, 'GET', '/api/alerts?open=true&limit=500');
          return list.body
            .filter((a) => a.deviceId === camera)
            .map((a) => `${a.type}:${a.count}:${a.area}`)
            .sort();
        })
        .toEqual(['device_tamper:1:Pingfang', 'urban_incident:2:Pingfang']);
      await expect.poll(() => watcher.changes.some((c) => c.eventIds.includes(first.eventId))).toBe(true);

      // A status message saying offline (as a last will would) raises a device-offline alert.
      const status = await mqtt.connectAsync(hub.mqttUrl, { clientId: `device-${camera}-s`, clean: true });
      await status.publishAsync(
        topics.status(camera),
        encodeMessage('status', { v: 1, deviceId: camera, state: 'online', at: new Date().toISOString() } as never),
        { qos: 1, retain: true },
      );
      await status.publishAsync(
        topics.status(camera),
        encodeMessage('status', {
          v: 1,
          deviceId: camera,
          state: 'offline',
          at: new Date().toISOString(),
          reason: 'last_will',
        } as never),
        { qos: 1, retain: true },
      );
      await status.publishAsync(topics.status(camera), Buffer.alloc(0), { qos: 1, retain: true });
      await status.endAsync();
      await expect
        .poll(async () => {
          const list = await api<AlertRecord[]>(
            hub.httpUrl,
            viewer,
            'GET',
            '/api/alerts?type=device_offline&limit=500',
          );
          return list.body.filter((a) => a.deviceId === camera).length;
        })
        .toBe(1);
    } finally {
      watcher.socket.disconnect();
    }
  });

  it("lists a device's alerts, and counts alerts per hour by type and severity", async () => {
    const camera = makeDeviceId({ kind: 'hd_camera', serial: 7301 });
    const raised = [];
    for (const severity of ['info', 'info', 'major'] as const) {
      raised.push(await alerts.raise(raiseInput({ type: 'other', severity, deviceId: camera })));
    }
    await alerts.raise(
      raiseInput({ type: 'other', severity: 'info', deviceId: makeDeviceId({ kind: 'hd_camera', serial: 7302 }) }),
    );
    const ofDevice = await api<AlertRecord[]>(hub.httpUrl, viewer, 'GET', `/api/alerts?deviceId=${camera}`);
    expect(ofDevice.status).toBe(200);
    expect(ofDevice.body.map((a) => a.id)).toEqual(raised.map((a) => a.id).reverse());
    expect((await api(hub.httpUrl, viewer, 'GET', '/api/alerts?deviceId=not-a-device')).status).toBe(400);

    // One alert of the device handed to the water department: its members count that one only.
    await alerts.claim(raised[2]!.id, { actor: operatorA.user });
    await alerts.assign(raised[2]!.id, { departmentId: 'water', deadline: inAnHour() }, { actor: operatorA.user });
    const hour = Math.floor(Date.parse(raised[0]!.firstSeenAt) / 3_600_000) * 3_600_000;
    const range = `from=${new Date(hour - 3_600_000).toISOString()}&to=${new Date(hour + 7_200_000).toISOString()}`;
    const series = await api<AlertHourlySeries>(hub.httpUrl, viewer, 'GET', `/api/alerts/hourly?${range}`);
    expect(series.status, JSON.stringify(series.body)).toBe(200);
    expect(series.body.timeZone).toBe('Asia/Shanghai');
    const other = series.body.rows.filter((row) => row.type === 'other');
    expect(other.map((row) => Date.parse(row.hour))).toEqual(other.map(() => hour));
    expect(other.map((row) => [row.severity, row.count])).toEqual([
      ['info', 3],
      ['major', 1],
    ]);
    const member = await makeUser(hub.httpUrl, admin, 'department_member', 'water');
    const own = await api<AlertHourlySeries>(hub.httpUrl, member, 'GET', `/api/alerts/hourly?${range}`);
    expect(own.body.rows.filter((row) => row.type === 'other').map((row) => [row.severity, row.count])).toEqual([
      ['major', 1],
    ]);

    const refused = await api<AlertRefusal>(
      hub.httpUrl,
      viewer,
      'GET',
      `/api/alerts/hourly?from=2026-01-01T00:00:00Z&to=2026-02-15T00:00:00Z`,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/31 days/);
    expect((await api(hub.httpUrl, viewer, 'GET', '/api/alerts/hourly?from=2026-01-01T00:00:00Z')).status).toBe(400);
  });

  it('counts per department and period on a controlled clock: exact counts, claim and resolve times, overdue, false alarms per rule, periods in the stats time zone', async () => {
    const clock = hub.hub.app.get(AlertClock);
    let now = Date.parse('2025-03-03T01:00:00.000Z');
    const spy = vi.spyOn(clock, 'now').mockImplementation(() => new Date(now));
    const iso = (ms: number) => new Date(ms).toISOString();
    const tag = randomUUID().slice(0, 8);
    const desk = `stats_${tag}`;
    const rule = (n: number) => `stats.${tag}.r${n}`;
    const context = { actor: operatorA.user };
    const saved = await api(hub.httpUrl, admin, 'PUT', `/api/departments/${desk}`, {
      id: desk,
      name: 'Statistics desk',
      active: true,
    });
    expect(saved.status).toBe(200);

    /** One alert's life: raised at `raisedAt`; the rest in seconds after it. */
    interface Life {
      type: AlertRecord['type'];
      severity: AlertRecord['severity'];
      rule: number;
      raisedAt: string;
      claimAfter?: number;
      deadlineAfter?: number | string;
      resolveAfter?: number;
      falseAlarmAfter?: number;
    }
    const live = async (life: Life) => {
      now = Date.parse(life.raisedAt);
      const raisedAt = now;
      const alert = await alerts.raise(
        raiseInput({ type: life.type, severity: life.severity, ruleId: rule(life.rule) }),
      );
      expect(alert.firstSeenAt).toBe(life.raisedAt);
      if (life.claimAfter !== undefined) {
        now = raisedAt + life.claimAfter * 1000;
        await alerts.claim(alert.id, context);
      }
      if (life.deadlineAfter !== undefined) {
        now += 5_000;
        const deadline =
          typeof life.deadlineAfter === 'string' ? life.deadlineAfter : iso(raisedAt + life.deadlineAfter * 1000);
        await alerts.assign(alert.id, { departmentId: desk, deadline }, context);
      }
      if (life.resolveAfter !== undefined) {
        now = raisedAt + life.resolveAfter * 1000;
        await alerts.resolve(alert.id, { resolution: 'done' }, context);
      }
      if (life.falseAlarmAfter !== undefined) {
        now = raisedAt + life.falseAlarmAfter * 1000;
        await alerts.falseAlarm(alert.id, { reason: 'not real' }, context);
      }
    };
    // Monday 3 March 2025 in Shanghai (UTC+8): 16:00 UTC on the 2nd to 16:00 UTC on the 3rd.
    const hour = (h: number) => iso(Date.parse('2025-03-03T01:00:00.000Z') + h * 3_600_000);
    try {
      // Handed to the desk. Claimed after 10, 20, 30, 40, 100, 200 and 50 s; resolved after 600, 1200, 1800 and
      // 3600 s; past the deadline: the 2nd and 4th (resolved late), the 5th (false alarm late), the 6th (still open).
      await live({
        type: 'speeding',
        severity: 'major',
        rule: 1,
        raisedAt: hour(0),
        claimAfter: 10,
        deadlineAfter: 3600,
        resolveAfter: 600,
      });
      await live({
        type: 'speeding',
        severity: 'minor',
        rule: 1,
        raisedAt: hour(1),
        claimAfter: 20,
        deadlineAfter: 1000,
        resolveAfter: 1200,
      });
      await live({
        type: 'hotlist_vehicle',
        severity: 'critical',
        rule: 2,
        raisedAt: hour(2),
        claimAfter: 30,
        deadlineAfter: 7200,
        resolveAfter: 1800,
      });
      await live({
        type: 'hotlist_vehicle',
        severity: 'major',
        rule: 2,
        raisedAt: hour(3),
        claimAfter: 40,
        deadlineAfter: 1800,
        resolveAfter: 3600,
      });
      await live({
        type: 'urban_incident',
        severity: 'minor',
        rule: 1,
        raisedAt: hour(4),
        claimAfter: 100,
        deadlineAfter: 600,
        falseAlarmAfter: 900,
      });
      await live({
        type: 'speeding',
        severity: 'minor',
        rule: 1,
        raisedAt: hour(5),
        claimAfter: 200,
        deadlineAfter: 300,
      });
      await live({
        type: 'speeding',
        severity: 'minor',
        rule: 3,
        raisedAt: hour(6),
        claimAfter: 50,
        deadlineAfter: '2025-04-01T00:00:00.000Z',
      });
      // Never handed to a department: one left new, one claimed after 60 s and called a false alarm.
      await live({ type: 'speeding', severity: 'info', rule: 1, raisedAt: hour(7) });
      await live({
        type: 'cloned_plate',
        severity: 'major',
        rule: 3,
        raisedAt: hour(8),
        claimAfter: 60,
        falseAlarmAfter: 120,
      });
      // Either side of midnight in Shanghai at the end of February (a month) and of Sunday 2 March (a week).
      for (const raisedAt of [
        '2025-02-28T15:59:59.000Z',
        '2025-02-28T16:00:00.000Z',
        '2025-03-02T15:59:59.999Z',
        '2025-03-02T16:00:00.000Z',
      ]) {
        await live({ type: 'other', severity: 'info', rule: 4, raisedAt });
      }

      // Asked a week later: the open alert with a deadline in April is not overdue yet.
      now = Date.parse('2025-03-10T00:00:00.000Z');
      const range = 'from=2025-02-20T00:00:00.000Z&to=2025-03-20T00:00:00.000Z';
      const stats = async (who: SignedIn, query: string) => {
        const response = await api<AlertStats>(hub.httpUrl, who, 'GET', `/api/alerts/stats?${query}&${range}`);
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        expect(response.body.timeZone).toBe('Asia/Shanghai');
        return response.body;
      };
      const none = { median: null, p90: null, count: 0 };
      const boundary = (periodStart: string, total: number) => ({
        periodStart,
        departmentId: null,
        total,
        byType: { other: total },
        bySeverity: { info: total },
        timeToClaim: none,
        timeToResolve: none,
        overdue: 0,
        falseAlarms: 0,
      });
      const deskFigures = {
        departmentId: desk,
        total: 7,
        byType: { speeding: 4, hotlist_vehicle: 2, urban_incident: 1 },
        bySeverity: { critical: 1, major: 2, minor: 4 },
        timeToClaim: { median: 40, p90: 140, count: 7 },
        timeToResolve: { median: 1500, p90: 3060, count: 4 },
        overdue: 4,
        falseAlarms: 1,
      };
      const unassigned = (periodStart: string, boundaryAlerts: number) => ({
        periodStart,
        departmentId: null,
        total: 2 + boundaryAlerts,
        byType: { speeding: 1, cloned_plate: 1, other: boundaryAlerts },
        bySeverity: { info: 1 + boundaryAlerts, major: 1 },
        timeToClaim: { median: 60, p90: 60, count: 1 },
        timeToResolve: none,
        overdue: 0,
        falseAlarms: 1,
      });
      const ruleRow = (periodStart: string, n: number, total: number, falseAlarms: number, rate: number | null) => ({
        periodStart,
        ruleId: rule(n),
        total,
        falseAlarms,
        falseAlarmRate: rate,
      });

      // Days start at 16:00 UTC; the last boundary alert is the first of Monday's.
      const monday = '2025-03-02T16:00:00.000Z';
      const days = await stats(viewer, 'period=day');
      expect(days.departments).toEqual([
        boundary('2025-02-27T16:00:00.000Z', 1),
        boundary('2025-02-28T16:00:00.000Z', 1),
        boundary('2025-03-01T16:00:00.000Z', 1),
        unassigned(monday, 1),
        { periodStart: monday, ...deskFigures },
      ]);
      expect(days.rules).toEqual([
        ruleRow('2025-02-27T16:00:00.000Z', 4, 1, 0, null),
        ruleRow('2025-02-28T16:00:00.000Z', 4, 1, 0, null),
        ruleRow('2025-03-01T16:00:00.000Z', 4, 1, 0, null),
        // Rule 1: two resolved, one false alarm, two open; rule 2: two resolved; rule 3: one false alarm, one open.
        ruleRow(monday, 1, 5, 1, 0.333),
        ruleRow(monday, 2, 2, 0, 0),
        ruleRow(monday, 3, 2, 1, 1),
        ruleRow(monday, 4, 1, 0, null),
      ]);

      // Weeks start on Monday: Friday to Sunday in one, Monday in the next.
      const weeks = await stats(admin, 'period=week');
      expect(weeks.departments).toEqual([
        boundary('2025-02-23T16:00:00.000Z', 3),
        unassigned(monday, 1),
        { periodStart: monday, ...deskFigures },
      ]);
      expect(weeks.rules.filter((row) => row.ruleId === rule(4))).toEqual([
        ruleRow('2025-02-23T16:00:00.000Z', 4, 3, 0, null),
        ruleRow(monday, 4, 1, 0, null),
      ]);

      // March starts at 16:00 UTC on 28 February: one boundary alert in February, three in March.
      const march = '2025-02-28T16:00:00.000Z';
      const months = await stats(admin, 'period=month');
      expect(months.departments).toEqual([
        boundary('2025-01-31T16:00:00.000Z', 1),
        unassigned(march, 3),
        { periodStart: march, ...deskFigures },
      ]);
      expect(months.rules).toEqual([
        ruleRow('2025-01-31T16:00:00.000Z', 4, 1, 0, null),
        ruleRow(march, 1, 5, 1, 0.333),
        ruleRow(march, 2, 2, 0, 0),
        ruleRow(march, 3, 2, 1, 1),
        ruleRow(march, 4, 3, 0, null),
      ]);

      // One department on request; a member of the desk sees the desk's figures only, whatever it asks for.
      expect((await stats(admin, `period=day&departmentId=${desk}`)).departments).toEqual([
        { periodStart: monday, ...deskFigures },
      ]);
      const member = await makeUser(hub.httpUrl, admin, 'department_member', desk);
      const own = await stats(member, 'period=day&departmentId=water');
      expect(own.departments).toEqual([{ periodStart: monday, ...deskFigures }]);
      expect(own.rules).toEqual([
        ruleRow(monday, 1, 4, 1, 0.333),
        ruleRow(monday, 2, 2, 0, 0),
        ruleRow(monday, 3, 1, 0, null),
      ]);
    } finally {
      spy.mockRestore();
    }
  });

  it('configures departments: admins create, rename and deactivate them (audited), members are listed, an inactive one takes no alerts', async () => {
    const id = `snow_${randomUUID().slice(0, 8)}`;
    const put = (who: SignedIn, body: Record<string, unknown>, path = id) =>
      api<Department>(hub.httpUrl, who, 'PUT', `/api/departments/${path}`, body);
    const created = await put(admin, { id, name: 'Snow clearing', active: true });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({ id, name: 'Snow clearing', active: true });
    // Only admins configure departments, with a valid body and id.
    expect((await put(operatorA, { id, name: 'Taken over', active: true })).status).toBe(403);
    expect((await put(viewer, { id, name: 'Taken over', active: true })).status).toBe(403);
    expect((await put(admin, { id, name: '', active: true })).status).toBe(400);
    expect((await put(admin, { id, name: 'Snow', active: 'yes' })).status).toBe(400);
    expect((await put(admin, { id, name: 'Snow', active: true, budget: 1 })).status).toBe(400);
    expect((await put(admin, { id: 'Snow Desk', name: 'Snow', active: true }, 'Snow%20Desk')).status).toBe(400);
    const renamed = await put(admin, { id, name: 'Snow and ice', active: true });
    expect(renamed.body).toEqual({ id, name: 'Snow and ice', active: true });
    const listed = await api<Department[]>(hub.httpUrl, viewer, 'GET', '/api/departments');
    expect(listed.body.filter((department) => department.id === id)).toEqual([
      { id, name: 'Snow and ice', active: true },
    ]);
    expect(listed.body.map((department) => department.id)).toEqual(
      expect.arrayContaining(['traffic_police', 'urban_management', 'water', 'power']),
    );
    const database = hub.hub.app.get<Database>(DATABASE);
    const audit = await database.query<{ action: string; actor_username: string; outcome: string }>(
      `SELECT action, actor_username, outcome FROM audit_log WHERE target = $1 ORDER BY id`,
      [`department:${id}`],
    );
    expect(audit.rows.map((row) => [row.action, row.actor_username, row.outcome])).toEqual([
      ['alerts.department.save', 'admin', 'success'],
      ['alerts.department.save', 'admin', 'success'],
    ]);

    // Its members: the users of the department, not those of another, not disabled ones.
    const [member, police, leaving] = await Promise.all([
      makeUser(hub.httpUrl, admin, 'department_member', id),
      makeUser(hub.httpUrl, admin, 'traffic_police', id),
      makeUser(hub.httpUrl, admin, 'department_member', id),
    ]);
    expect((await api(hub.httpUrl, admin, 'PATCH', `/api/users/${leaving.user.id}`, { disabled: true })).status).toBe(
      200,
    );
    const members = await api<{ id: string; username: string; displayName: string; role: string }[]>(
      hub.httpUrl,
      operatorA,
      'GET',
      `/api/departments/${id}/members`,
    );
    expect(members.status).toBe(200);
    expect(members.body).toEqual(
      [member, police]
        .map(({ user }) => ({ id: user.id, username: user.username, displayName: user.displayName, role: user.role }))
        .sort((a, b) => a.username.localeCompare(b.username)),
    );
    const ofWater = await api<{ id: string }[]>(hub.httpUrl, member, 'GET', '/api/departments/water/members');
    expect(ofWater.body.map((row) => row.id)).toContain(water.user.id);
    expect(ofWater.body.map((row) => row.id)).not.toContain(member.user.id);
    expect((await api(hub.httpUrl, viewer, 'GET', `/api/departments/${id}/members`)).status).toBe(403);
    expect((await api(hub.httpUrl, admin, 'GET', '/api/departments/Not%20An%20Id/members')).status).toBe(400);

    // Inactive, it takes no alerts; the alert stays with whoever holds it. Active again, it does.
    const alert = await alerts.raise(raiseInput());
    await alerts.claim(alert.id, { actor: operatorA.user });
    expect((await put(admin, { id, name: 'Snow and ice', active: false })).body.active).toBe(false);
    const refused = await post<AlertRefusal>(operatorA, `/api/alerts/${alert.id}/assign`, {
      departmentId: id,
      deadline: inAnHour(),
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'invalid', message: `no active department ${id}` });
    expect(await alerts.get(alert.id, admin.user)).toMatchObject({ state: 'claimed', departmentId: null });
    // Other departments still take alerts meanwhile.
    const other = await alerts.raise(raiseInput());
    await alerts.claim(other.id, { actor: operatorA.user });
    expect(
      (await post(operatorA, `/api/alerts/${other.id}/assign`, { departmentId: 'water', deadline: inAnHour() })).status,
    ).toBe(200);

    await put(admin, { id, name: 'Snow and ice', active: true });
    const assigned = await post(operatorA, `/api/alerts/${alert.id}/assign`, {
      departmentId: id,
      deadline: inAnHour(),
    });
    expect(assigned.status).toBe(200);
    expect(assigned.body).toMatchObject({ state: 'assigned', departmentId: id });
    const resolved = await post(member, `/api/alerts/${alert.id}/resolve`, { resolution: 'road cleared' });
    expect(resolved.body).toMatchObject({ state: 'resolved', resolution: 'road cleared' });
  });
});
