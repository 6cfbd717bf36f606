import { makeDeviceId, type DeviceRegistration, type RegistryImport } from '@citywatch/protocol';

export interface BenchLane {
  id: string;
  tollgateId: string;
  laneNo: number;
}

/** The benchmarks' estate: 12 checkpoint sites of 4 lanes, each lane its own ANPR device. */
export function benchLanes(): RegistryImport & { lanes: BenchLane[] } {
  const tollgates: RegistryImport['tollgates'] = [];
  const devices: DeviceRegistration[] = [];
  const lanes: BenchLane[] = [];
  for (let t = 0; t < 12; t++) {
    const tollgateId = `TG${String(t + 1).padStart(2, '0')}`;
    const ids = [1, 2, 3, 4].map((laneNo) => makeDeviceId({ kind: 'checkpoint', serial: 9000 + t * 4 + laneNo }));
    tollgates.push({
      id: tollgateId,
      name: `Bench site ${t + 1}`,
      lat: 45.6,
      lon: 126.6,
      place: 'bench',
      lanes: ids.map((deviceId, i) => ({ laneNo: i + 1, direction: 'N', speedLimitKmh: 60, deviceId })),
    });
    ids.forEach((id, i) => {
      devices.push({
        id,
        name: id,
        kind: 'checkpoint',
        lat: 45.6,
        lon: 126.6,
        place: 'bench',
        area: 'bench',
        tollgateId,
        laneNo: i + 1,
      });
      lanes.push({ id, tollgateId, laneNo: i + 1 });
    });
  }
  return { tollgates, devices, lanes };
}
