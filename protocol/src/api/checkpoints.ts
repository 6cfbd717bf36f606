import { Type, type Static } from '@sinclair/typebox';
import { withDescription } from '../payloads/common';
import { DIRECTIONS, PLATE_COLORS, VEHICLE_CLASSES, VEHICLE_COLORS } from '../payloads/event-payloads';
import { GeoPoint, LaneRegistration } from './registry';
import type { AlertSeverity } from './alerts';

/**
 * REST bodies, queries and answers of the checkpoint module (卡口): the tollgate registry, history
 * search, trajectories, statistics, the vehicle hotlist (布控) and the rules that raise alerts.
 * Queries arrive as text: lists are comma-separated (`tollgateId=TG-1,TG-2`).
 */

const TOLLGATE_ID = '[A-Za-z0-9_-]{1,32}';
const list = (values: readonly string[]) => `^(${values.join('|')})(,(${values.join('|')}))*$`;
const csvOf = (values: readonly string[], description: string) =>
  Type.String({ pattern: list(values), maxLength: 200, description });

/** ISO 8601 date-time with a zone; whether it is a real date is checked after the schema. */
export const QueryTimestamp = Type.String({
  maxLength: 35,
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})$',
  description: 'ISO 8601 date-time with a zone, e.g. 2026-11-27T08:00:00+08:00',
});

// ---------------------------------------------------------------------------------------------- tollgates

export const TollgateIdList = Type.String({
  pattern: `^${TOLLGATE_ID}(,${TOLLGATE_ID}){0,63}$`,
  maxLength: 2100,
  description: 'tollgate ids, comma-separated',
});

export const TollgateBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100, description: 'display name' }),
    ...GeoPoint,
    place: Type.String({ maxLength: 200, description: 'street address or landmark' }),
    lanes: Type.Array(LaneRegistration, { minItems: 1, maxItems: 16, description: 'its lanes' }),
  },
  { additionalProperties: false, $id: 'TollgateBody' },
);
export type TollgateBody = Static<typeof TollgateBody>;

export const TollgateCreateBody = Type.Object(
  {
    id: Type.String({ pattern: `^${TOLLGATE_ID}$`, description: 'tollgate id, as passages carry it' }),
    ...TollgateBody.properties,
  },
  { additionalProperties: false, $id: 'TollgateCreateBody' },
);
export type TollgateCreateBody = Static<typeof TollgateCreateBody>;

export interface LaneRecord {
  laneNo: number;
  direction: (typeof DIRECTIONS)[number];
  speedLimitKmh: number;
  deviceId: string | null;
}

export interface TollgateRecord {
  id: string;
  name: string;
  lat: number;
  lon: number;
  place: string;
  lanes: LaneRecord[];
  createdAt: string;
  updatedAt: string;
}

/** The fastest plausible travel between two tollgates (what the cloned-plate rule compares with). */
export const TravelTime = Type.Object(
  {
    fromTollgateId: Type.String({ pattern: `^${TOLLGATE_ID}$` }),
    toTollgateId: Type.String({ pattern: `^${TOLLGATE_ID}$` }),
    distanceM: Type.Optional(Type.Number({ minimum: 0, maximum: 1_000_000, description: 'road distance, metres' })),
    minTravelS: Type.Integer({
      minimum: 1,
      maximum: 86_400,
      description: 'fastest plausible travel, seconds; a plate seen at both faster than this is cloned',
    }),
    typicalTravelS: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, description: 'usual travel, seconds' })),
  },
  { additionalProperties: false },
);
export type TravelTime = Static<typeof TravelTime>;

export const TravelTimesBody = Type.Object(
  {
    items: Type.Array(TravelTime, { minItems: 1, maxItems: 10_000 }),
    symmetric: Type.Optional(
      Type.Boolean({ default: true, description: 'also store the way back with the same figures (default true)' }),
    ),
  },
  { additionalProperties: false, $id: 'TravelTimesBody' },
);
export type TravelTimesBody = Static<typeof TravelTimesBody>;

// ------------------------------------------------------------------------------------------- history search

export const PLATE_MATCH_MODES = ['exact', 'wildcard', 'fuzzy'] as const;
export type PlateMatchMode = (typeof PLATE_MATCH_MODES)[number];

/** The filter of a history search; also the filter of an export. */
export const PassageFilter = {
  plate: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 12,
      description: 'plate; with plateMatch=wildcard `?` is one character and `*` any run (黑A?23*)',
    }),
  ),
  plateMatch: Type.Optional(
    Type.Union(
      PLATE_MATCH_MODES.map((m) => Type.Literal(m)),
      {
        description:
          'exact (default; wildcard when the plate holds ? or *), wildcard, or fuzzy (OCR confusions 0/D/Q/O, 8/B, 1/I, 2/Z, 5/S, 6/G and one missing or extra character)',
      },
    ),
  ),
  plateColor: Type.Optional(csvOf(PLATE_COLORS, 'plate colours, comma-separated')),
  vehicleClass: Type.Optional(csvOf(VEHICLE_CLASSES, 'vehicle classes, comma-separated')),
  vehicleColor: Type.Optional(csvOf(VEHICLE_COLORS, 'vehicle colours, comma-separated')),
  tollgateId: Type.Optional(TollgateIdList),
  laneNo: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,2}(,[0-9]{1,2}){0,31}$', description: 'lane numbers, comma-separated' }),
  ),
  direction: Type.Optional(csvOf(DIRECTIONS, 'directions of travel, comma-separated')),
  speedMin: Type.Optional(Type.Number({ minimum: 0, maximum: 300, description: 'lowest speed, km/h (inclusive)' })),
  speedMax: Type.Optional(Type.Number({ minimum: 0, maximum: 300, description: 'highest speed, km/h (inclusive)' })),
  from: Type.Optional(withDescription(QueryTimestamp, 'earliest pass time (inclusive)')),
  to: Type.Optional(withDescription(QueryTimestamp, 'latest pass time (exclusive)')),
};

export const PassageSearchQuery = Type.Object(
  {
    ...PassageFilter,
    cursor: Type.Optional(
      Type.String({ maxLength: 400, pattern: '^[A-Za-z0-9_-]+$', description: 'nextCursor of the previous page' }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'rows per page, at most 500' }),
  },
  { additionalProperties: false, $id: 'PassageSearchQuery' },
);
export type PassageSearchQuery = Static<typeof PassageSearchQuery>;

export const PassageExportQuery = Type.Object(PassageFilter, {
  additionalProperties: false,
  $id: 'PassageExportQuery',
});
export type PassageExportQuery = Static<typeof PassageExportQuery>;

export interface PassageRecord {
  eventId: string;
  passTime: string;
  deviceId: string;
  tollgateId: string;
  laneNo: number;
  direction: string;
  plateNo: string;
  plateColor: string;
  plateConfidence: number;
  vehicleClass: string;
  vehicleColor: string | null;
  speedKmh: number;
  images: { kind: string; ref?: string; jpegBase64?: string }[] | null;
  storedAt: string;
}

/** A plate a wildcard or fuzzy search resolved to; distance 0 for wildcard matches. */
export interface MatchedPlate {
  plateNo: string;
  distance: number;
}

export interface PassageSearchResult {
  items: PassageRecord[];
  /** Pass it as `cursor` for the next page; null on the last page. Pages are a snapshot: rows stored after the
   *  first page never appear in later ones. */
  nextCursor: string | null;
  /** Rows the filter matches (first page only): exact up to a bound, an estimate beyond it. */
  total: { value: number; exact: boolean } | null;
  /** For wildcard and fuzzy searches: the plates the pattern resolved to (at most 500). */
  matchedPlates: MatchedPlate[] | null;
}

export const TrajectoryQuery = Type.Object(
  {
    plate: Type.String({ minLength: 2, maxLength: 12, description: 'the plate, exactly' }),
    from: Type.Optional(withDescription(QueryTimestamp, 'earliest pass time (inclusive)')),
    to: Type.Optional(withDescription(QueryTimestamp, 'latest pass time (exclusive)')),
    limit: Type.Integer({ minimum: 1, maximum: 5000, default: 1000, description: 'most points, at most 5000' }),
  },
  { additionalProperties: false, $id: 'TrajectoryQuery' },
);
export type TrajectoryQuery = Static<typeof TrajectoryQuery>;

export interface TrajectoryPoint {
  eventId: string;
  passTime: string;
  tollgateId: string;
  tollgateName: string | null;
  lat: number | null;
  lon: number | null;
  laneNo: number;
  direction: string;
  speedKmh: number;
  deviceId: string;
}

export interface Trajectory {
  plateNo: string;
  /** Oldest first. */
  points: TrajectoryPoint[];
  /** True when more passages matched than `limit` (the newest ones are returned). */
  truncated: boolean;
}

// --------------------------------------------------------------------------------------------- statistics

export const StatisticsQuery = Type.Object(
  {
    from: withDescription(QueryTimestamp, 'start (inclusive)'),
    to: withDescription(QueryTimestamp, 'end (exclusive); at most 92 days after from'),
    tollgateId: Type.Optional(TollgateIdList),
    laneNo: Type.Optional(Type.String({ pattern: '^[0-9]{1,2}(,[0-9]{1,2}){0,31}$' })),
    timeZone: Type.String({
      default: 'Asia/Shanghai',
      maxLength: 64,
      pattern: '^[A-Za-z]+(/[A-Za-z0-9_+-]+){0,2}$|^UTC$',
      description: 'IANA zone for hours of the day (peak hours)',
    }),
    bucketKmh: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'speed histogram bucket, km/h' }),
    top: Type.Integer({ minimum: 1, maximum: 500, default: 20, description: 'how many top plates' }),
  },
  { additionalProperties: false, $id: 'StatisticsQuery' },
);
export type StatisticsQuery = Static<typeof StatisticsQuery>;

export interface HourlyCount {
  /** Start of the hour, ISO 8601. */
  hour: string;
  tollgateId: string;
  laneNo: number;
  vehicles: number;
}

export interface SpeedBucket {
  fromKmh: number;
  toKmh: number;
  vehicles: number;
}

export interface TopPlate {
  plateNo: string;
  passages: number;
  tollgates: number;
  lastSeen: string;
}

export interface PeakHour {
  /** Hour of the day in the requested zone, 0-23. */
  hourOfDay: number;
  vehicles: number;
}

export interface HourlyStatistics {
  /** 'aggregate' when read from the TimescaleDB continuous aggregate, 'passages' when counted from the rows. */
  source: 'aggregate' | 'passages';
  rows: HourlyCount[];
}

// ------------------------------------------------------------------------------------------------ hotlist

export const HOTLIST_CATEGORIES = ['stolen', 'wanted', 'unlicensed_use', 'suspect', 'other'] as const;
export type HotlistCategory = (typeof HOTLIST_CATEGORIES)[number];

export const HotlistEntryBody = Type.Object(
  {
    plate: Type.String({
      minLength: 2,
      maxLength: 12,
      description: 'a plate (黑A12345) or a pattern with ? (one character) and * (any run), e.g. 黑A?23*',
    }),
    category: Type.Union(
      HOTLIST_CATEGORIES.map((c) => Type.Literal(c)),
      { description: 'why the vehicle is listed' },
    ),
    priority: Type.Integer({ minimum: 1, maximum: 3, description: '1 highest (critical alert), 2 major, 3 minor' }),
    reason: Type.String({ minLength: 1, maxLength: 500, description: 'case reference or reason' }),
    validFrom: Type.Optional(withDescription(QueryTimestamp, 'start of validity (default: now)')),
    validUntil: Type.Optional(withDescription(QueryTimestamp, 'end of validity (default: open-ended)')),
    tollgateIds: Type.Optional(
      Type.Array(Type.String({ pattern: `^${TOLLGATE_ID}$` }), {
        maxItems: 200,
        description: 'tollgates the entry applies to; empty or absent = all',
      }),
    ),
    fuzzy: Type.Optional(
      Type.Boolean({
        description: 'also alert on near reads (OCR confusions, one missing or extra character); default true',
      }),
    ),
  },
  { additionalProperties: false, $id: 'HotlistEntryBody' },
);
export type HotlistEntryBody = Static<typeof HotlistEntryBody>;

export const HotlistListQuery = Type.Object(
  {
    active: Type.Optional(Type.Boolean({ description: 'only entries valid now (true) or not (false)' })),
    category: Type.Optional(csvOf(HOTLIST_CATEGORIES, 'categories, comma-separated')),
    after: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$', description: 'last id of the previous page' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false, $id: 'HotlistListQuery' },
);
export type HotlistListQuery = Static<typeof HotlistListQuery>;

export interface HotlistEntry {
  id: string;
  plate: string;
  /** exact: a whole plate; pattern: holds ? or *. */
  kind: 'exact' | 'pattern';
  category: HotlistCategory;
  priority: number;
  reason: string;
  validFrom: string;
  validUntil: string | null;
  tollgateIds: string[];
  fuzzy: boolean;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface HotlistPage {
  items: HotlistEntry[];
  nextAfter: string | null;
}

// ------------------------------------------------------------------------------------------------- rules

export const CHECKPOINT_RULE_IDS = ['hotlist', 'speeding', 'cloned_plate', 'frequent_passage'] as const;
export type CheckpointRuleId = (typeof CHECKPOINT_RULE_IDS)[number];

/** Parameters of each rule, with their defaults. */
export const CheckpointRuleParams = {
  hotlist: Type.Object(
    {
      fuzzy: Type.Boolean({ default: true, description: 'alert on fuzzy matches of entries that allow them' }),
    },
    { additionalProperties: false },
  ),
  speeding: Type.Object(
    {
      marginKmh: Type.Number({
        minimum: 0,
        maximum: 100,
        default: 10,
        description: 'alert when the speed is above the lane limit plus this margin',
      }),
    },
    { additionalProperties: false },
  ),
  cloned_plate: Type.Object(
    {
      maxSpeedKmh: Type.Number({
        minimum: 10,
        maximum: 500,
        default: 150,
        description: 'where no travel time is configured: fastest plausible straight-line speed between tollgates',
      }),
      minPlateConfidence: Type.Number({
        minimum: 0,
        maximum: 1,
        default: 0.8,
        description: 'reads below this confidence are not compared (OCR errors look like clones)',
      }),
      windowMinutes: Type.Integer({
        minimum: 1,
        maximum: 1440,
        default: 120,
        description: 'how far back passages of the plate are compared',
      }),
    },
    { additionalProperties: false },
  ),
  frequent_passage: Type.Object(
    {
      maxPassages: Type.Integer({
        minimum: 1,
        maximum: 1000,
        default: 10,
        description: 'alert when a plate passes one tollgate more than this many times in the window',
      }),
      windowMinutes: Type.Integer({ minimum: 1, maximum: 10_080, default: 60, description: 'the window, minutes' }),
    },
    { additionalProperties: false },
  ),
} as const;

export type CheckpointRuleParamsOf<R extends CheckpointRuleId> = Static<(typeof CheckpointRuleParams)[R]>;

export interface CheckpointRule<R extends CheckpointRuleId = CheckpointRuleId> {
  id: R;
  enabled: boolean;
  /** For the hotlist: the severity of a priority-1 exact hit; lower priorities and fuzzy hits step down. */
  severity: AlertSeverity;
  params: CheckpointRuleParamsOf<R>;
  updatedAt: string;
}

export const CheckpointRuleUpdate = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    severity: Type.Optional(Type.Union(['critical', 'major', 'minor', 'info'].map((s) => Type.Literal(s)))),
    params: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Number(), Type.Boolean()]))),
  },
  { additionalProperties: false, $id: 'CheckpointRuleUpdate' },
);
export type CheckpointRuleUpdate = Static<typeof CheckpointRuleUpdate>;
