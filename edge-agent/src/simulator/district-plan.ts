/**
 * A local plan of Pingfang district (Harbin): a grid of main streets around lat 45.60, lon 126.63,
 * positions in metres east/north of the centre, and the street offices responsible for each part.
 * Street names are plausible for the district, not a survey.
 */
export const DISTRICT_CENTRE = { lat: 45.6, lon: 126.63 } as const;

const METRES_PER_DEGREE_LAT = 111_195;
const METRES_PER_DEGREE_LON = METRES_PER_DEGREE_LAT * Math.cos((DISTRICT_CENTRE.lat * Math.PI) / 180);

export interface PlanPoint {
  /** Metres east of the centre. */
  x: number;
  /** Metres north of the centre. */
  y: number;
}

export interface Street {
  name: string;
  /** ns: runs north-south at `offset` metres east; ew: runs east-west at `offset` metres north. */
  axis: 'ns' | 'ew';
  offset: number;
  /** arterial roads carry more traffic and have higher limits. */
  grade: 'entrance' | 'arterial' | 'secondary';
  speedLimitKmh: number;
}

export const STREETS: readonly Street[] = [
  { name: '友协大街', axis: 'ns', offset: -2800, grade: 'arterial', speedLimitKmh: 60 },
  { name: '新疆大街', axis: 'ns', offset: -1700, grade: 'arterial', speedLimitKmh: 60 },
  { name: '联盟大街', axis: 'ns', offset: -600, grade: 'secondary', speedLimitKmh: 50 },
  { name: '保国大街', axis: 'ns', offset: 500, grade: 'arterial', speedLimitKmh: 60 },
  { name: '哈南大街', axis: 'ns', offset: 1600, grade: 'entrance', speedLimitKmh: 70 },
  { name: '兴建大街', axis: 'ns', offset: 2700, grade: 'secondary', speedLimitKmh: 50 },
  { name: '哈平路', axis: 'ew', offset: 2700, grade: 'entrance', speedLimitKmh: 80 },
  { name: '平新路', axis: 'ew', offset: 1800, grade: 'arterial', speedLimitKmh: 60 },
  { name: '新伟路', axis: 'ew', offset: 900, grade: 'secondary', speedLimitKmh: 50 },
  { name: '建安路', axis: 'ew', offset: 0, grade: 'arterial', speedLimitKmh: 60 },
  { name: '东轻路', axis: 'ew', offset: -900, grade: 'secondary', speedLimitKmh: 50 },
  { name: '松江路', axis: 'ew', offset: -1800, grade: 'arterial', speedLimitKmh: 60 },
  { name: '哈南工业新城路', axis: 'ew', offset: -2700, grade: 'entrance', speedLimitKmh: 70 },
];

/** Street offices and towns, one per part of the plan (west-east, north-south). */
const AREAS = [
  ['友协街道', '新伟街道', '兴建街道'],
  ['保国街道', '联盟街道', '平新镇'],
] as const;

export function areaOf(point: PlanPoint): string {
  const column = point.x < -1100 ? 0 : point.x < 1100 ? 1 : 2;
  const row = point.y >= 0 ? 0 : 1;
  return AREAS[row][column];
}

export function toLatLon(point: PlanPoint): { lat: number; lon: number } {
  return {
    lat: Math.round((DISTRICT_CENTRE.lat + point.y / METRES_PER_DEGREE_LAT) * 1e6) / 1e6,
    lon: Math.round((DISTRICT_CENTRE.lon + point.x / METRES_PER_DEGREE_LON) * 1e6) / 1e6,
  };
}

export interface Intersection {
  point: PlanPoint;
  ns: Street;
  ew: Street;
  name: string;
}

export function intersections(): Intersection[] {
  const list: Intersection[] = [];
  for (const ew of STREETS.filter((street) => street.axis === 'ew')) {
    for (const ns of STREETS.filter((street) => street.axis === 'ns')) {
      list.push({ point: { x: ns.offset, y: ew.offset }, ns, ew, name: `${ns.name}与${ew.name}交口` });
    }
  }
  return list;
}

/** Distance in metres between two plan points. */
export function distanceM(a: PlanPoint, b: PlanPoint): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
