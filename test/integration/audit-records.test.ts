import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeDeviceId,
  type AlertRecord,
  type AuditPage,
  type AuditRecord,
  type HotlistEntry,
  type WatchlistPerson,
} from '@citywatch/protocol';
import { AlertsService } from '../../server/src/alerts/alerts.service';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import { smallEstate } from '../support/fixtures';
import { adminHeaders, registerEstate, startInProcessHub, TEST_ADMIN, type InProcessHub } from '../support/hub';
import { raiseInput } from './alerts-helpers';
import { enrolmentPhoto, faceCameraRegistrations, photoForm, targetCaptures } from './faces-support';

const LOCAL = /^(::ffff:)?127\.0\.0\.1$/;

/** The hub's audit records matching `query`, newest first, read as an administrator through the API. */
async function auditOf(hub: InProcessHub, query: Record<string, string>): Promise<AuditRecord[]> {
  const response = await fetch(`${hub.httpUrl}/api/audit?${new URLSearchParams({ limit: '100', ...query })}`, {
    headers: await adminHeaders(hub.httpUrl),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as AuditPage).items;
}

async function call(hub: InProcessHub, method: string, path: string, body?: unknown): Promise<Response> {
  const json = body !== undefined && !(body instanceof FormData);
  return fetch(`${hub.httpUrl}${path}`, {
    method,
    headers: { ...(await adminHeaders(hub.httpUrl)), ...(json ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : json ? JSON.stringify(body) : (body as FormData),
  });
}

/** Who, from where and the outcome of a record made by the test administrator. */
const byAdmin = { actorUsername: TEST_ADMIN.username, ip: expect.stringMatching(LOCAL), outcome: 'success' };

describe('every audited action writes its record', () => {
  let hub: InProcessHub;

  beforeAll(async () => {
    hub = await startInProcessHub({ DEVICE_AUTH: 'required', ALERT_ESCALATION_SWEEP_S: '3600' });
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('device credentials: issued and provisioned on import, rotated through the API; no secret in the record', async () => {
    const estate = smallEstate(90);
    const [issuedA, issuedB] = estate.laneDevices as [string, string];
    const imported = await registerEstate(hub.httpUrl, estate);
    expect(imported.credentials).toHaveLength(2);
    const provisionedId = makeDeviceId({ kind: 'checkpoint', serial: 95 });
    const provisionedSecret = 'provisioned-on-the-device-0001';
    await registerEstate(hub.httpUrl, {
      tollgates: estate.tollgates,
      // On the tollgate but on none of its lanes: each lane of the import already has its camera.
      devices: [{ ...estate.devices[0]!, id: provisionedId, laneNo: undefined, secret: provisionedSecret }],
    });
    const rotated = await call(hub, 'POST', `/api/devices/${issuedB}/secret`);
    expect(rotated.status).toBe(200);
    const { secret: rotatedSecret } = (await rotated.json()) as { secret: string };

    const set = await auditOf(hub, { action: 'devices.credentials_set' });
    expect(set).toHaveLength(2);
    const [provisioned, issued] = set;
    expect(issued).toMatchObject({ ...byAdmin, target: null, details: { issued: [issuedA, issuedB], count: 2 } });
    expect(provisioned).toMatchObject({ ...byAdmin, details: { provisioned: [provisionedId], issued: [], count: 1 } });
    const rotation = await auditOf(hub, { action: 'devices.rotate_secret' });
    expect(rotation).toEqual([expect.objectContaining({ ...byAdmin, target: `device:${issuedB}` })]);
    const everything = JSON.stringify([...set, ...rotation]);
    for (const secret of [...imported.credentials!.map((c) => c.secret), provisionedSecret, rotatedSecret]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('trajectory and top-plates searches, with their filters', async () => {
    const from = '2026-11-01T00:00:00.000Z';
    const to = '2026-11-08T00:00:00.000Z';
    const trajectory = await call(hub, 'GET', `/api/checkpoints/trajectory?plate=${encodeURIComponent('黑A12345')}`);
    expect(trajectory.status).toBe(200);
    const top = await call(hub, 'GET', `/api/checkpoints/statistics/top-plates?from=${from}&to=${to}&top=5`);
    expect(top.status).toBe(200);
    expect(await auditOf(hub, { action: 'checkpoints.trajectory' })).toEqual([
      expect.objectContaining({ ...byAdmin, target: null, details: expect.objectContaining({ plate: '黑A12345' }) }),
    ]);
    const [topPlates] = await auditOf(hub, { action: 'checkpoints.statistics.top_plates' });
    expect(topPlates).toMatchObject({ ...byAdmin, details: { top: 5 } });
    expect(Date.parse(topPlates!.details.from as string)).toBe(Date.parse(from));
    expect(Date.parse(topPlates!.details.to as string)).toBe(Date.parse(to));
  });

  it('hotlist entries: create, update and delete', async () => {
    const body = { plate: '黑B77777', category: 'stolen', priority: 1, reason: 'case 2026-1101' };
    const created = await call(hub, 'POST', '/api/checkpoints/hotlist', body);
    expect(created.status).toBe(201);
    const entry = (await created.json()) as HotlistEntry;
    const updated = await call(hub, 'PUT', `/api/checkpoints/hotlist/${entry.id}`, { ...body, priority: 2 });
    expect(updated.status).toBe(200);
    expect((await call(hub, 'DELETE', `/api/checkpoints/hotlist/${entry.id}`)).status).toBe(204);
    const records = await auditOf(hub, { action: 'checkpoints.hotlist.*', target: `hotlist:${entry.id}` });
    expect(records.map((record) => record.action)).toEqual([
      'checkpoints.hotlist.delete',
      'checkpoints.hotlist.update',
      'checkpoints.hotlist.create',
    ]);
    for (const record of records) expect(record).toMatchObject(byAdmin);
    expect(records[2]!.details).toMatchObject({ plate: '黑B77777', category: 'stolen', priority: 1 });
    expect(records[1]!.details).toMatchObject({ priority: 2 });
  });

  it('watchlist photos: added and deleted', async () => {
    await registerEstate(hub.httpUrl, { tollgates: [], devices: faceCameraRegistrations });
    const fields = { name: 'Li Na', category: 'missing', priority: '2', reason: 'case 2026-1102' };
    const created = await call(hub, 'POST', '/api/faces/watchlist/people', photoForm([await enrolmentPhoto()], fields));
    expect(created.status).toBe(201);
    const person = (await created.json()) as WatchlistPerson;
    const added = await call(
      hub,
      'POST',
      `/api/faces/watchlist/people/${person.id}/photos`,
      photoForm([(await targetCaptures()).scaled!]),
    );
    expect(added.status).toBe(201);
    const newPhoto = ((await added.json()) as WatchlistPerson).photos.find(
      (photo) => !person.photos.some((old) => old.id === photo.id),
    )!;
    const removed = await call(hub, 'DELETE', `/api/faces/watchlist/people/${person.id}/photos/${newPhoto.id}`);
    expect(removed.status).toBe(200);
    const records = await auditOf(hub, { action: 'watchlist.photo.*', target: `watchlist_person:${person.id}` });
    expect(records).toEqual([
      expect.objectContaining({ ...byAdmin, action: 'watchlist.photo.delete', details: { photoId: newPhoto.id } }),
      expect.objectContaining({ ...byAdmin, action: 'watchlist.photo.add', details: { photos: [newPhoto.id] } }),
    ]);
  });

  it('alerts: a false alarm, and an escalation by the system', async () => {
    const alerts = hub.hub.app.get(AlertsService);
    const alert = await alerts.raise(raiseInput());
    expect((await call(hub, 'POST', `/api/alerts/${alert.id}/claim`)).status).toBe(200);
    const falseAlarm = await call(hub, 'POST', `/api/alerts/${alert.id}/false-alarm`, { reason: 'a reflection' });
    expect(falseAlarm.status).toBe(200);
    expect(await auditOf(hub, { action: 'alerts.false_alarm', target: `alert:${alert.id}` })).toEqual([
      expect.objectContaining({ ...byAdmin, details: { reason: 'a reflection', state: 'false_alarm' } }),
    ]);

    const unclaimed = await alerts.raise(raiseInput({ severity: 'critical' }));
    const escalated = await alerts.escalate(new Date(Date.now() + 3_600_000));
    expect(escalated.map((a) => a.id)).toContain(unclaimed.id);
    expect(await auditOf(hub, { action: 'alerts.escalate', target: `alert:${unclaimed.id}` })).toEqual([
      expect.objectContaining({
        actorUsername: null,
        outcome: 'success',
        details: expect.objectContaining({ reason: 'unclaimed', fromSeverity: 'critical', level: 1 }),
      }),
    ]);
  });
});

describe('browsing the audit log', () => {
  let hub: InProcessHub;

  beforeAll(async () => {
    hub = await startInProcessHub();
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('lists records newest first by number, and pages on from there', async () => {
    for (let i = 0; i < 12; i++) {
      const body = { plate: `黑C${10000 + i}`, category: 'other', priority: 3, reason: 'paging' };
      expect((await call(hub, 'POST', '/api/checkpoints/hotlist', body)).status).toBe(201);
    }
    const all = await auditOf(hub, {});
    const ids = all.map((record) => Number(record.id));
    expect(ids.length).toBeGreaterThanOrEqual(12);
    expect(Math.min(...ids)).toBeLessThan(10);
    expect(Math.max(...ids)).toBeGreaterThanOrEqual(10);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const first = await auditOf(hub, { limit: '5' });
    const next = await auditOf(hub, { limit: '5', before: first[4]!.id });
    expect([...first, ...next].map((record) => record.id)).toEqual(all.slice(0, 10).map((record) => record.id));
  });
});

describe.each(BACKENDS)('an alert action whose audit record cannot be written fails, on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let database: Database;

  /** Makes the audit log refuse records of these actions, as a full disk or a revoked grant would. */
  const refuseAudit = async (actions: string[]) => {
    await database.exec(`
      CREATE OR REPLACE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.action IN (${actions.map((action) => `'${action}'`).join(', ')}) THEN
          RAISE EXCEPTION 'audit log unavailable (test)';
        END IF;
        RETURN NEW;
      END $$;
      DROP TRIGGER IF EXISTS test_refuse_audit ON audit_log;
      CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_refuse_audit();
    `);
  };
  const acceptAudit = () => database.exec('DROP TRIGGER IF EXISTS test_refuse_audit ON audit_log');
  const alertOf = async (id: string) => (await (await call(hub, 'GET', `/api/alerts/${id}`)).json()) as AlertRecord;
  const trailOf = async (id: string) =>
    ((await (await call(hub, 'GET', `/api/alerts/${id}/trail`)).json()) as { kind: string }[]).map((t) => t.kind);

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub({ ...prepared.env, ALERT_ESCALATION_SWEEP_S: '3600' });
    database = hub.hub.app.get<Database>(DATABASE);
    await adminHeaders(hub.httpUrl);
  });

  afterAll(async () => {
    await hub?.stop();
    await cleanup?.();
  });

  it('a claim: 500, and the alert, its trail and the log are as before; with the log back it works', async () => {
    const alert = await hub.hub.app.get(AlertsService).raise(raiseInput());
    await refuseAudit(['alerts.claim']);
    try {
      const refused = await call(hub, 'POST', `/api/alerts/${alert.id}/claim`);
      expect(refused.status).toBe(500);
      expect(await alertOf(alert.id)).toMatchObject({ state: 'new', seq: alert.seq, claimedBy: null });
      expect(await trailOf(alert.id)).toEqual(['raised']);
    } finally {
      await acceptAudit();
    }
    expect(await auditOf(hub, { action: 'alerts.claim', target: `alert:${alert.id}` })).toEqual([]);
    expect((await call(hub, 'POST', `/api/alerts/${alert.id}/claim`)).status).toBe(200);
    expect(await alertOf(alert.id)).toMatchObject({ state: 'claimed' });
    expect(await auditOf(hub, { action: 'alerts.claim', target: `alert:${alert.id}` })).toHaveLength(1);
  });

  it('a refusal whose record cannot be written is answered 500 rather than passed over unrecorded', async () => {
    const alert = await hub.hub.app.get(AlertsService).raise(raiseInput());
    await refuseAudit(['alerts.resolve']);
    try {
      // Resolving a new alert is refused (claim it first): normally 409, audited as a failure.
      expect((await call(hub, 'POST', `/api/alerts/${alert.id}/resolve`, { resolution: 'done' })).status).toBe(500);
    } finally {
      await acceptAudit();
    }
    expect((await call(hub, 'POST', `/api/alerts/${alert.id}/resolve`, { resolution: 'done' })).status).toBe(409);
    expect(await auditOf(hub, { action: 'alerts.resolve', target: `alert:${alert.id}` })).toEqual([
      expect.objectContaining({ outcome: 'failure' }),
    ]);
  });

  it('an escalation: not done while its record cannot be written, done by the next sweep', async () => {
    const alerts = hub.hub.app.get(AlertsService);
    const alert = await alerts.raise(raiseInput({ severity: 'major' }));
    const later = new Date(Date.now() + 3_600_000);
    await refuseAudit(['alerts.escalate']);
    try {
      await expect(alerts.escalate(later)).rejects.toThrow(/audit log unavailable/);
      expect(await alertOf(alert.id)).toMatchObject({ severity: 'major', escalationLevel: 0 });
    } finally {
      await acceptAudit();
    }
    expect((await alerts.escalate(later)).map((a) => a.id)).toContain(alert.id);
    expect(await alertOf(alert.id)).toMatchObject({ severity: 'critical', escalationLevel: 1 });
    expect(await auditOf(hub, { action: 'alerts.escalate', target: `alert:${alert.id}` })).toHaveLength(1);
  });

  it('a department save: 500 and nothing saved', async () => {
    await refuseAudit(['alerts.department.save']);
    try {
      const refused = await call(hub, 'PUT', '/api/departments/audit-test', {
        id: 'audit-test',
        name: 'Audit test',
        active: true,
      });
      expect(refused.status).toBe(500);
    } finally {
      await acceptAudit();
    }
    const departments = (await (await call(hub, 'GET', '/api/departments')).json()) as { id: string }[];
    expect(departments.map((d) => d.id)).not.toContain('audit-test');
  });
});
