import { randomUUID } from 'node:crypto';
import type { PassageEventPayload, RegistryImport, Role, TokenPair } from '@citywatch/protocol';
import { makeDeviceId } from '@citywatch/protocol';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { PlatesRepository } from '../../server/src/checkpoints/plates.repository';
import type { Backend } from '../support/backends';
import { registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';

/** Shared by the checkpoint integration tests: sign-in, a three-tollgate estate, direct passage inserts. */
export const ADMIN_PASSWORD = 'checkpoints-admin-password-1';
const USER_PASSWORD = 'checkpoints-user-password-1';

export interface Caller {
  token: string;
}

export async function signIn(httpUrl: string, username: string, password: string): Promise<Caller> {
  const response = await fetch(`${httpUrl}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
  return { token: ((await response.json()) as TokenPair).accessToken };
}

export async function makeUser(httpUrl: string, admin: Caller, role: Role): Promise<Caller> {
  const username = `cp${role.replace('_', '')}${randomUUID().slice(0, 6)}`;
  const response = await fetch(`${httpUrl}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({ username, displayName: username, role, departmentId: null, password: USER_PASSWORD }),
  });
  if (!response.ok) throw new Error(`user create failed: ${response.status} ${await response.text()}`);
  return signIn(httpUrl, username, USER_PASSWORD);
}

export async function call<T = unknown>(
  httpUrl: string,
  who: Caller,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T; text: string; headers: Headers }> {
  const response = await fetch(`${httpUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${who.token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // CSV and empty bodies stay text
  }
  return { status: response.status, body: body as T, text, headers: response.headers };
}

/** Three tollgates 5 km apart on a line (lanes 1 and 2, limit 60 km/h), each lane with its own device. */
export function threeTollgates(
  serialBase = 500,
): RegistryImport & { device: (tollgate: number, lane: number) => string } {
  const ids = ['TG-A', 'TG-B', 'TG-C'];
  const device = (tollgate: number, lane: number) =>
    makeDeviceId({ kind: 'checkpoint', serial: serialBase + tollgate * 10 + lane });
  // 0.045 degrees of latitude is about 5 km.
  const tollgates = ids.map((id, i) => ({
    id,
    name: `Checkpoint ${id.slice(3)}`,
    lat: 45.55 + 0.045 * i,
    lon: 126.63,
    place: `Road ${i}`,
    lanes: [1, 2].map((laneNo) => ({
      laneNo,
      direction: laneNo === 1 ? ('N' as const) : ('S' as const),
      speedLimitKmh: 60,
      deviceId: device(i, laneNo),
    })),
  }));
  const devices = tollgates.flatMap((t, i) =>
    t.lanes.map((lane) => ({
      id: device(i, lane.laneNo),
      name: `${t.name} lane ${lane.laneNo}`,
      kind: 'checkpoint' as const,
      lat: t.lat,
      lon: t.lon,
      place: t.place,
      area: 'Test street office',
      tollgateId: t.id,
      laneNo: lane.laneNo,
    })),
  );
  return { tollgates, devices, device };
}

export interface Row {
  plateNo: string;
  passTime: string;
  tollgateId?: string;
  laneNo?: number;
  direction?: string;
  plateColor?: string;
  vehicleClass?: string;
  vehicleColor?: string | null;
  speedKmh?: number;
  plateConfidence?: number;
  eventId?: string;
}

/** Inserts passages straight into the table (any time, any volume), then folds their plates into the dictionary. */
export async function insertPassages(hub: InProcessHub, rows: readonly Row[]): Promise<string[]> {
  const database = hub.hub.app.get<Database>(DATABASE);
  const ids = rows.map((r) => r.eventId ?? randomUUID());
  for (let start = 0; start < rows.length; start += 5_000) {
    const chunk = rows.slice(start, start + 5_000);
    const chunkIds = ids.slice(start, start + 5_000);
    await database.query(
      `INSERT INTO passages (event_id, pass_time, device_id, tollgate_id, lane_no, direction, plate_no, plate_color,
         plate_confidence, vehicle_class, vehicle_color, speed_kmh)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::smallint[], $6::text[], $7::text[],
         $8::text[], $9::real[], $10::text[], $11::text[], $12::real[])`,
      [
        chunkIds,
        chunk.map((r) => r.passTime),
        chunk.map(() => '23010800001210000511'),
        chunk.map((r) => r.tollgateId ?? 'TG-A'),
        chunk.map((r) => r.laneNo ?? 1),
        chunk.map((r) => r.direction ?? 'N'),
        chunk.map((r) => r.plateNo),
        chunk.map((r) => r.plateColor ?? 'blue'),
        chunk.map((r) => r.plateConfidence ?? 0.95),
        chunk.map((r) => r.vehicleClass ?? 'car'),
        chunk.map((r) => (r.vehicleColor === undefined ? 'white' : r.vehicleColor)),
        chunk.map((r) => r.speedKmh ?? 50),
      ],
    );
  }
  await hub.hub.app.get(PlatesRepository).backfill();
  return ids;
}

export function passageEvent(deviceId: string, overrides: Partial<PassageEventPayload>): PassageEventPayload {
  return {
    v: 1,
    eventId: randomUUID(),
    deviceId,
    tollgateId: 'TG-A',
    laneNo: 1,
    direction: 'N',
    passTime: new Date().toISOString(),
    plateNo: '黑A12345',
    plateColor: 'blue',
    plateConfidence: 0.97,
    vehicleClass: 'car',
    vehicleColor: 'white',
    speedKmh: 48,
    ...overrides,
  };
}

/**
 * A hub in this process on `backend` with the estate registered, signed in as the administrator and as a
 * traffic police officer of its own. `stop` ends the hub and the backend.
 */
export async function startCheckpointHub(
  backend: Backend,
  estate: RegistryImport,
  env: Record<string, string> = {},
): Promise<{ hub: InProcessHub; admin: Caller; police: Caller; stop(): Promise<void> }> {
  const prepared = await backend.prepare();
  let hub: InProcessHub | undefined;
  const stop = async () => {
    await hub?.stop();
    await prepared.cleanup();
  };
  try {
    hub = await startInProcessHub({ ...prepared.env, ADMIN_PASSWORD, ...env });
    const admin = await signIn(hub.httpUrl, 'admin', ADMIN_PASSWORD);
    const police = await makeUser(hub.httpUrl, admin, 'traffic_police');
    await registerEstate(hub.httpUrl, estate, admin.token);
    return { hub, admin, police, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
