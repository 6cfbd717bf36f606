import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeviceId, type DeviceRegistration, type RegistryImport } from '@citywatch/protocol';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { BACKENDS } from '../support/backends';
import { smallEstate } from '../support/fixtures';
import { adminHeaders, registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';

interface Refusal {
  statusCode: number;
  message: string;
  errors: string[];
}

/**
 * POST /api/registry/import and the tollgate endpoints against what the registry holds: a lane naming a
 * device that is not registered (a foreign-key error and a 500 before), a device naming an unknown
 * tollgate, ids listed twice, anything but a checkpoint camera on a lane. Each is a 400 naming every
 * problem, and a refused import stores nothing, broker secrets included.
 */
describe.each(BACKENDS)('registry import checks on $name', (backend) => {
  let hub: InProcessHub;
  let cleanup: () => Promise<void>;
  let database: Database;
  const estate = smallEstate(900);
  const [laneA, laneB] = estate.laneDevices as [string, string];
  const unknownA = makeDeviceId({ kind: 'checkpoint', serial: 990 });
  const unknownB = makeDeviceId({ kind: 'checkpoint', serial: 991 });
  const streetCamera: DeviceRegistration = {
    id: makeDeviceId({ kind: 'hd_camera', serial: 992 }),
    name: 'Youxie St camera',
    kind: 'hd_camera',
    lat: 45.6061,
    lon: 126.6352,
    place: 'Youxie St',
    area: 'Youxie street office',
  };

  beforeAll(async () => {
    const prepared = await backend.prepare();
    cleanup = prepared.cleanup;
    hub = await startInProcessHub(prepared.env);
    database = hub.hub.app.get<Database>(DATABASE);
  });

  afterAll(async () => {
    await hub?.stop();
    await cleanup?.();
  });

  async function post(path: string, body: unknown, method = 'POST'): Promise<{ status: number; body: Refusal }> {
    const response = await fetch(`${hub.httpUrl}${path}`, {
      method,
      headers: { ...(await adminHeaders(hub.httpUrl)), 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Refusal };
  }

  const importRegistry = (body: RegistryImport) => post('/api/registry/import', body);

  /** Every row of the registry tables, to compare before and after a refused change. */
  async function registryRows(): Promise<Record<string, unknown[]>> {
    const rows: Record<string, unknown[]> = {};
    for (const [table, order] of [
      ['tollgates', 'id'],
      ['lanes', 'tollgate_id, lane_no'],
      ['devices', 'id'],
      ['device_credentials', 'device_id'],
    ] as const) {
      rows[table] = (await database.query(`SELECT * FROM ${table} ORDER BY ${order}`)).rows;
    }
    return rows;
  }

  /** The small estate with one more tollgate, whose lanes name `laneDevices`. */
  function withSecondTollgate(laneDevices: (string | undefined)[], devices = estate.devices): RegistryImport {
    return {
      tollgates: [
        ...estate.tollgates,
        {
          id: 'TG-YX-02',
          name: 'Youxie St east checkpoint',
          lat: 45.6071,
          lon: 126.6452,
          place: 'Youxie St east',
          lanes: laneDevices.map((deviceId, index) => ({
            laneNo: index + 1,
            direction: 'E' as const,
            speedLimitKmh: 50,
            ...(deviceId === undefined ? {} : { deviceId }),
          })),
        },
      ],
      devices: devices.map((device) => ({ ...device, secret: `provisioned-secret-${device.id}` })),
    };
  }

  it('answers 400 naming each lane device that is not registered, and stores nothing of the import', async () => {
    const before = await registryRows();
    const refused = await importRegistry(withSecondTollgate([unknownA, undefined, unknownB]));
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      `/tollgates/1/lanes/0/deviceId: device ${unknownA} is not registered and not in this import`,
      `/tollgates/1/lanes/2/deviceId: device ${unknownB} is not registered and not in this import`,
    ]);
    expect(refused.body.message).toContain(unknownA);
    expect(refused.body.message).toContain(unknownB);
    // Neither the tollgates and devices that were fine nor the provisioned secrets were stored.
    expect(await registryRows()).toEqual(before);
    expect(before.devices).toEqual([]);
  });

  it('lists every inconsistency of one import: unknown tollgate, lane listed twice, a camera of the wrong kind or on two lanes, ids twice', async () => {
    const body = withSecondTollgate([streetCamera.id, laneA], [...estate.devices, streetCamera]);
    body.tollgates[1]!.lanes.push({ laneNo: 2, direction: 'W', speedLimitKmh: 50 });
    body.devices.push(
      {
        ...streetCamera,
        id: makeDeviceId({ kind: 'checkpoint', serial: 993 }),
        kind: 'checkpoint',
        tollgateId: 'TG-NOPE',
      },
      { ...estate.devices[1]! },
    );
    const refused = await importRegistry(body);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      `/devices/4/id: device ${laneB} is listed twice (also /devices/1)`,
      `/tollgates/1/lanes/0/deviceId: device ${streetCamera.id} is a hd_camera, not a checkpoint camera`,
      `/tollgates/1/lanes/1/deviceId: device ${laneA} is already the camera of lane 1 of tollgate TG-YX-01`,
      `/tollgates/1/lanes/1/deviceId: device ${laneA} is registered to lane 1 of tollgate TG-YX-01, not lane 2 of tollgate TG-YX-02`,
      '/tollgates/1/lanes/2/laneNo: lane 2 of tollgate TG-YX-02 is listed twice',
      `/devices/3/tollgateId: tollgate TG-NOPE does not exist and is not in this import`,
    ]);
    expect(await registryRows()).toMatchObject({ tollgates: [], lanes: [], devices: [], device_credentials: [] });
  });

  it('takes a consistent import, then lanes naming devices registered by an earlier one', async () => {
    // The lanes without their cameras first, then the lanes naming the cameras the first import registered,
    // with a device naming the tollgate.
    const bare = estate.tollgates.map((tollgate) => ({
      ...tollgate,
      lanes: tollgate.lanes.map(({ deviceId: _deviceId, ...lane }) => lane),
    }));
    await registerEstate(hub.httpUrl, { tollgates: bare, devices: [...estate.devices, streetCamera] });
    const extra = { ...estate.devices[0]!, id: makeDeviceId({ kind: 'checkpoint', serial: 994 }), laneNo: undefined };
    const second = await importRegistry({ tollgates: estate.tollgates, devices: [extra] });
    expect(second.status).toBe(200);
    const lanes = await database.query<{ lane_no: number; device_id: string }>(
      `SELECT lane_no, device_id FROM lanes WHERE tollgate_id = 'TG-YX-01' ORDER BY lane_no`,
    );
    expect(lanes.rows.map((row) => [Number(row.lane_no), row.device_id])).toEqual([
      [1, laneA],
      [2, laneB],
    ]);

    // A registered device of the wrong kind on a lane, and one that is not registered, next to a good change.
    const before = await registryRows();
    const refused = await importRegistry(withSecondTollgate([streetCamera.id, unknownA], []));
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      `/tollgates/1/lanes/0/deviceId: device ${streetCamera.id} is a hd_camera, not a checkpoint camera`,
      `/tollgates/1/lanes/1/deviceId: device ${unknownA} is not registered and not in this import`,
    ]);
    expect(await registryRows()).toEqual(before);
  });

  it('refuses lanes naming unknown devices or other kinds through the tollgate endpoints too (400, not a database error)', async () => {
    const before = await registryRows();
    const tollgate = {
      name: 'Temporary checkpoint',
      lat: 45.7,
      lon: 126.7,
      place: 'Ring road',
      lanes: [
        { laneNo: 1, direction: 'E', speedLimitKmh: 80, deviceId: unknownA },
        { laneNo: 2, direction: 'W', speedLimitKmh: 80, deviceId: streetCamera.id },
      ],
    };
    const created = await post('/api/tollgates', { id: 'TG-TMP', ...tollgate });
    expect(created.status).toBe(400);
    expect(created.body.errors).toEqual([
      `/lanes/0/deviceId: device ${unknownA} is not registered`,
      `/lanes/1/deviceId: device ${streetCamera.id} is a hd_camera, not a checkpoint camera`,
    ]);
    const updated = await post('/api/tollgates/TG-YX-01', { ...tollgate, lanes: tollgate.lanes.slice(0, 1) }, 'PUT');
    expect(updated.status).toBe(400);
    expect(updated.body.errors).toEqual([`/lanes/0/deviceId: device ${unknownA} is not registered`]);
    expect(await registryRows()).toEqual(before);

    // The same lanes with their registered checkpoint cameras are fine.
    const fine = await post(
      '/api/tollgates/TG-YX-01',
      {
        ...tollgate,
        lanes: [
          { laneNo: 1, direction: 'N', speedLimitKmh: 70, deviceId: laneA },
          { laneNo: 2, direction: 'S', speedLimitKmh: 70, deviceId: laneB },
        ],
      },
      'PUT',
    );
    expect(fine.status).toBe(200);
  });
});
