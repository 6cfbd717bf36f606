import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN } from '../device-id';
import { Timestamp, withDescription } from '../payloads/common';

/** Alerts: what operators claim on the spot, hand to a department with a deadline, and close. */
export const ALERT_TYPES = [
  'watchlist_face',
  'hotlist_vehicle',
  'speeding',
  'cloned_plate',
  'frequent_passage',
  'device_offline',
  'device_tamper',
  'video_loss',
  'urban_incident',
  'other',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const ALERT_SEVERITIES = ['critical', 'major', 'minor', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATES = ['new', 'claimed', 'assigned', 'resolved', 'false_alarm'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/**
 * What an evidence image is; the console captions these (others are shown with their label as is). A face
 * alert shows the capture beside the enrolled photo; passage images are labelled by their kind.
 */
export const ALERT_IMAGE_LABELS = ['capture', 'enrolled', 'scene', 'plate', 'vehicle'] as const;
export type AlertImageLabel = (typeof ALERT_IMAGE_LABELS)[number];

/** Evidence shown side by side in the console; every field optional, by alert type. */
export interface AlertEvidence {
  /** Images by URL on the hub (`/api/...`), each with one of ALERT_IMAGE_LABELS. */
  images?: { label: AlertImageLabel; url: string }[];
  /** Face match similarity, 0..1, and the rank among candidates. */
  similarity?: number;
  rank?: number;
  watchlistPersonId?: string;
  watchlistPersonName?: string;
  plateNo?: string;
  plateColor?: string;
  /** For fuzzy plate matches: the edit distance between the read plate and the hotlist entry. */
  fuzzyDistance?: number;
  hotlistEntryId?: string;
  speedKmh?: number;
  speedLimitKmh?: number;
  tollgateId?: string;
  laneNo?: number;
  /** Free-form facts the rule wants to show (short strings or numbers). */
  facts?: Record<string, string | number | boolean>;
}

/** What a module hands the alerts module to raise an alert (or update the open one with the same dedupe key). */
export interface RaiseAlertInput {
  type: AlertType;
  severity: AlertSeverity;
  title: string;
  /** Repeats of the same key while an alert is open update it (count, last seen) instead of raising another. */
  dedupeKey: string;
  /** The rule or watchlist that fired, for false-alarm rates per rule. */
  ruleId?: string;
  deviceId?: string;
  area?: string;
  sourceEventIds: string[];
  evidence: AlertEvidence;
  /** When the thing happened (the event time), ISO 8601. */
  occurredAt: string;
}

export interface AlertRecord {
  id: string;
  /** Monotonic sequence number across all alerts and their changes; consoles catch up from the last one seen. */
  seq: number;
  type: AlertType;
  severity: AlertSeverity;
  state: AlertState;
  title: string;
  dedupeKey: string;
  ruleId: string | null;
  deviceId: string | null;
  area: string | null;
  sourceEventIds: string[];
  evidence: AlertEvidence;
  count: number;
  occurredAt: string;
  firstSeenAt: string;
  lastSeenAt: string;
  claimedBy: string | null;
  claimedAt: string | null;
  departmentId: string | null;
  assignedAt: string | null;
  deadline: string | null;
  resolvedAt: string | null;
  resolution: string | null;
  escalationLevel: number;
  /** The display name of the operator holding the claim. */
  claimedByName: string | null;
  falseAlarmAt: string | null;
  falseAlarmReason: string | null;
  reopenedAt: string | null;
  escalatedAt: string | null;
  /** Still open after its deadline (or closed after it). */
  overdue: boolean;
  commentCount: number;
  /** What the latest change (the one numbered `seq`) was. */
  lastChange: AlertChangeKind;
  updatedAt: string;
}

/** What happened to an alert; each change gets the next `seq`. */
export const ALERT_CHANGE_KINDS = [
  'raised',
  'repeated',
  'claimed',
  'assigned',
  'resolved',
  'false_alarm',
  'reopened',
  'commented',
  'escalated',
] as const;
export type AlertChangeKind = (typeof ALERT_CHANGE_KINDS)[number];

/** The operations a person performs on an alert (REST and socket). */
export const ALERT_ACTIONS = ['claim', 'assign', 'resolve', 'false_alarm', 'reopen', 'comment'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

/** One change pushed to consoles (socket `alert:change`) and kept in the alert's trail. */
export interface AlertChange {
  seq: number;
  kind: AlertChangeKind;
  at: string;
  /** Who did it; null for the system (raise, repeat, escalation). */
  actor: { id: string; username: string } | null;
  /** The department the alert was with before this change, when it moved. */
  previousDepartmentId: string | null;
  /** The device events that caused this change (raise and repeat). */
  eventIds: string[];
  /** The change's own facts: a comment's text, the reason, the old and new severity. */
  details: Record<string, unknown>;
  alert: AlertRecord;
}

/** One entry of an alert's trail (append-only). */
export interface AlertTrailEntry {
  seq: number;
  alertId: string;
  kind: AlertChangeKind;
  at: string;
  actor: { id: string; username: string } | null;
  fromState: AlertState | null;
  toState: AlertState;
  details: Record<string, unknown>;
}

/** Why an operation on an alert was refused; the same shape over REST (body) and socket (ack). */
export interface AlertRefusal {
  /** HTTP-like status: 400 bad input, 401 not signed in, 403 not allowed, 404 unknown, 409 wrong state or held. */
  status: 400 | 401 | 403 | 404 | 409;
  code: 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'illegal_transition' | 'already_claimed';
  message: string;
  /** For `already_claimed`: who holds it. */
  heldBy?: { id: string; name: string; since: string };
  state?: AlertState;
}

export type AlertOperationReply = { ok: true; alert: AlertRecord } | { ok: false; error: AlertRefusal };

export const AssignAlertBody = Type.Object(
  {
    departmentId: Type.String({ pattern: '^[a-z0-9_-]{1,64}$', description: 'department to hand the alert to' }),
    deadline: withDescription(Timestamp, 'when the department must have fixed it, ISO 8601'),
    note: Type.Optional(Type.String({ maxLength: 2000, description: 'the solution agreed on the spot' })),
  },
  { additionalProperties: false },
);
export type AssignAlertBody = Static<typeof AssignAlertBody>;

export const ResolveAlertBody = Type.Object(
  { resolution: Type.String({ minLength: 1, maxLength: 4000, description: 'what was done' }) },
  { additionalProperties: false },
);
export type ResolveAlertBody = Static<typeof ResolveAlertBody>;

export const FalseAlarmBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000, description: 'why it was not real' }) },
  { additionalProperties: false },
);
export type FalseAlarmBody = Static<typeof FalseAlarmBody>;

export const ReopenAlertBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000, description: 'why it is open again' }) },
  { additionalProperties: false },
);
export type ReopenAlertBody = Static<typeof ReopenAlertBody>;

export const CommentAlertBody = Type.Object(
  { text: Type.String({ minLength: 1, maxLength: 4000 }) },
  { additionalProperties: false },
);
export type CommentAlertBody = Static<typeof CommentAlertBody>;

export const AlertListQuery = Type.Object(
  {
    state: Type.Optional(Type.Union(ALERT_STATES.map((s) => Type.Literal(s)))),
    open: Type.Optional(Type.Boolean({ description: 'only new, claimed and assigned alerts' })),
    type: Type.Optional(Type.Union(ALERT_TYPES.map((t) => Type.Literal(t)))),
    severity: Type.Optional(Type.Union(ALERT_SEVERITIES.map((s) => Type.Literal(s)))),
    departmentId: Type.Optional(Type.String({ maxLength: 64 })),
    area: Type.Optional(Type.String({ maxLength: 100 })),
    deviceId: Type.Optional(Type.String({ pattern: DEVICE_ID_PATTERN, description: 'alerts of this device' })),
    /** Newest first, below this seq (paging). */
    beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);
export type AlertListQuery = Static<typeof AlertListQuery>;

export interface AlertComment {
  seq: number;
  alertId: string;
  at: string;
  author: { id: string; username: string } | null;
  text: string;
}

/** Departments the district hands alerts to (configurable). */
export interface Department {
  id: string;
  name: string;
  /** Whether alerts may still be assigned to it. */
  active: boolean;
}

export const DepartmentBody = Type.Object(
  {
    id: Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }),
    name: Type.String({ minLength: 1, maxLength: 100 }),
    active: Type.Boolean({ default: true }),
  },
  { additionalProperties: false },
);
export type DepartmentBody = Static<typeof DepartmentBody>;

export const ALERT_STATS_PERIODS = ['day', 'week', 'month'] as const;
export type AlertStatsPeriod = (typeof ALERT_STATS_PERIODS)[number];

export const AlertStatsQuery = Type.Object(
  {
    period: Type.Union(
      ALERT_STATS_PERIODS.map((p) => Type.Literal(p)),
      { default: 'day' },
    ),
    from: Type.Optional(withDescription(Timestamp, 'first period to include (default: 30 days ago)')),
    to: Type.Optional(withDescription(Timestamp, 'end, exclusive (default: now)')),
    departmentId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type AlertStatsQuery = Static<typeof AlertStatsQuery>;

export interface DurationSummary {
  /** Seconds; null where no alert got that far. */
  median: number | null;
  p90: number | null;
  count: number;
}

/** One department's figures for one period (a day, week or month starting at `periodStart`). */
export interface DepartmentPeriodStats {
  periodStart: string;
  /** null: alerts never handed to a department. */
  departmentId: string | null;
  total: number;
  byType: Partial<Record<AlertType, number>>;
  bySeverity: Partial<Record<AlertSeverity, number>>;
  timeToClaim: DurationSummary;
  timeToResolve: DurationSummary;
  overdue: number;
  falseAlarms: number;
}

export interface RulePeriodStats {
  periodStart: string;
  ruleId: string;
  total: number;
  falseAlarms: number;
  /** falseAlarms / closed (resolved + false alarm); null when none is closed. */
  falseAlarmRate: number | null;
}

export interface AlertStats {
  period: AlertStatsPeriod;
  from: string;
  to: string;
  timeZone: string;
  departments: DepartmentPeriodStats[];
  rules: RulePeriodStats[];
}

/** The longest range `GET /api/alerts/hourly` covers. */
export const ALERT_HOURLY_MAX_DAYS = 31;

export const AlertHourlyQuery = Type.Object(
  {
    from: withDescription(Timestamp, 'start (inclusive), ISO 8601'),
    to: withDescription(Timestamp, `end (exclusive); after from, at most ${ALERT_HOURLY_MAX_DAYS} days later`),
  },
  { additionalProperties: false },
);
export type AlertHourlyQuery = Static<typeof AlertHourlyQuery>;

/** Alerts of one type and severity raised in one hour. */
export interface AlertHourlyCount {
  /** Start of the hour (in the statistics time zone), ISO 8601. */
  hour: string;
  type: AlertType;
  severity: AlertSeverity;
  count: number;
}

/** `GET /api/alerts/hourly`: alerts raised (first seen) per hour by type and severity; empty hours left out. */
export interface AlertHourlySeries {
  from: string;
  to: string;
  timeZone: string;
  rows: AlertHourlyCount[];
}
