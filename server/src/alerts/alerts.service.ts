import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import {
  ALERT_HOURLY_MAX_DAYS,
  ALERT_SEVERITIES,
  ALERT_TYPES,
  type AlertAction,
  type AlertChange,
  type AlertChangeKind,
  type AlertComment,
  type AlertHourlyQuery,
  type AlertHourlySeries,
  type AlertListQuery,
  type AlertRecord,
  type AlertSeverity,
  type AlertStats,
  type AlertStatsQuery,
  type AlertTrailEntry,
  type AssignAlertBody,
  type Department,
  type DepartmentBody,
  type DepartmentPeriodStats,
  type RaiseAlertInput,
} from '@citywatch/protocol';
import type { AlertRaiser } from '../common/alert-raiser';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { HubEvents } from '../common/hub-events';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { isConnectionError, type Queryable } from '../platform/database/database';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { AlertClock } from './alert-clock';
import {
  AlertRefusalError,
  canSee,
  checkAction,
  moreSevere,
  parseClaimTimeouts,
  refuse,
  visibilityOf,
  type Actor,
} from './alert-rules';
import { AlertWriter } from './alert-writer';
import {
  AlertsRepository,
  toAlertRecord,
  type AlertRow,
  type ChangeRow,
  type MergedRaise,
  type RowUpdate,
} from './alerts.repository';

const MAX_BATCH = 1_000;
const SYNC_LIMIT = 2_000;
const SOURCE_EVENTS_PER_RAISE = 10;

export interface SyncResult {
  alerts: AlertRecord[];
  upToSeq: number;
  more: boolean;
}

/** What a person's operation needs besides its body: who and from where. */
export interface OperationContext {
  actor: Actor | undefined;
  ip?: string;
}

/**
 * The alert lifecycle: raise (with dedupe), claim, assign, resolve, false alarm, reopen, comment; escalation
 * of alerts left unclaimed or past their deadline; statistics. Every change is numbered (`seq`), kept in
 * the trail, audited and announced as `alert.changed`, in commit order.
 */
@Injectable()
export class AlertsService implements AlertRaiser, OnModuleInit, OnModuleDestroy {
  private readonly writer: AlertWriter<RaiseAlertInput, AlertRecord>;
  private readonly claimTimeouts: Record<AlertSeverity, number>;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly repository: AlertsRepository,
    private readonly events: HubEvents,
    readonly clock: AlertClock,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(AUDIT_LOG) private readonly audit?: AuditLog,
  ) {
    this.claimTimeouts = parseClaimTimeouts(config.ALERT_CLAIM_TIMEOUTS);
    this.writer = new AlertWriter<RaiseAlertInput, AlertRecord>({
      maxBatch: MAX_BATCH,
      // Raises are derived from events already committed durably, so their commit does not wait for the WAL
      // flush (about 10 ms on a plain disk); a database crash may lose the last fraction of a second of them.
      // A person's operation (claim and the rest) and escalations commit synchronously.
      transaction: (work, kind) =>
        this.repository.database.transaction(async (tx) => {
          await this.repository.lockForWrite(tx, kind === 'raises');
          return work(tx);
        }),
      writeRaises: (tx, items) => this.writeRaises(tx, items),
      onError: (error, items) =>
        this.logger.warn({ err: error, items, retryable: isConnectionError(error) }, 'alert raise batch failed'),
    });
  }

  onModuleInit(): void {
    const every = this.config.ALERT_ESCALATION_SWEEP_S * 1000;
    this.sweeper = setInterval(() => {
      this.escalate().catch((error: unknown) => this.logger.warn({ err: error }, 'alert escalation sweep failed'));
    }, every);
    this.sweeper.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.writer.close();
  }

  /** AlertRaiser: a new alert, or the open one with the same dedupe key updated (count, last seen). */
  raise(input: RaiseAlertInput): Promise<AlertRecord> {
    const problem = invalidRaise(input);
    if (problem) return Promise.reject(new Error(`alert not raised: ${problem}`));
    return this.writer.raise(input);
  }

  claim(alertId: string, context: OperationContext): Promise<AlertRecord> {
    return this.transition(alertId, 'claim', context, 'claimed', (_row, actor) => ({
      update: {
        set: [
          `state = 'claimed'`,
          'claimed_by = $4',
          'claimed_by_name = $5',
          'claimed_at = $3',
          'first_claimed_at = coalesce(first_claimed_at, $3)',
        ],
        params: [actor.id, actor.displayName || actor.username],
      },
      details: {},
    }));
  }

  assign(alertId: string, body: AssignAlertBody, context: OperationContext): Promise<AlertRecord> {
    return this.transition(alertId, 'assign', context, 'assigned', async (_row, actor, tx, now) => {
      if (!(await this.repository.departmentIsActive(tx, body.departmentId))) {
        refuse({ status: 400, code: 'invalid', message: `no active department ${body.departmentId}` });
      }
      if (Date.parse(body.deadline) <= now.getTime()) {
        refuse({ status: 400, code: 'invalid', message: 'the deadline must be in the future' });
      }
      return {
        update: {
          set: [
            `state = 'assigned'`,
            'department_id = $4',
            'assigned_by = $5',
            'assigned_at = $3',
            'deadline = $6',
            'overdue_escalated_at = NULL',
          ],
          params: [body.departmentId, actor.id, body.deadline],
        },
        details: { departmentId: body.departmentId, deadline: new Date(body.deadline).toISOString(), note: body.note },
      };
    });
  }

  resolve(alertId: string, body: { resolution: string }, context: OperationContext): Promise<AlertRecord> {
    return this.transition(alertId, 'resolve', context, 'resolved', () => ({
      update: { set: [`state = 'resolved'`, 'resolved_at = $3', 'resolution = $4'], params: [body.resolution] },
      details: { resolution: body.resolution },
    }));
  }

  falseAlarm(alertId: string, body: { reason: string }, context: OperationContext): Promise<AlertRecord> {
    return this.transition(alertId, 'false_alarm', context, 'false_alarm', () => ({
      update: {
        set: [`state = 'false_alarm'`, 'false_alarm_at = $3', 'false_alarm_reason = $4'],
        params: [body.reason],
      },
      details: { reason: body.reason },
    }));
  }

  reopen(alertId: string, body: { reason: string }, context: OperationContext): Promise<AlertRecord> {
    return this.transition(alertId, 'reopen', context, 'reopened', () => ({
      update: {
        set: [
          `state = 'new'`,
          'reopened_at = $3',
          'claimed_by = NULL',
          'claimed_by_name = NULL',
          'claimed_at = NULL',
          'department_id = NULL',
          'deadline = NULL',
          'overdue_escalated_at = NULL',
        ],
        params: [],
      },
      details: { reason: body.reason },
    }));
  }

  comment(alertId: string, body: { text: string }, context: OperationContext): Promise<AlertRecord> {
    return this.transition(alertId, 'comment', context, 'commented', () => ({
      update: { set: ['comment_count = comment_count + 1'], params: [] },
      details: { text: body.text },
    }));
  }

  /**
   * Escalates alerts left unclaimed past their severity's timeout (again after each further timeout, up to
   * ALERT_MAX_ESCALATIONS) and alerts open past their deadline (once): severity one step up, `escalated` announced.
   */
  async escalate(now: Date = this.clock.now()): Promise<AlertRecord[]> {
    const at = now.toISOString();
    const changes = await this.writer.run<AlertChange[]>({
      work: async (tx) => {
        const unclaimed = await this.repository.escalateUnclaimed(
          tx,
          at,
          this.claimTimeouts,
          this.config.ALERT_MAX_ESCALATIONS,
        );
        const overdue = await this.repository.escalateOverdue(tx, at);
        const rows = [
          ...unclaimed.map((row) => ({ row, reason: 'unclaimed' })),
          ...overdue.map((row) => ({ row, reason: 'overdue' })),
        ];
        const changeRows: ChangeRow[] = rows.map(({ row, reason }) => ({
          seq: Number(row.seq),
          alertId: row.id,
          kind: 'escalated',
          at,
          actor: null,
          fromState: row.state,
          toState: row.state,
          details: { reason, fromSeverity: row.from_severity, toSeverity: row.severity, level: row.escalation_level },
        }));
        await this.repository.insertChanges(tx, changeRows);
        // Audited in the same transaction: an escalation whose record cannot be written does not happen
        // (the next sweep tries again).
        for (const change of changeRows) {
          await this.record(null, 'alerts.escalate', change.alertId, change.details, '', 'success', tx);
        }
        return changeRows.map((change, i) => this.toChange(change, rows[i]!.row, rows[i]!.row.department_id, [], now));
      },
      committed: (result) => this.announce(result),
    });
    for (const change of changes) {
      this.logger.info(
        { alertId: change.alert.id, deviceId: change.alert.deviceId, ...change.details },
        'alert escalated',
      );
    }
    return changes.map((change) => change.alert);
  }

  async get(alertId: string, actor: Actor | undefined): Promise<AlertRecord> {
    const row = await this.repository.find(alertId);
    if (!row || !canSee(actor, { departmentId: row.department_id })) {
      refuse({ status: 404, code: 'not_found', message: `alert ${alertId} not found` });
    }
    return toAlertRecord(row!, this.clock.now());
  }

  async list(query: AlertListQuery, actor: Actor | undefined): Promise<AlertRecord[]> {
    const now = this.clock.now();
    return (await this.repository.list(query, visibilityOf(actor))).map((row) => toAlertRecord(row, now));
  }

  async trail(alertId: string, actor: Actor | undefined): Promise<AlertTrailEntry[]> {
    await this.get(alertId, actor);
    return this.repository.trail(alertId);
  }

  async comments(alertId: string, actor: Actor | undefined): Promise<AlertComment[]> {
    await this.get(alertId, actor);
    return this.repository.comments(alertId);
  }

  /** Alerts changed since `lastSeq` that the actor may see, each once at its latest state. */
  async changedSince(actor: Actor | undefined, lastSeq: number, areas?: readonly string[]): Promise<SyncResult> {
    const now = this.clock.now();
    const rows = await this.repository.changedSince(lastSeq, visibilityOf(actor), areas, SYNC_LIMIT);
    const alerts = rows.map((row) => toAlertRecord(row, now));
    return {
      alerts,
      upToSeq: alerts.length > 0 ? alerts[alerts.length - 1]!.seq : lastSeq,
      more: rows.length === SYNC_LIMIT,
    };
  }

  /** Resolves when the alert write running now, if any, is committed and announced. */
  writesSettled(): Promise<void> {
    return this.writer.barrier();
  }

  listDepartments(): Promise<Department[]> {
    return this.repository.listDepartments();
  }

  saveDepartment(body: DepartmentBody, context: OperationContext): Promise<Department> {
    return this.repository.database.transaction(async (tx) => {
      const department = await this.repository.upsertDepartment(body, tx);
      const target = `department:${body.id}`;
      await this.record(context.actor, 'alerts.department.save', target, { ...body }, context.ip ?? '', 'success', tx);
      return department;
    });
  }

  departmentMembers(id: string): ReturnType<AlertsRepository['departmentMembers']> {
    return this.repository.departmentMembers(id);
  }

  /** Counts, handling times, overdue and false alarms per department and period; false-alarm rates per rule. */
  async stats(query: AlertStatsQuery, actor: Actor | undefined): Promise<AlertStats> {
    const now = this.clock.now();
    const visibility = visibilityOf(actor);
    const departmentId = visibility.all ? (query.departmentId ?? null) : visibility.departmentId;
    const params = {
      period: query.period,
      timeZone: this.config.ALERT_STATS_TIME_ZONE,
      from: query.from ?? new Date(now.getTime() - 30 * 86_400_000).toISOString(),
      to: query.to ?? now.toISOString(),
      now: now.toISOString(),
      departmentId,
    };
    const [rows, rules] = await Promise.all([
      this.repository.departmentStats(params),
      this.repository.ruleStats(params),
    ]);
    const byKey = new Map<string, DepartmentPeriodStats>();
    const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);
    for (const row of rows.filter((r) => r.no_type === 1 && r.no_severity === 1)) {
      const periodStart = new Date(row.period_start).toISOString();
      byKey.set(`${periodStart}|${row.department_id}`, {
        periodStart,
        departmentId: row.department_id,
        total: row.total,
        byType: {},
        bySeverity: {},
        timeToClaim: { median: round(row.claim_median), p90: round(row.claim_p90), count: row.claim_count },
        timeToResolve: { median: round(row.resolve_median), p90: round(row.resolve_p90), count: row.resolve_count },
        overdue: row.overdue,
        falseAlarms: row.false_alarms,
      });
    }
    for (const row of rows) {
      const entry = byKey.get(`${new Date(row.period_start).toISOString()}|${row.department_id}`);
      if (!entry) continue;
      if (row.no_type === 0 && row.type) entry.byType[row.type] = row.total;
      if (row.no_severity === 0 && row.severity) entry.bySeverity[row.severity] = row.total;
    }
    return {
      period: query.period,
      from: params.from,
      to: params.to,
      timeZone: params.timeZone,
      departments: [...byKey.values()],
      rules: rules.map((row) => ({
        periodStart: new Date(row.period_start).toISOString(),
        ruleId: row.rule_id,
        total: row.total,
        falseAlarms: row.false_alarms,
        falseAlarmRate: row.closed === 0 ? null : Math.round((row.false_alarms / row.closed) * 1000) / 1000,
      })),
    };
  }

  /** Alerts first seen per hour (in ALERT_STATS_TIME_ZONE) by type and severity; a department sees its own. */
  async hourly(query: AlertHourlyQuery, actor: Actor | undefined): Promise<AlertHourlySeries> {
    const from = Date.parse(query.from);
    const to = Date.parse(query.to);
    const invalid = (message: string) => refuse({ status: 400, code: 'invalid', message });
    if (Number.isNaN(from)) invalid(`from: "${query.from}" is not a real date and time`);
    if (Number.isNaN(to)) invalid(`to: "${query.to}" is not a real date and time`);
    if (to <= from) invalid('to must be after from');
    if (to - from > ALERT_HOURLY_MAX_DAYS * 86_400_000) {
      invalid(`the hourly series covers at most ${ALERT_HOURLY_MAX_DAYS} days; narrow from/to`);
    }
    const visibility = visibilityOf(actor);
    const params = {
      timeZone: this.config.ALERT_STATS_TIME_ZONE,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      departmentId: visibility.all ? undefined : visibility.departmentId,
    };
    const rows = await this.repository.hourlyCounts(params);
    return {
      from: params.from,
      to: params.to,
      timeZone: params.timeZone,
      rows: rows.map((row) => ({
        hour: new Date(row.hour).toISOString(),
        type: row.type,
        severity: row.severity,
        count: row.count,
      })),
    };
  }

  private async writeRaises(
    tx: Queryable,
    items: RaiseAlertInput[],
  ): Promise<{ results: AlertRecord[]; committed(): void }> {
    const now = this.clock.now();
    const seenAt = now.toISOString();
    // A raise whose triggering event the open alert already counts is a replay (the event came again after
    // a crash, and its rules ran again): it changes nothing. So does a second raise of it in this batch.
    const triggerKey = (dedupeKey: string, eventId: string) => `${dedupeKey}\u0000${eventId}`;
    const triggers = items.map((input) => {
      const eventId = input.sourceEventIds[input.sourceEventIds.length - 1];
      return eventId === undefined ? undefined : { dedupeKey: input.dedupeKey, eventId };
    });
    const keys = triggers.map((t) => t && triggerKey(t.dedupeKey, t.eventId));
    const counted = await this.repository.openAlertsCounting(
      tx,
      triggers.filter((t) => t !== undefined),
    );
    const replayed = new Map(counted.map((row) => [triggerKey(row.dedupe_key, row.trigger), row]));
    const taken = new Set<string>();
    const merged = new Map<string, MergedRaise & { eventIds: string[] }>();
    for (const [i, input] of items.entries()) {
      const key = keys[i];
      if (key !== undefined && (replayed.has(key) || taken.has(key))) continue;
      if (key !== undefined) taken.add(key);
      const ids = input.sourceEventIds.slice(-SOURCE_EVENTS_PER_RAISE);
      const existing = merged.get(input.dedupeKey);
      if (existing) {
        existing.count += 1;
        existing.severity = moreSevere(existing.severity, input.severity);
        existing.sourceEventIds = [...existing.sourceEventIds, ...ids].slice(-SOURCE_EVENTS_PER_RAISE);
        existing.eventIds.push(...ids);
        existing.evidence = input.evidence;
        continue;
      }
      merged.set(input.dedupeKey, {
        type: input.type,
        severity: input.severity,
        title: input.title,
        dedupeKey: input.dedupeKey,
        ruleId: input.ruleId ?? null,
        deviceId: input.deviceId ?? null,
        area: input.area ?? null,
        sourceEventIds: ids,
        evidence: input.evidence,
        count: 1,
        occurredAt: input.occurredAt,
        seenAt,
        eventIds: [...ids],
      });
    }
    const raises = [...merged.values()];
    const rows = raises.length > 0 ? await this.repository.upsertRaises(tx, raises) : [];
    const byKey = new Map(rows.map((row) => [row.dedupe_key, row]));
    const changes: AlertChange[] = [];
    for (const row of rows) {
      const raise = merged.get(row.dedupe_key)!;
      // The trail (written with the rows) keeps the event ids in its details; the change carries them in eventIds.
      const change: ChangeRow = {
        seq: Number(row.seq),
        alertId: row.id,
        kind: row.inserted ? 'raised' : 'repeated',
        at: seenAt,
        actor: null,
        fromState: row.inserted ? null : row.state,
        toState: row.state,
        details: row.inserted ? {} : { count: row.count },
      };
      changes.push(this.toChange(change, row, row.department_id, raise.eventIds, now));
    }
    const records = new Map(changes.map((change) => [change.alert.dedupeKey, change.alert]));
    return {
      results: items.map((input, i) => {
        const again = replayed.get(keys[i] ?? '');
        if (again) return toAlertRecord(again, now);
        return records.get(input.dedupeKey) ?? toAlertRecord(byKey.get(input.dedupeKey)!, now);
      }),
      committed: () => this.announce(changes),
    };
  }

  /** Runs one person's operation in the writer; refusals are audited as failures and thrown. */
  private async transition(
    alertId: string,
    action: AlertAction,
    context: OperationContext,
    kind: AlertChangeKind,
    plan: (
      row: AlertRow,
      actor: Actor,
      tx: Queryable,
      now: Date,
    ) =>
      | { update: RowUpdate; details: Record<string, unknown> }
      | Promise<{ update: RowUpdate; details: Record<string, unknown> }>,
  ): Promise<AlertRecord> {
    const { actor, ip = '' } = context;
    const auditAction = `alerts.${action}`;
    try {
      const change = await this.writer.run<AlertChange>({
        work: async (tx) => {
          const now = this.clock.now();
          const row = await this.repository.findForUpdate(tx, alertId);
          if (!row) refuse({ status: 404, code: 'not_found', message: `alert ${alertId} not found` });
          const refusal = checkAction(
            {
              id: row!.id,
              state: row!.state,
              claimedBy: row!.claimed_by,
              claimedByName: row!.claimed_by_name,
              claimedAt: row!.claimed_at ? new Date(row!.claimed_at).toISOString() : null,
              departmentId: row!.department_id,
            },
            action,
            actor,
          );
          if (refusal) refuse(refusal);
          const { update, details } = await plan(row!, actor!, tx, now);
          const at = now.toISOString();
          const updated = await this.repository.update(tx, row!.id, kind, at, update);
          const changeRow: ChangeRow = {
            seq: Number(updated.seq),
            alertId: row!.id,
            kind,
            at,
            actor: { id: actor!.id, username: actor!.username },
            fromState: row!.state,
            toState: updated.state,
            details,
          };
          await this.repository.insertChanges(tx, [changeRow]);
          // The audit record commits with the change, or neither does (the action fails).
          await this.record(actor, auditAction, alertId, { ...details, state: updated.state }, ip, 'success', tx);
          return this.toChange(changeRow, updated, row!.department_id, [], now);
        },
        committed: (result) => this.announce([result]),
      });
      this.logger.info(
        { alertId, deviceId: change.alert.deviceId, action, actor: actor?.username, state: change.alert.state },
        'alert changed',
      );
      return change.alert;
    } catch (error) {
      const refusal =
        error instanceof AlertRefusalError
          ? error
          : (error as { code?: string }).code === '23505'
            ? new AlertRefusalError({
                status: 409,
                code: 'illegal_transition',
                message: 'another alert with the same dedupe key is open; work that one instead',
              })
            : undefined;
      if (!refusal) throw error;
      // A refusal changed nothing; its record is written on its own, and if that fails, so does the answer.
      if (refusal.refusal.status !== 401) {
        await this.record(actor, auditAction, alertId, { refused: refusal.refusal.code }, ip, 'failure');
      }
      throw refusal;
    }
  }

  private toChange(
    change: ChangeRow,
    row: AlertRow,
    previousDepartmentId: string | null,
    eventIds: string[],
    now: Date,
  ): AlertChange {
    return {
      seq: change.seq,
      kind: change.kind,
      at: change.at,
      actor: change.actor,
      previousDepartmentId,
      eventIds,
      details: change.details,
      alert: toAlertRecord(row, now),
    };
  }

  private announce(changes: readonly AlertChange[]): void {
    for (const change of changes) this.events.emit('alert.changed', change);
  }

  /** Writes an audit record (in `tx` when given); a record that cannot be written fails the action. */
  private async record(
    actor: Actor | null | undefined,
    action: string,
    alertId: string,
    details: Record<string, unknown>,
    ip: string,
    outcome: 'success' | 'failure' = 'success',
    tx?: Queryable,
  ): Promise<void> {
    if (!this.audit) return;
    await this.audit.record(
      {
        actor: actor ? { id: actor.id, username: actor.username } : null,
        action,
        target: alertId.startsWith('department:') ? alertId : `alert:${alertId}`,
        details,
        ip,
        outcome,
      },
      tx,
    );
  }
}

function invalidRaise(input: RaiseAlertInput): string | undefined {
  if (!(ALERT_TYPES as readonly string[]).includes(input.type)) return `unknown type ${input.type}`;
  if (!(ALERT_SEVERITIES as readonly string[]).includes(input.severity)) return `unknown severity ${input.severity}`;
  if (!input.dedupeKey || input.dedupeKey.length > 200) return 'dedupeKey must be 1-200 characters';
  if (!input.title) return 'title is empty';
  if (Number.isNaN(Date.parse(input.occurredAt))) return `occurredAt ${input.occurredAt} is not a time`;
  return undefined;
}
