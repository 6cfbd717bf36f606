import { HttpException } from '@nestjs/common';
import {
  ALERT_SEVERITIES,
  type AlertAction,
  type AlertRefusal,
  type AlertSeverity,
  type AlertState,
  type Role,
  type SessionUser,
} from '@citywatch/protocol';

/** The part of an alert the rules look at. */
export interface AlertFacts {
  id: string;
  state: AlertState;
  claimedBy: string | null;
  claimedByName: string | null;
  claimedAt: string | null;
  departmentId: string | null;
}

export type Actor = Pick<SessionUser, 'id' | 'username' | 'displayName' | 'role' | 'departmentId'>;

/** Roles that see every alert (operators and admins work them, the others read). */
const SEES_ALL: readonly Role[] = ['admin', 'operator', 'viewer'];
/** Roles that work only what is assigned to their department. */
const DEPARTMENT_ROLES: readonly Role[] = ['department_member', 'traffic_police'];

/** The states each action may start from, and where it leads. */
export const TRANSITIONS: Record<AlertAction, { from: readonly AlertState[]; to: AlertState | 'same' }> = {
  claim: { from: ['new'], to: 'claimed' },
  assign: { from: ['claimed', 'assigned'], to: 'assigned' },
  resolve: { from: ['assigned'], to: 'resolved' },
  false_alarm: { from: ['claimed', 'assigned'], to: 'false_alarm' },
  reopen: { from: ['resolved', 'false_alarm'], to: 'new' },
  comment: { from: ['new', 'claimed', 'assigned', 'resolved', 'false_alarm'], to: 'same' },
};

/** A refused operation; over REST its status and body are the refusal itself. */
export class AlertRefusalError extends HttpException {
  constructor(readonly refusal: AlertRefusal) {
    super(refusal, refusal.status);
    this.name = 'AlertRefusalError';
  }
}

export const refuse = (refusal: AlertRefusal): never => {
  throw new AlertRefusalError(refusal);
};

/** What an actor may see: every alert, or only those assigned to one department. */
export type Visibility = { all: true } | { all: false; departmentId: string | null };

export function visibilityOf(actor: Actor | undefined): Visibility {
  // No user on the request means no authentication is installed in front of the hub: read-only, everything.
  if (!actor || SEES_ALL.includes(actor.role)) return { all: true };
  if (actor.role === 'traffic_police' && !actor.departmentId) return { all: true };
  return { all: false, departmentId: actor.departmentId };
}

export function canSee(actor: Actor | undefined, alert: Pick<AlertFacts, 'departmentId'>): boolean {
  const visibility = visibilityOf(actor);
  return visibility.all || (visibility.departmentId !== null && visibility.departmentId === alert.departmentId);
}

/**
 * Decides whether `actor` may perform `action` on `alert` in its current state; returns the refusal if not.
 * Operators and admins triage (claim, assign, reopen); the operator holding the claim hands it on or calls it a
 * false alarm; a department works (resolves, comments on, calls a false alarm) what is assigned to it.
 */
export function checkAction(
  alert: AlertFacts,
  action: AlertAction,
  actor: Actor | undefined,
): AlertRefusal | undefined {
  if (!actor) return { status: 401, code: 'unauthenticated', message: 'sign in to work alerts' };
  if (!canSee(actor, alert)) return { status: 404, code: 'not_found', message: `alert ${alert.id} not found` };
  const role = actor.role;
  const inDepartment =
    DEPARTMENT_ROLES.includes(role) && actor.departmentId !== null && actor.departmentId === alert.departmentId;
  const triage = role === 'admin' || role === 'operator';
  const allowed: Record<AlertAction, boolean> = {
    claim: triage,
    assign: triage,
    resolve: triage || inDepartment,
    false_alarm: triage || inDepartment,
    reopen: triage,
    comment: triage || inDepartment,
  };
  if (!allowed[action]) {
    return { status: 403, code: 'forbidden', message: `a ${role} may not ${action.replace('_', ' ')} this alert` };
  }
  const transition = TRANSITIONS[action];
  if (action === 'claim' && alert.state === 'claimed') {
    return {
      status: 409,
      code: 'already_claimed',
      message: `alert ${alert.id} is already claimed by ${alert.claimedByName ?? alert.claimedBy}`,
      heldBy: { id: alert.claimedBy ?? '', name: alert.claimedByName ?? '', since: alert.claimedAt ?? '' },
      state: alert.state,
    };
  }
  if (!transition.from.includes(alert.state)) {
    return {
      status: 409,
      code: 'illegal_transition',
      message: `cannot ${action.replace('_', ' ')} an alert that is ${alert.state.replace('_', ' ')}`,
      state: alert.state,
    };
  }
  // Whoever claimed it on the spot carries it on; another operator must not take it over (an admin may).
  const holdsClaim = alert.claimedBy === actor.id;
  if (role === 'operator' && alert.state === 'claimed' && !holdsClaim && action !== 'comment') {
    return {
      status: 409,
      code: 'already_claimed',
      message: `alert ${alert.id} is held by ${alert.claimedByName ?? alert.claimedBy}`,
      heldBy: { id: alert.claimedBy ?? '', name: alert.claimedByName ?? '', since: alert.claimedAt ?? '' },
      state: alert.state,
    };
  }
  return undefined;
}

/** One step more severe (critical stays critical). */
export function raiseSeverity(severity: AlertSeverity): AlertSeverity {
  const index = ALERT_SEVERITIES.indexOf(severity);
  return ALERT_SEVERITIES[Math.max(0, index - 1)]!;
}

/** The more severe of two. */
export function moreSevere(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return ALERT_SEVERITIES.indexOf(a) <= ALERT_SEVERITIES.indexOf(b) ? a : b;
}

/** Parses `critical=120,major=600,...` (seconds an alert may stay unclaimed, per severity). */
export function parseClaimTimeouts(text: string): Record<AlertSeverity, number> {
  const timeouts: Record<AlertSeverity, number> = { critical: 120, major: 600, minor: 1800, info: 3600 };
  for (const part of text.split(',')) {
    const [key, value] = part.split('=').map((s) => s.trim());
    if (!key) continue;
    if (!(ALERT_SEVERITIES as readonly string[]).includes(key) || !/^[0-9]+$/.test(value ?? '')) {
      throw new Error(`ALERT_CLAIM_TIMEOUTS: "${part}" is not severity=seconds`);
    }
    timeouts[key as AlertSeverity] = Number(value);
  }
  return timeouts;
}
