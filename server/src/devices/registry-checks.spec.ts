import { describe, expect, it } from 'vitest';
import { makeDeviceId, type DeviceRegistration, type RegistryImport } from '@citywatch/protocol';
import {
  MAX_PROBLEMS_LISTED,
  listedProblems,
  referencedByImport,
  registryImportProblems,
  tollgateLaneProblems,
  type RegisteredDevice,
  type RegisteredEstate,
} from './registry-checks';

const lane1 = makeDeviceId({ kind: 'checkpoint', serial: 1 });
const lane2 = makeDeviceId({ kind: 'checkpoint', serial: 2 });
const camera = makeDeviceId({ kind: 'hd_camera', serial: 3 });
const missing = makeDeviceId({ kind: 'checkpoint', serial: 99 });

function device(id: string, overrides: Partial<DeviceRegistration> = {}): DeviceRegistration {
  return { id, name: id, kind: 'checkpoint', lat: 45.6, lon: 126.6, place: 'p', area: 'a', ...overrides };
}

/** One tollgate with two lanes, each with its camera registered to it. */
function estate(): RegistryImport {
  return {
    tollgates: [
      {
        id: 'TG-1',
        name: 'one',
        lat: 45.6,
        lon: 126.6,
        place: 'p',
        lanes: [
          { laneNo: 1, direction: 'N', speedLimitKmh: 60, deviceId: lane1 },
          { laneNo: 2, direction: 'S', speedLimitKmh: 60, deviceId: lane2 },
        ],
      },
    ],
    devices: [
      device(lane1, { tollgateId: 'TG-1', laneNo: 1 }),
      device(lane2, { tollgateId: 'TG-1', laneNo: 2 }),
      device(camera, { kind: 'hd_camera' }),
    ],
  };
}

const nothing: RegisteredEstate = { devices: new Map(), tollgates: new Set() };

describe('registryImportProblems', () => {
  it('finds nothing wrong with a consistent estate, nor with lanes naming devices registered before', () => {
    expect(registryImportProblems(estate(), nothing)).toEqual([]);
    const body = estate();
    body.devices = [];
    const registered: RegisteredEstate = {
      devices: new Map<string, RegisteredDevice>([
        [lane1, { kind: 'checkpoint', tollgateId: 'TG-1', laneNo: 1 }],
        [lane2, { kind: 'checkpoint', tollgateId: null, laneNo: null }],
      ]),
      tollgates: new Set(),
    };
    expect(registryImportProblems(body, registered)).toEqual([]);
  });

  it('names each lane device that is neither registered nor in the import', () => {
    const body = estate();
    body.tollgates[0]!.lanes[1]!.deviceId = missing;
    body.tollgates[0]!.lanes.push({
      laneNo: 3,
      direction: 'S',
      speedLimitKmh: 60,
      deviceId: makeDeviceId({ kind: 'checkpoint', serial: 98 }),
    });
    body.devices = body.devices.filter((d) => d.id !== lane2);
    expect(registryImportProblems(body, nothing)).toEqual([
      `/tollgates/0/lanes/1/deviceId: device ${missing} is not registered and not in this import`,
      `/tollgates/0/lanes/2/deviceId: device ${makeDeviceId({ kind: 'checkpoint', serial: 98 })} is not registered and not in this import`,
    ]);
  });

  it('refuses a device naming a tollgate that neither exists nor is imported', () => {
    const body = estate();
    body.devices.push(device(missing, { tollgateId: 'TG-NOPE', laneNo: 1 }));
    expect(registryImportProblems(body, nothing)).toEqual([
      `/devices/3/tollgateId: tollgate TG-NOPE does not exist and is not in this import`,
    ]);
    expect(registryImportProblems(body, { devices: new Map(), tollgates: new Set(['TG-NOPE']) })).toEqual([]);
  });

  it('refuses ids listed twice: tollgates, devices and a tollgate’s lane numbers', () => {
    const body = estate();
    body.tollgates.push({ ...body.tollgates[0]!, lanes: [...body.tollgates[0]!.lanes] });
    body.tollgates[0]!.lanes.push({ laneNo: 2, direction: 'S', speedLimitKmh: 50 });
    body.devices.push(device(camera, { kind: 'hd_camera' }));
    expect(registryImportProblems(body, nothing)).toEqual([
      '/tollgates/1/id: tollgate TG-1 is listed twice (also /tollgates/0)',
      `/devices/3/id: device ${camera} is listed twice (also /devices/2)`,
      '/tollgates/0/lanes/2/laneNo: lane 2 of tollgate TG-1 is listed twice',
    ]);
  });

  it('puts only checkpoint cameras on lanes, each on one lane, the kind the import gives winning', () => {
    const body = estate();
    body.tollgates[0]!.lanes[1]!.deviceId = camera;
    expect(registryImportProblems(body, nothing)).toEqual([
      `/tollgates/0/lanes/1/deviceId: device ${camera} is a hd_camera, not a checkpoint camera`,
      `/devices/1/laneNo: lane 2 of tollgate TG-1 names device ${camera}, not ${lane2}`,
    ]);
    // Registered as a checkpoint before, re-imported as a long-range camera.
    const registered: RegisteredEstate = {
      devices: new Map([[lane1, { kind: 'checkpoint', tollgateId: 'TG-1', laneNo: 1 }]]),
      tollgates: new Set(),
    };
    const again = estate();
    again.devices[0] = device(lane1, { kind: 'long_range', tollgateId: 'TG-1', laneNo: 1 });
    expect(registryImportProblems(again, registered)).toEqual([
      `/tollgates/0/lanes/0/deviceId: device ${lane1} is a long_range, not a checkpoint camera`,
    ]);

    const twice = estate();
    twice.tollgates[0]!.lanes[1]!.deviceId = lane1;
    twice.devices = twice.devices.filter((d) => d.id !== lane2).map((d) => ({ ...d, laneNo: d.laneNo && 1 }));
    expect(registryImportProblems(twice, nothing)).toEqual([
      `/tollgates/0/lanes/1/deviceId: device ${lane1} is already the camera of lane 1 of tollgate TG-1`,
      `/tollgates/0/lanes/1/deviceId: device ${lane1} is registered to lane 1 of tollgate TG-1, not lane 2 of tollgate TG-1`,
    ]);
  });

  it('refuses a lane camera and its own registration that disagree on the lane', () => {
    const body = estate();
    body.devices[0] = device(lane1, { tollgateId: 'TG-1', laneNo: 3 });
    expect(registryImportProblems(body, nothing)).toEqual([
      `/tollgates/0/lanes/0/deviceId: device ${lane1} is registered to lane 3 of tollgate TG-1, not lane 1 of tollgate TG-1`,
      `/devices/0/laneNo: tollgate TG-1 has no lane 3 in this import`,
    ]);
    // A lane naming a camera registered to another tollgate before (not re-imported).
    const moved = estate();
    moved.devices = moved.devices.filter((d) => d.id !== lane1);
    const registered: RegisteredEstate = {
      devices: new Map([[lane1, { kind: 'checkpoint', tollgateId: 'TG-2', laneNo: 1 }]]),
      tollgates: new Set(),
    };
    expect(registryImportProblems(moved, registered)).toEqual([
      `/tollgates/0/lanes/0/deviceId: device ${lane1} is registered to lane 1 of tollgate TG-2, not lane 1 of tollgate TG-1`,
    ]);
  });

  it('lists what the import refers to without registering it', () => {
    const body = estate();
    body.devices.push(device(missing, { tollgateId: 'TG-OLD' }));
    expect(referencedByImport(body)).toEqual({ deviceIds: [lane1, lane2], tollgateIds: ['TG-1', 'TG-OLD'] });
  });
});

describe('tollgateLaneProblems', () => {
  it('applies the lane rules to a tollgate’s lanes against the registry', () => {
    const registered = new Map<string, RegisteredDevice>([
      [lane1, { kind: 'checkpoint', tollgateId: null, laneNo: null }],
      [camera, { kind: 'hd_camera', tollgateId: null, laneNo: null }],
    ]);
    const lanes = [
      { laneNo: 1, direction: 'N' as const, speedLimitKmh: 60, deviceId: lane1 },
      { laneNo: 2, direction: 'N' as const, speedLimitKmh: 60, deviceId: missing },
      { laneNo: 3, direction: 'N' as const, speedLimitKmh: 60, deviceId: camera },
      { laneNo: 4, direction: 'N' as const, speedLimitKmh: 60, deviceId: lane1 },
      { laneNo: 5, direction: 'N' as const, speedLimitKmh: 60 },
    ];
    expect(tollgateLaneProblems('TG-X', lanes, registered)).toEqual([
      `/lanes/1/deviceId: device ${missing} is not registered`,
      `/lanes/2/deviceId: device ${camera} is a hd_camera, not a checkpoint camera`,
      `/lanes/3/deviceId: device ${lane1} is already the camera of lane 1 of tollgate TG-X`,
    ]);
  });
});

describe('listedProblems', () => {
  it('lists at most MAX_PROBLEMS_LISTED problems, then how many more', () => {
    const many = Array.from({ length: MAX_PROBLEMS_LISTED + 7 }, (_, i) => `problem ${i}`);
    const listed = listedProblems(many);
    expect(listed).toHaveLength(MAX_PROBLEMS_LISTED + 1);
    expect(listed.at(-1)).toBe('... and 7 more problems');
    expect(listedProblems(['one'])).toEqual(['one']);
  });
});
