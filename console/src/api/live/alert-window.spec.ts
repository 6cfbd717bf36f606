import type { AlertRecord, AlertState } from '@citywatch/protocol';
import { describe, expect, it } from 'vitest';
import { applyAlerts, compareAlertIds, emptyAlertWindow } from './alert-window';

function alertRecord(
  id: number,
  seq: number,
  state: AlertState = 'new',
  extra: Partial<AlertRecord> = {},
): AlertRecord {
  return {
    id: String(id),
    seq,
    type: 'urban_incident',
    severity: 'major',
    state,
    title: `Alert ${id}`,
    dedupeKey: `k${id}`,
    ruleId: null,
    deviceId: '23010800001310000001',
    area: 'Youxie street office',
    sourceEventIds: [],
    evidence: {},
    count: 1,
    occurredAt: '2026-11-27T08:00:00Z',
    firstSeenAt: '2026-11-27T08:00:00Z',
    lastSeenAt: '2026-11-27T08:00:00Z',
    claimedBy: null,
    claimedAt: null,
    departmentId: null,
    assignedAt: null,
    deadline: null,
    resolvedAt: null,
    resolution: null,
    escalationLevel: 0,
    claimedByName: null,
    falseAlarmAt: null,
    falseAlarmReason: null,
    reopenedAt: null,
    escalatedAt: null,
    overdue: false,
    commentCount: 0,
    lastChange: 'raised',
    updatedAt: '2026-11-27T08:00:00Z',
    ...extra,
  };
}

describe('applyAlerts', () => {
  it('orders by id, newest first, numerically', () => {
    expect(compareAlertIds('9', '10')).toBeLessThan(0);
    const window = applyAlerts(emptyAlertWindow(), [alertRecord(9, 1), alertRecord(10, 2), alertRecord(2, 3)], 10);
    expect(window.items.map((a) => a.id)).toEqual(['10', '9', '2']);
    expect(window.lastSeq).toBe(3);
  });

  it('keeps the latest state and ignores older or repeated deliveries', () => {
    let window = applyAlerts(emptyAlertWindow(), [alertRecord(1, 5, 'claimed')], 10);
    window = applyAlerts(window, [alertRecord(1, 3, 'new')], 10);
    expect(window.byId.get('1')?.state).toBe('claimed');
    const same = applyAlerts(window, [alertRecord(1, 5, 'claimed')], 10);
    expect(same).toBe(window);
    window = applyAlerts(window, [alertRecord(1, 8, 'resolved')], 10);
    expect(window.items[0]?.state).toBe('resolved');
  });

  it('drops the oldest closed alerts first past the capacity', () => {
    const records = [
      alertRecord(1, 1),
      alertRecord(2, 2, 'resolved'),
      alertRecord(3, 3),
      alertRecord(4, 4, 'false_alarm'),
    ];
    const window = applyAlerts(emptyAlertWindow(), records, 2);
    expect(window.items.map((a) => a.id)).toEqual(['3', '1']);
    expect(window.byId.size).toBe(2);
  });

  it('advances lastSeq to a catch-up bound even when nothing new came', () => {
    const window = applyAlerts(emptyAlertWindow(), [], 5, 42);
    expect(window.lastSeq).toBe(42);
  });
});
