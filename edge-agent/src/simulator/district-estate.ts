import {
  makeDeviceId,
  type DeviceKind,
  type DeviceRegistration,
  type RegistryImport,
  type TollgateRegistration,
} from '@citywatch/protocol';
import { SeededRandom } from '../util/seeded-random';
import { DEFAULT_DEVICE_KEY, deviceSecret } from './device-secrets';
import { areaOf, intersections, STREETS, toLatLon, type PlanPoint, type Street } from './district-plan';

/** The seed article's estate. */
export const ESTATE_COUNTS = {
  hdCameras: 152,
  checkpointSites: 13,
  checkpointLanes: 48,
  longRangeCameras: 12,
  faceCheckpoints: 97,
  faceLocations: 56,
} as const;

export type FacePlaceType =
  'transit' | 'factory_gate' | 'hospital' | 'school' | 'market' | 'park' | 'commerce' | 'residential';

/** Faces per camera per day at 1x, by kind of place. */
export const FACES_PER_CAMERA_DAY: Readonly<Record<FacePlaceType, number>> = {
  transit: 9000,
  commerce: 7000,
  market: 6000,
  hospital: 5000,
  factory_gate: 4500,
  park: 3000,
  school: 2500,
  residential: 1800,
};

/** Vehicles per lane per day at 1x, by grade of the road. */
export const VEHICLES_PER_LANE_DAY: Readonly<Record<Street['grade'], number>> = {
  entrance: 12_000,
  arterial: 8_000,
  secondary: 4_500,
};

export interface EstateDevice {
  registration: DeviceRegistration;
  kind: DeviceKind;
  point: PlanPoint;
  /** Lanes: the road, limit and direction; faces: the kind of place. */
  lane?: {
    tollgateId: string;
    laneNo: number;
    direction: TollgateRegistration['lanes'][number]['direction'];
    speedLimitKmh: number;
    vehiclesPerDay: number;
  };
  face?: { placeType: FacePlaceType; facesPerDay: number };
  hasLoudspeaker: boolean;
}

export interface DistrictEstate {
  tollgates: TollgateRegistration[];
  devices: EstateDevice[];
  byId: Map<string, EstateDevice>;
}

const HEARTBEAT_INTERVAL_S = 30;

/** Landmarks for the face checkpoints, busiest first; residential gates fill the rest. */
const FACE_LANDMARKS: readonly [string, FacePlaceType][] = [
  ['哈尔滨南站进站口', 'transit'],
  ['哈尔滨南站出站口', 'transit'],
  ['平房公交枢纽站', 'transit'],
  ['哈平路公交站', 'transit'],
  ['新伟路公交站', 'transit'],
  ['哈南商业街', 'commerce'],
  ['平房百货大楼', 'commerce'],
  ['友协广场商场', 'commerce'],
  ['友协菜市场', 'market'],
  ['新疆大街早市', 'market'],
  ['联盟市场', 'market'],
  ['保国农贸市场', 'market'],
  ['平房区人民医院', 'hospital'],
  ['平房区中医院', 'hospital'],
  ['哈飞集团正门', 'factory_gate'],
  ['哈飞集团东门', 'factory_gate'],
  ['东轻公司北门', 'factory_gate'],
  ['东安发动机厂门', 'factory_gate'],
  ['哈南工业新城管委会', 'factory_gate'],
  ['平房公园南门', 'park'],
  ['平房公园北门', 'park'],
  ['文化广场', 'park'],
  ['平房区第一中学', 'school'],
  ['平房区第三中学', 'school'],
  ['友协小学', 'school'],
  ['新伟小学', 'school'],
  ['兴建中学', 'school'],
];

/**
 * Builds the district's estate: 13 checkpoint sites with 48 lanes (one ANPR device per lane),
 * 152 HD street cameras, 12 long-range cameras (most with a loudspeaker) and 97 face checkpoints
 * at 56 places, with GA/T 1400-style ids for region 230108. The estate is the same for every seed.
 */
export function buildDistrictEstate(): DistrictEstate {
  const random = new SeededRandom('pingfang-estate-v1');
  const tollgates: TollgateRegistration[] = [];
  const devices: EstateDevice[] = [];
  const crossings = intersections();
  const serial: Record<DeviceKind, number> = { hd_camera: 0, checkpoint: 0, long_range: 0, face_checkpoint: 0 };
  const nextId = (kind: DeviceKind) => makeDeviceId({ kind, serial: (serial[kind] += 1) });
  const register = (
    kind: DeviceKind,
    point: PlanPoint,
    name: string,
    place: string,
    extra: Partial<DeviceRegistration> = {},
  ): DeviceRegistration => ({
    id: nextId(kind),
    name,
    kind,
    ...toLatLon(point),
    place,
    area: areaOf(point),
    heartbeatIntervalS: HEARTBEAT_INTERVAL_S,
    ...extra,
  });

  // Checkpoint sites: the entrances first, then the busiest arterial crossings.
  const gradeRank = { entrance: 0, arterial: 1, secondary: 2 } as const;
  const sites = [...crossings]
    .sort(
      (a, b) =>
        Math.min(gradeRank[a.ns.grade], gradeRank[a.ew.grade]) -
          Math.min(gradeRank[b.ns.grade], gradeRank[b.ew.grade]) ||
        gradeRank[a.ns.grade] + gradeRank[a.ew.grade] - (gradeRank[b.ns.grade] + gradeRank[b.ew.grade]) ||
        a.point.x - b.point.x ||
        a.point.y - b.point.y,
    )
    .slice(0, ESTATE_COUNTS.checkpointSites);
  const laneCounts = [6, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3];
  sites.forEach((site, index) => {
    const road = gradeRank[site.ew.grade] <= gradeRank[site.ns.grade] ? site.ew : site.ns;
    const directions = road.axis === 'ew' ? (['E', 'W'] as const) : (['N', 'S'] as const);
    const tollgateId = `230108TG${String(index + 1).padStart(4, '0')}`;
    const lanes: TollgateRegistration['lanes'] = [];
    for (let laneNo = 1; laneNo <= laneCounts[index]; laneNo += 1) {
      const direction = directions[laneNo <= Math.ceil(laneCounts[index] / 2) ? 0 : 1];
      const vehiclesPerDay = Math.round(VEHICLES_PER_LANE_DAY[road.grade] * (0.85 + random.next() * 0.3));
      const registration = register(
        'checkpoint',
        site.point,
        `${site.name} 卡口 ${laneNo}车道`,
        `${road.name} ${site.name}`,
        {
          tollgateId,
          laneNo,
        },
      );
      lanes.push({ laneNo, direction, speedLimitKmh: road.speedLimitKmh, deviceId: registration.id });
      devices.push({
        registration,
        kind: 'checkpoint',
        point: site.point,
        lane: { tollgateId, laneNo, direction, speedLimitKmh: road.speedLimitKmh, vehiclesPerDay },
        hasLoudspeaker: false,
      });
    }
    tollgates.push({ id: tollgateId, name: `${site.name}卡口`, ...toLatLon(site.point), place: site.name, lanes });
  });

  // HD street cameras: one at every crossing, a second at the arterial ones, the rest along the streets.
  let hdCount = 0;
  const addHd = (point: PlanPoint, name: string, place: string) => {
    hdCount += 1;
    devices.push({
      registration: register('hd_camera', point, `${name} 高清${String(hdCount).padStart(3, '0')}`, place),
      kind: 'hd_camera',
      point,
      hasLoudspeaker: false,
    });
  };
  for (const crossing of crossings) addHd(crossing.point, crossing.name, crossing.name);
  for (const crossing of crossings.filter((c) => c.ns.grade !== 'secondary' && c.ew.grade !== 'secondary')) {
    if (hdCount >= ESTATE_COUNTS.hdCameras) break;
    addHd({ x: crossing.point.x + 30, y: crossing.point.y - 30 }, crossing.name, crossing.name);
  }
  while (hdCount < ESTATE_COUNTS.hdCameras) {
    const street = random.pick(STREETS);
    const along = Math.round(random.next() * 5600 - 2800);
    const point = street.axis === 'ns' ? { x: street.offset, y: along } : { x: along, y: street.offset };
    const number = random.int(1, 399);
    addHd(point, `${street.name}${number}号`, `${street.name}${number}号`);
  }

  // Long-range cameras on high points, spread over the district; ten carry a loudspeaker.
  for (let index = 0; index < ESTATE_COUNTS.longRangeCameras; index += 1) {
    const point = {
      x: -2600 + (index % 4) * 1750 + random.int(-200, 200),
      y: -2400 + Math.floor(index / 4) * 2400 + random.int(-200, 200),
    };
    const hasLoudspeaker = index < 10;
    const name = `高点${String(index + 1).padStart(2, '0')} 高音鹰超远距摄像机`;
    devices.push({
      registration: register('long_range', point, name, `${areaOf(point)}制高点${index + 1}`, { hasLoudspeaker }),
      kind: 'long_range',
      point,
      hasLoudspeaker,
    });
  }

  // Face checkpoints: 56 places, 97 cameras; the busiest places get three, the next ones two.
  const places: { name: string; type: FacePlaceType }[] = FACE_LANDMARKS.map(([name, type]) => ({ name, type }));
  while (places.length < ESTATE_COUNTS.faceLocations) {
    const street = random.pick(STREETS);
    places.push({ name: `${street.name}${random.int(1, 399)}号小区门口`, type: 'residential' });
  }
  const extraCameras = ESTATE_COUNTS.faceCheckpoints - ESTATE_COUNTS.faceLocations; // 41 = 13 x 2 + 15 x 1
  places.forEach((place, index) => {
    const cameras = index < 13 ? 3 : index < 13 + (extraCameras - 26) ? 2 : 1;
    const street = STREETS[index % STREETS.length];
    const along = Math.round(random.next() * 5000 - 2500);
    const base = street.axis === 'ns' ? { x: street.offset + 25, y: along } : { x: along, y: street.offset + 25 };
    for (let camera = 1; camera <= cameras; camera += 1) {
      const point = { x: base.x + camera * 4, y: base.y };
      const facesPerDay = Math.round(FACES_PER_CAMERA_DAY[place.type] * (0.8 + random.next() * 0.4));
      devices.push({
        registration: register('face_checkpoint', point, `${place.name} 人脸卡口${camera}`, place.name),
        kind: 'face_checkpoint',
        point,
        face: { placeType: place.type, facesPerDay },
        hasLoudspeaker: false,
      });
    }
  });

  return { tollgates, devices, byId: new Map(devices.map((device) => [device.registration.id, device])) };
}

/**
 * The body of POST /api/registry/import for the district: tollgates with their lanes, then devices,
 * each with the broker secret the simulator will use (derived from `deviceKey`), unless `withSecrets`
 * is false (the hub then makes its own and returns them once).
 */
export function districtRegistry(
  estate: DistrictEstate = buildDistrictEstate(),
  options: { withSecrets?: boolean; deviceKey?: string } = {},
): RegistryImport {
  return {
    tollgates: estate.tollgates,
    devices: estate.devices.map((device) =>
      options.withSecrets === false
        ? device.registration
        : {
            ...device.registration,
            secret: deviceSecret(device.registration.id, options.deviceKey ?? DEFAULT_DEVICE_KEY),
          },
    ),
  };
}
