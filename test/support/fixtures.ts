import { randomUUID } from 'node:crypto';
import {
  makeDeviceId,
  type DeviceRegistration,
  type PassageEventPayload,
  type RegistryImport,
} from '@citywatch/protocol';

/** A small estate: one checkpoint site with two lanes, each read by its own ANPR device. */
export function smallEstate(serialBase = 1): RegistryImport & { laneDevices: string[] } {
  const laneDevices = [0, 1].map((i) => makeDeviceId({ kind: 'checkpoint', serial: serialBase + i }));
  const devices: DeviceRegistration[] = laneDevices.map((id, i) => ({
    id,
    name: `Youxie St checkpoint lane ${i + 1}`,
    kind: 'checkpoint',
    lat: 45.6061,
    lon: 126.6352,
    place: 'Youxie St / Xinjiang Ave',
    area: 'Youxie street office',
    tollgateId: 'TG-YX-01',
    laneNo: i + 1,
  }));
  return {
    laneDevices,
    tollgates: [
      {
        id: 'TG-YX-01',
        name: 'Youxie St checkpoint',
        lat: 45.6061,
        lon: 126.6352,
        place: 'Youxie St / Xinjiang Ave',
        lanes: laneDevices.map((deviceId, i) => ({
          laneNo: i + 1,
          direction: i === 0 ? ('N' as const) : ('S' as const),
          speedLimitKmh: 60,
          deviceId,
        })),
      },
    ],
    devices,
  };
}

export function passage(deviceId: string, overrides: Partial<PassageEventPayload> = {}): PassageEventPayload {
  return {
    v: 1,
    eventId: randomUUID(),
    deviceId,
    tollgateId: 'TG-YX-01',
    laneNo: 1,
    direction: 'N',
    passTime: new Date().toISOString(),
    plateNo: '黑A12345',
    plateColor: 'blue',
    plateConfidence: 0.97,
    vehicleClass: 'car',
    vehicleColor: 'white',
    speedKmh: 48.5,
    ...overrides,
  };
}
