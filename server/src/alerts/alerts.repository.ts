import { Inject, Injectable } from '@nestjs/common';
import type {
  AlertChangeKind,
  AlertComment,
  AlertEvidence,
  AlertListQuery,
  AlertRecord,
  AlertSeverity,
  AlertState,
  AlertStatsPeriod,
  AlertTrailEntry,
  AlertType,
  Department,
  DepartmentBody,
} from '@citywatch/protocol';
import { DATABASE, type Database, type Queryable } from '../platform/database/database';
import type { Visibility } from './alert-rules';

/** A raise after repeats in one batch were merged: one row per dedupe key. */
export interface MergedRaise {
  type: AlertType;
  severity: AlertSeverity;
  title: string;
  dedupeKey: string;
  ruleId: string | null;
  deviceId: string | null;
  area: string | null;
  sourceEventIds: string[];
  evidence: AlertEvidence;
  count: number;
  occurredAt: string;
  seenAt: string;
}

export interface AlertRow {
  id: string;
  seq: string;
  type: AlertType;
  severity: AlertSeverity;
  state: AlertState;
  title: string;
  dedupe_key: string;
  rule_id: string | null;
  device_id: string | null;
  area: string | null;
  source_event_ids: string[];
  evidence: AlertEvidence;
  count: number;
  occurred_at: Date;
  first_seen_at: Date;
  last_seen_at: Date;
  claimed_by: string | null;
  claimed_by_name: string | null;
  claimed_at: Date | null;
  department_id: string | null;
  assigned_at: Date | null;
  deadline: Date | null;
  resolved_at: Date | null;
  resolution: string | null;
  false_alarm_at: Date | null;
  false_alarm_reason: string | null;
  reopened_at: Date | null;
  escalation_level: number;
  escalated_at: Date | null;
  comment_count: number;
  last_change: AlertChangeKind;
  updated_at: Date;
}

/** A change to record in the trail (the seq is the alert row's new seq). */
export interface ChangeRow {
  seq: number;
  alertId: string;
  kind: AlertChangeKind;
  at: string;
  actor: { id: string; username: string } | null;
  fromState: AlertState | null;
  toState: AlertState;
  details: Record<string, unknown>;
}

const ALERT_COLUMNS = `a.id::text AS id, a.seq::text AS seq, a.type, a.severity, a.state, a.title, a.dedupe_key, a.rule_id,
  a.device_id, a.area, a.source_event_ids, a.evidence, a.count, a.occurred_at, a.first_seen_at, a.last_seen_at,
  a.claimed_by, a.claimed_by_name, a.claimed_at, a.department_id, a.assigned_at, a.deadline, a.resolved_at, a.resolution,
  a.false_alarm_at, a.false_alarm_reason, a.reopened_at, a.escalation_level, a.escalated_at, a.comment_count,
  a.last_change, a.updated_at`;

/** Advisory lock every alert write takes, so `seq` values are committed in order across replicas. */
const ALERT_WRITE_LOCK = 727_020_001;
/** Source event ids kept on an alert (the most recent). */
const SOURCE_EVENTS_KEPT = 10;

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export function toAlertRecord(row: AlertRow, now: Date): AlertRecord {
  const closedAt = row.resolved_at ?? row.false_alarm_at;
  const open = row.state === 'new' || row.state === 'claimed' || row.state === 'assigned';
  const deadline = row.deadline ? new Date(row.deadline).getTime() : null;
  const overdue =
    deadline !== null &&
    (open ? now.getTime() > deadline : closedAt !== null && new Date(closedAt).getTime() > deadline);
  return {
    id: row.id,
    seq: Number(row.seq),
    type: row.type,
    severity: row.severity,
    state: row.state,
    title: row.title,
    dedupeKey: row.dedupe_key,
    ruleId: row.rule_id,
    deviceId: row.device_id,
    area: row.area,
    sourceEventIds: row.source_event_ids,
    evidence: row.evidence,
    count: row.count,
    occurredAt: iso(row.occurred_at)!,
    firstSeenAt: iso(row.first_seen_at)!,
    lastSeenAt: iso(row.last_seen_at)!,
    claimedBy: row.claimed_by,
    claimedByName: row.claimed_by_name,
    claimedAt: iso(row.claimed_at),
    departmentId: row.department_id,
    assignedAt: iso(row.assigned_at),
    deadline: iso(row.deadline),
    resolvedAt: iso(row.resolved_at),
    resolution: row.resolution,
    falseAlarmAt: iso(row.false_alarm_at),
    falseAlarmReason: row.false_alarm_reason,
    reopenedAt: iso(row.reopened_at),
    escalationLevel: row.escalation_level,
    escalatedAt: iso(row.escalated_at),
    overdue,
    commentCount: row.comment_count,
    lastChange: row.last_change,
    updatedAt: iso(row.updated_at)!,
  };
}

/** How a transition changes the row: SQL assignments with their parameters from $4 on. */
export interface RowUpdate {
  set: string[];
  params: unknown[];
}

/** The only place with alert SQL. Writes run inside `AlertWriter` transactions (see `lockForWrite`). */
@Injectable()
export class AlertsRepository {
  constructor(@Inject(DATABASE) readonly database: Database) {}

  /**
   * Serialises alert writes across replicas; call first in every write transaction. `relaxed`: this
   * transaction's commit does not wait for the WAL to reach the disk (for raises, see AlertsService).
   */
  async lockForWrite(tx: Queryable, relaxed = false): Promise<void> {
    await tx.query(
      `SELECT pg_advisory_xact_lock($1)${relaxed ? `, set_config('synchronous_commit', 'off', true)` : ''}`,
      [ALERT_WRITE_LOCK],
    );
  }

  /**
   * Inserts new alerts or updates the open one with the same dedupe key, and appends `raised` or `repeated`
   * to the trail, in one statement; returns the rows with `inserted`.
   */
  async upsertRaises(tx: Queryable, raises: readonly MergedRaise[]): Promise<(AlertRow & { inserted: boolean })[]> {
    const result = await tx.query<AlertRow & { inserted: boolean }>(
      `WITH u AS (
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::integer[], $11::timestamptz[], $12::timestamptz[])
           WITH ORDINALITY AS u(type, severity, title, dedupe_key, rule_id, device_id, area, ids, evidence, count,
                                occurred_at, seen_at, ord)
       ), upserted AS (
         INSERT INTO alerts AS a (seq, type, severity, raised_severity, state, title, dedupe_key, rule_id, device_id, area,
                                  source_event_ids, evidence, count, occurred_at, first_seen_at, last_seen_at,
                                  last_change, updated_at)
         SELECT nextval('alert_seq'), u.type, u.severity, u.severity, 'new', u.title, u.dedupe_key, u.rule_id, u.device_id,
                coalesce(u.area, d.area), ARRAY(SELECT jsonb_array_elements_text(u.ids::jsonb)), u.evidence::jsonb,
                u.count, u.occurred_at, u.seen_at, u.seen_at, 'raised', u.seen_at
         FROM u LEFT JOIN devices d ON d.id = u.device_id
         ORDER BY u.ord
         ON CONFLICT (dedupe_key) WHERE state IN ('new', 'claimed', 'assigned') DO UPDATE SET
           seq = EXCLUDED.seq,
           count = a.count + EXCLUDED.count,
           last_seen_at = greatest(a.last_seen_at, EXCLUDED.last_seen_at),
           source_event_ids = (a.source_event_ids || EXCLUDED.source_event_ids)[
             greatest(1, cardinality(a.source_event_ids) + cardinality(EXCLUDED.source_event_ids) - ${SOURCE_EVENTS_KEPT - 1}):],
           evidence = EXCLUDED.evidence,
           severity = CASE WHEN array_position(ARRAY['critical','major','minor','info'], EXCLUDED.severity)
                                < array_position(ARRAY['critical','major','minor','info'], a.severity)
                           THEN EXCLUDED.severity ELSE a.severity END,
           last_change = 'repeated',
           updated_at = EXCLUDED.updated_at
         RETURNING a.*, (xmax = 0) AS inserted
       ), trail AS (
         INSERT INTO alert_changes (seq, alert_id, kind, at, from_state, to_state, details)
         SELECT up.seq, up.id, CASE WHEN up.inserted THEN 'raised' ELSE 'repeated' END, u.seen_at,
                CASE WHEN up.inserted THEN NULL ELSE up.state END, up.state,
                CASE WHEN up.inserted THEN jsonb_build_object('eventIds', u.ids::jsonb)
                     ELSE jsonb_build_object('eventIds', u.ids::jsonb, 'count', up.count) END
         FROM upserted up JOIN u ON u.dedupe_key = up.dedupe_key
       )
       SELECT ${ALERT_COLUMNS}, a.inserted FROM upserted a ORDER BY a.seq`,
      [
        raises.map((r) => r.type),
        raises.map((r) => r.severity),
        raises.map((r) => r.title),
        raises.map((r) => r.dedupeKey),
        raises.map((r) => r.ruleId),
        raises.map((r) => r.deviceId),
        raises.map((r) => r.area),
        raises.map((r) => JSON.stringify(r.sourceEventIds)),
        raises.map((r) => JSON.stringify(r.evidence)),
        raises.map((r) => r.count),
        raises.map((r) => r.occurredAt),
        raises.map((r) => r.seenAt),
      ],
    );
    return result.rows;
  }

  /**
   * Open alerts that already count the event a raise was triggered by (the last of its source events): the
   * raise is a replay, such as the rules running again on a passage redelivered after a crash.
   */
  async openAlertsCounting(
    tx: Queryable,
    triggers: readonly { dedupeKey: string; eventId: string }[],
  ): Promise<(AlertRow & { trigger: string })[]> {
    if (triggers.length === 0) return [];
    const result = await tx.query<AlertRow & { trigger: string }>(
      `SELECT ${ALERT_COLUMNS}, r.event_id AS trigger
       FROM unnest($1::text[], $2::text[]) AS r(dedupe_key, event_id)
       JOIN alerts a ON a.dedupe_key = r.dedupe_key AND a.state IN ('new', 'claimed', 'assigned')
       WHERE r.event_id = ANY(a.source_event_ids)`,
      [triggers.map((t) => t.dedupeKey), triggers.map((t) => t.eventId)],
    );
    return result.rows;
  }

  async insertChanges(tx: Queryable, changes: readonly ChangeRow[]): Promise<void> {
    if (changes.length === 0) return;
    await tx.query(
      `INSERT INTO alert_changes (seq, alert_id, kind, at, actor_id, actor_name, from_state, to_state, details)
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
                            $7::text[], $8::text[], $9::jsonb[])`,
      [
        changes.map((c) => c.seq),
        changes.map((c) => c.alertId),
        changes.map((c) => c.kind),
        changes.map((c) => c.at),
        changes.map((c) => c.actor?.id ?? null),
        changes.map((c) => c.actor?.username ?? null),
        changes.map((c) => c.fromState),
        changes.map((c) => c.toState),
        changes.map((c) => JSON.stringify(c.details)),
      ],
    );
  }

  /** The alert, locked for this transaction. */
  async findForUpdate(tx: Queryable, id: string): Promise<AlertRow | undefined> {
    if (!/^[0-9]{1,18}$/.test(id)) return undefined;
    const result = await tx.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.id = $1 FOR UPDATE`, [id]);
    return result.rows[0];
  }

  /** Applies a transition: a new seq, the change kind and time, and the given assignments. */
  async update(tx: Queryable, id: string, kind: AlertChangeKind, at: string, update: RowUpdate): Promise<AlertRow> {
    const set = [`seq = nextval('alert_seq')`, `last_change = $2`, `updated_at = $3`, ...update.set];
    const result = await tx.query<AlertRow>(
      `UPDATE alerts a SET ${set.join(', ')} WHERE a.id = $1 RETURNING ${ALERT_COLUMNS}`,
      [id, kind, at, ...update.params],
    );
    return result.rows[0]!;
  }

  async departmentIsActive(tx: Queryable, id: string): Promise<boolean> {
    const result = await tx.query('SELECT 1 FROM departments WHERE id = $1 AND active', [id]);
    return result.rowCount > 0;
  }

  /** Alerts unclaimed past their severity's timeout (counted from the last escalation), locked. */
  async escalateUnclaimed(
    tx: Queryable,
    now: string,
    timeouts: Record<AlertSeverity, number>,
    maxLevel: number,
  ): Promise<(AlertRow & { from_severity: AlertSeverity })[]> {
    const result = await tx.query<AlertRow & { from_severity: AlertSeverity }>(
      `WITH due AS (
         SELECT a.id, a.severity AS from_severity FROM alerts a
         JOIN unnest($2::text[], $3::integer[]) AS t(severity, seconds) ON t.severity = a.severity
         WHERE a.state = 'new' AND a.escalation_level < $4
           AND coalesce(a.escalated_at, a.reopened_at, a.first_seen_at) + make_interval(secs => t.seconds) <= $1::timestamptz
         ORDER BY a.id FOR UPDATE OF a
       ), updated AS (
         UPDATE alerts a SET seq = nextval('alert_seq'), escalation_level = a.escalation_level + 1, escalated_at = $1,
           severity = CASE a.severity WHEN 'info' THEN 'minor' WHEN 'minor' THEN 'major' ELSE 'critical' END,
           last_change = 'escalated', updated_at = $1
         FROM due WHERE a.id = due.id
         RETURNING a.*, due.from_severity
       )
       SELECT ${ALERT_COLUMNS}, a.from_severity FROM updated a ORDER BY a.seq`,
      [now, Object.keys(timeouts), Object.values(timeouts), maxLevel],
    );
    return result.rows;
  }

  /** Alerts still open past their deadline, escalated once. */
  async escalateOverdue(tx: Queryable, now: string): Promise<(AlertRow & { from_severity: AlertSeverity })[]> {
    const result = await tx.query<AlertRow & { from_severity: AlertSeverity }>(
      `WITH due AS (
         SELECT a.id, a.severity AS from_severity FROM alerts a
         WHERE a.state IN ('claimed', 'assigned') AND a.overdue_escalated_at IS NULL AND a.deadline < $1::timestamptz
         ORDER BY a.id FOR UPDATE OF a
       ), updated AS (
         UPDATE alerts a SET seq = nextval('alert_seq'), escalation_level = a.escalation_level + 1, escalated_at = $1,
           overdue_escalated_at = $1,
           severity = CASE a.severity WHEN 'info' THEN 'minor' WHEN 'minor' THEN 'major' ELSE 'critical' END,
           last_change = 'escalated', updated_at = $1
         FROM due WHERE a.id = due.id
         RETURNING a.*, due.from_severity
       )
       SELECT ${ALERT_COLUMNS}, a.from_severity FROM updated a ORDER BY a.seq`,
      [now],
    );
    return result.rows;
  }

  async find(id: string): Promise<AlertRow | undefined> {
    if (!/^[0-9]{1,18}$/.test(id)) return undefined;
    const result = await this.database.query<AlertRow>(`SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.id = $1`, [id]);
    return result.rows[0];
  }

  async list(query: AlertListQuery, visibility: Visibility): Promise<AlertRow[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (!visibility.all) add('a.department_id = ?', visibility.departmentId);
    if (query.state) add('a.state = ?', query.state);
    if (query.open) conditions.push(`a.state IN ('new', 'claimed', 'assigned')`);
    if (query.type) add('a.type = ?', query.type);
    if (query.severity) add('a.severity = ?', query.severity);
    if (query.departmentId) add('a.department_id = ?', query.departmentId);
    if (query.area) add('a.area = ?', query.area);
    if (query.deviceId) add('a.device_id = ?', query.deviceId);
    if (query.beforeSeq) add('a.seq < ?', query.beforeSeq);
    params.push(query.limit);
    const result = await this.database.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts a ${conditions.length ? 'WHERE ' + conditions.join(' AND ') : ''}
       ORDER BY a.seq DESC LIMIT $${params.length}`,
      params,
    );
    return result.rows;
  }

  /** Alerts changed after `afterSeq`, each at its latest state, in seq order. */
  async changedSince(
    afterSeq: number,
    visibility: Visibility,
    areas: readonly string[] | undefined,
    limit: number,
  ): Promise<AlertRow[]> {
    const params: unknown[] = [afterSeq, limit];
    let filter = '';
    if (!visibility.all) {
      params.push(visibility.departmentId);
      filter += ` AND a.department_id = $${params.length}`;
    }
    if (areas && areas.length > 0) {
      params.push(areas);
      filter += ` AND a.area = ANY($${params.length}::text[])`;
    }
    const result = await this.database.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM alerts a WHERE a.seq > $1 ${filter} ORDER BY a.seq LIMIT $2`,
      params,
    );
    return result.rows;
  }

  async trail(alertId: string): Promise<AlertTrailEntry[]> {
    const result = await this.database.query<{
      seq: string;
      alert_id: string;
      kind: AlertChangeKind;
      at: Date;
      actor_id: string | null;
      actor_name: string | null;
      from_state: AlertState | null;
      to_state: AlertState;
      details: Record<string, unknown>;
    }>(
      `SELECT seq::text, alert_id::text, kind, at, actor_id, actor_name, from_state, to_state, details
       FROM alert_changes WHERE alert_id = $1 ORDER BY seq`,
      [alertId],
    );
    return result.rows.map((row) => ({
      seq: Number(row.seq),
      alertId: row.alert_id,
      kind: row.kind,
      at: iso(row.at)!,
      actor: row.actor_id ? { id: row.actor_id, username: row.actor_name ?? '' } : null,
      fromState: row.from_state,
      toState: row.to_state,
      details: row.details,
    }));
  }

  async comments(alertId: string): Promise<AlertComment[]> {
    return (await this.trail(alertId))
      .filter((entry) => entry.kind === 'commented')
      .map((entry) => ({
        seq: entry.seq,
        alertId: entry.alertId,
        at: entry.at,
        author: entry.actor,
        text: String(entry.details.text ?? ''),
      }));
  }

  async listDepartments(): Promise<Department[]> {
    const result = await this.database.query<Department>('SELECT id, name, active FROM departments ORDER BY id');
    return result.rows;
  }

  async upsertDepartment(body: DepartmentBody, tx: Queryable = this.database): Promise<Department> {
    const result = await tx.query<Department>(
      `INSERT INTO departments (id, name, active) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, active = EXCLUDED.active, updated_at = now()
       RETURNING id, name, active`,
      [body.id, body.name, body.active],
    );
    return result.rows[0]!;
  }

  /** The people who work for a department (users of the auth module with that department). */
  async departmentMembers(id: string): Promise<{ id: string; username: string; displayName: string; role: string }[]> {
    const result = await this.database.query<{ id: string; username: string; display_name: string; role: string }>(
      `SELECT id, username, display_name, role FROM users WHERE department_id = $1 AND NOT disabled ORDER BY username`,
      [id],
    );
    return result.rows.map((row) => ({
      id: row.id,
      username: row.username,
      displayName: row.display_name,
      role: row.role,
    }));
  }

  /** Per period and department: totals, claim and resolve times, overdue and false alarms; by type and severity. */
  async departmentStats(params: StatsParams): Promise<DepartmentStatsRow[]> {
    const result = await this.database.query<DepartmentStatsRow>(
      `WITH a AS (
         SELECT (date_trunc($1, a.first_seen_at AT TIME ZONE $2) AT TIME ZONE $2) AS period_start,
                a.department_id, a.type, a.severity, a.state,
                extract(epoch FROM a.first_claimed_at - a.first_seen_at)::float8 AS claim_s,
                CASE WHEN a.state = 'resolved' THEN extract(epoch FROM a.resolved_at - a.first_seen_at)::float8 END
                  AS resolve_s,
                (a.deadline IS NOT NULL AND CASE a.state
                   WHEN 'resolved' THEN a.resolved_at WHEN 'false_alarm' THEN a.false_alarm_at ELSE $5::timestamptz
                 END > a.deadline) AS overdue
         FROM alerts a
         WHERE a.first_seen_at >= $3::timestamptz AND a.first_seen_at < $4::timestamptz
           AND ($6::text IS NULL OR a.department_id = $6)
       )
       SELECT period_start, department_id, type, severity, count(*)::int AS total,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY claim_s) AS claim_median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY claim_s) AS claim_p90,
              count(claim_s)::int AS claim_count,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_s) AS resolve_median,
              percentile_cont(0.9) WITHIN GROUP (ORDER BY resolve_s) AS resolve_p90,
              count(resolve_s)::int AS resolve_count,
              count(*) FILTER (WHERE overdue)::int AS overdue,
              count(*) FILTER (WHERE state = 'false_alarm')::int AS false_alarms,
              GROUPING(type)::int AS no_type, GROUPING(severity)::int AS no_severity
       FROM a
       GROUP BY GROUPING SETS ((period_start, department_id), (period_start, department_id, type),
                               (period_start, department_id, severity))
       ORDER BY period_start, department_id NULLS FIRST`,
      [params.period, params.timeZone, params.from, params.to, params.now, params.departmentId],
    );
    return result.rows;
  }

  /**
   * Alerts first seen in [from, to) per hour of the time zone, type and severity; `departmentId` null: all
   * departments (and none), otherwise that department's alone.
   */
  async hourlyCounts(params: HourlyParams): Promise<HourlyRow[]> {
    const result = await this.database.query<HourlyRow>(
      `SELECT (date_trunc('hour', a.first_seen_at AT TIME ZONE $1) AT TIME ZONE $1) AS hour,
              a.type, a.severity, count(*)::int AS count
       FROM alerts a
       WHERE a.first_seen_at >= $2::timestamptz AND a.first_seen_at < $3::timestamptz
         AND ($4::boolean OR a.department_id = $5)
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [params.timeZone, params.from, params.to, params.departmentId === undefined, params.departmentId ?? null],
    );
    return result.rows;
  }

  /** Per period and rule: alerts, false alarms, closed alerts. */
  async ruleStats(
    params: StatsParams,
  ): Promise<{ period_start: Date; rule_id: string; total: number; false_alarms: number; closed: number }[]> {
    const result = await this.database.query<{
      period_start: Date;
      rule_id: string;
      total: number;
      false_alarms: number;
      closed: number;
    }>(
      `SELECT (date_trunc($1, a.first_seen_at AT TIME ZONE $2) AT TIME ZONE $2) AS period_start,
              coalesce(a.rule_id, a.type) AS rule_id, count(*)::int AS total,
              count(*) FILTER (WHERE a.state = 'false_alarm')::int AS false_alarms,
              count(*) FILTER (WHERE a.state IN ('resolved', 'false_alarm'))::int AS closed
       FROM alerts a
       WHERE a.first_seen_at >= $3::timestamptz AND a.first_seen_at < $4::timestamptz
         AND ($5::text IS NULL OR a.department_id = $5)
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [params.period, params.timeZone, params.from, params.to, params.departmentId],
    );
    return result.rows;
  }
}

export interface StatsParams {
  period: AlertStatsPeriod;
  timeZone: string;
  from: string;
  to: string;
  now: string;
  departmentId: string | null;
}

export interface HourlyParams {
  timeZone: string;
  from: string;
  to: string;
  /** Only this department's alerts (null: none); undefined: every alert. */
  departmentId?: string | null;
}

export interface HourlyRow {
  hour: Date;
  type: AlertType;
  severity: AlertSeverity;
  count: number;
}

export interface DepartmentStatsRow {
  period_start: Date;
  department_id: string | null;
  type: AlertType | null;
  severity: AlertSeverity | null;
  total: number;
  claim_median: number | null;
  claim_p90: number | null;
  claim_count: number;
  resolve_median: number | null;
  resolve_p90: number | null;
  resolve_count: number;
  overdue: number;
  false_alarms: number;
  no_type: number;
  no_severity: number;
}
