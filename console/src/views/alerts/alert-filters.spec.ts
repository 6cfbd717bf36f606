import type { AlertRecord } from '@citywatch/protocol';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALERT_FILTER, alertAreas, isDefaultAlertFilter, matchesAlertFilter } from './alert-filters';

const alert = (extra: Partial<AlertRecord>) =>
  ({ type: 'speeding', state: 'new', area: 'A', deviceId: '23010800001210000001', ...extra }) as AlertRecord;

describe('matchesAlertFilter', () => {
  it('shows open alerts by default', () => {
    expect(matchesAlertFilter(alert({ state: 'claimed' }), DEFAULT_ALERT_FILTER)).toBe(true);
    expect(matchesAlertFilter(alert({ state: 'resolved' }), DEFAULT_ALERT_FILTER)).toBe(false);
    expect(matchesAlertFilter(alert({ state: 'resolved' }), { ...DEFAULT_ALERT_FILTER, state: 'all' })).toBe(true);
  });

  it('filters by type, area, device (part of the id) and state', () => {
    const base = { ...DEFAULT_ALERT_FILTER, state: 'all' as const };
    expect(matchesAlertFilter(alert({}), { ...base, type: 'cloned_plate' })).toBe(false);
    expect(matchesAlertFilter(alert({}), { ...base, area: 'B' })).toBe(false);
    expect(matchesAlertFilter(alert({}), { ...base, deviceId: '10000001' })).toBe(true);
    expect(matchesAlertFilter(alert({ deviceId: null }), { ...base, deviceId: '1' })).toBe(false);
    expect(matchesAlertFilter(alert({ state: 'assigned' }), { ...base, state: 'assigned' })).toBe(true);
  });

  it('is the default again once a typed filter is cleared', () => {
    expect(isDefaultAlertFilter({ ...DEFAULT_ALERT_FILTER, deviceId: '' })).toBe(true);
    expect(isDefaultAlertFilter({ ...DEFAULT_ALERT_FILTER, deviceId: '1' })).toBe(false);
    expect(isDefaultAlertFilter({ ...DEFAULT_ALERT_FILTER, state: 'all' })).toBe(false);
  });

  it('lists the areas once, sorted', () => {
    expect(
      alertAreas([alert({ area: 'B' }), alert({ area: 'A' }), alert({ area: null }), alert({ area: 'B' })]),
    ).toEqual(['A', 'B']);
  });
});
