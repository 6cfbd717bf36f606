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

/** Evidence shown side by side in the console; every field optional, by alert type. */
export interface AlertEvidence {
  /** Images by URL on the hub (`/api/...`), each with a label such as "capture" or "enrolled". */
  images?: { label: string; url: string }[];
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
}
