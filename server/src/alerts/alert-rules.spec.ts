import { describe, expect, it } from 'vitest';
import { ALERT_ACTIONS, ALERT_STATES, type AlertAction, type AlertState, type Role } from '@citywatch/protocol';
import {
  TRANSITIONS,
  canSee,
  checkAction,
  moreSevere,
  parseClaimTimeouts,
  raiseSeverity,
  visibilityOf,
  type Actor,
  type AlertFacts,
} from './alert-rules';

const actor = (role: Role, id = `${role}-1`, departmentId: string | null = null): Actor => ({
  id,
  username: id,
  displayName: id,
  role,
  departmentId,
});
const alert = (state: AlertState, overrides: Partial<AlertFacts> = {}): AlertFacts => ({
  id: '42',
  state,
  claimedBy: state === 'new' ? null : 'admin-1',
  claimedByName: state === 'new' ? null : 'Admin',
  claimedAt: state === 'new' ? null : '2026-11-27T08:00:00.000Z',
  departmentId: state === 'assigned' || state === 'resolved' ? 'water' : null,
  ...overrides,
});

describe('alert transitions', () => {
  const admin = actor('admin');
  it.each(ALERT_STATES.flatMap((state) => ALERT_ACTIONS.map((action) => [state, action] as const)))(
    'from %s, %s is allowed exactly when the table says so',
    (state: AlertState, action: AlertAction) => {
      const refusal = checkAction(alert(state), action, admin);
      if (TRANSITIONS[action].from.includes(state)) expect(refusal).toBeUndefined();
      else expect(refusal).toMatchObject({ status: 409 });
    },
  );

  it('tells a second claimer who holds the alert', () => {
    const refusal = checkAction(
      alert('claimed', { claimedBy: 'op-1', claimedByName: 'Li Wei' }),
      'claim',
      actor('operator', 'op-2'),
    );
    expect(refusal).toMatchObject({
      status: 409,
      code: 'already_claimed',
      heldBy: { id: 'op-1', name: 'Li Wei', since: '2026-11-27T08:00:00.000Z' },
    });
  });

  it('lets only the operator holding the claim hand it on; an admin may take over', () => {
    const held = alert('claimed', { claimedBy: 'op-1', claimedByName: 'Li Wei' });
    expect(checkAction(held, 'assign', actor('operator', 'op-1'))).toBeUndefined();
    expect(checkAction(held, 'assign', actor('operator', 'op-2'))).toMatchObject({ code: 'already_claimed' });
    expect(checkAction(held, 'false_alarm', actor('operator', 'op-2'))).toMatchObject({ code: 'already_claimed' });
    expect(checkAction(held, 'comment', actor('operator', 'op-2'))).toBeUndefined();
    expect(checkAction(held, 'assign', actor('admin'))).toBeUndefined();
  });

  it('lets a department work only what is assigned to it, and a viewer nothing', () => {
    const assigned = alert('assigned', { departmentId: 'water' });
    const waterMember = actor('department_member', 'w-1', 'water');
    const powerMember = actor('department_member', 'p-1', 'power');
    expect(checkAction(assigned, 'resolve', waterMember)).toBeUndefined();
    expect(checkAction(assigned, 'comment', waterMember)).toBeUndefined();
    expect(checkAction(assigned, 'claim', waterMember)).toMatchObject({ status: 403 });
    expect(checkAction(assigned, 'reopen', waterMember)).toMatchObject({ status: 403 });
    expect(checkAction(assigned, 'resolve', powerMember)).toMatchObject({ status: 404 });
    expect(checkAction(assigned, 'comment', actor('viewer'))).toMatchObject({ status: 403 });
    expect(checkAction(assigned, 'resolve', undefined)).toMatchObject({ status: 401 });
  });

  it('sees everything as admin, operator or viewer, and its own department otherwise', () => {
    expect(visibilityOf(actor('viewer'))).toEqual({ all: true });
    expect(visibilityOf(actor('department_member', 'x', 'water'))).toEqual({ all: false, departmentId: 'water' });
    expect(visibilityOf(actor('traffic_police', 'tp', 'traffic_police'))).toEqual({
      all: false,
      departmentId: 'traffic_police',
    });
    expect(canSee(actor('department_member', 'x', 'water'), { departmentId: null })).toBe(false);
  });
});

describe('severity and escalation settings', () => {
  it('raises severity one step, critical staying critical', () => {
    expect(raiseSeverity('info')).toBe('minor');
    expect(raiseSeverity('minor')).toBe('major');
    expect(raiseSeverity('major')).toBe('critical');
    expect(raiseSeverity('critical')).toBe('critical');
    expect(moreSevere('minor', 'critical')).toBe('critical');
  });

  it('reads claim timeouts per severity, keeping defaults for the rest', () => {
    expect(parseClaimTimeouts('critical=30,info=7200')).toEqual({ critical: 30, major: 600, minor: 1800, info: 7200 });
    expect(() => parseClaimTimeouts('urgent=5')).toThrow(/ALERT_CLAIM_TIMEOUTS/);
  });
});
