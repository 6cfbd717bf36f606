import { describe, expect, it, vi } from 'vitest';
import type { AlertListQuery } from '@citywatch/protocol';
import { HubEvents } from '../common/hub-events';
import type { HubConfig } from '../platform/config/hub-config';
import type { Logger } from '../platform/logging/logger';
import { AlertClock } from './alert-clock';
import { AlertRefusalError, type Actor } from './alert-rules';
import type { AlertsRepository, HourlyParams, HourlyRow } from './alerts.repository';
import { AlertsService } from './alerts.service';

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as unknown as Logger;
const config = {
  ALERT_CLAIM_TIMEOUTS: '',
  ALERT_ESCALATION_SWEEP_S: 3600,
  ALERT_STATS_TIME_ZONE: 'Asia/Shanghai',
} as HubConfig;

const actor = (role: Actor['role'], departmentId: string | null = null): Actor => ({
  id: `u-${role}`,
  username: role,
  displayName: role,
  role,
  departmentId,
});

function setup(rows: HourlyRow[] = []) {
  const hourlyCounts = vi.fn(async (_params: HourlyParams) => rows);
  const list = vi.fn(async (_query: AlertListQuery) => []);
  const repository = { database: {}, hourlyCounts, list } as unknown as AlertsRepository;
  const service = new AlertsService(repository, new HubEvents(), new AlertClock(), config, silent);
  return { service, hourlyCounts, list };
}

async function refusalOf(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AlertRefusalError);
  return (error as AlertRefusalError).refusal;
}

describe('AlertsService.hourly', () => {
  it('answers the range in UTC with the time zone, and the rows with ISO hours', async () => {
    const { service, hourlyCounts } = setup([
      { hour: new Date('2026-11-27T00:00:00Z'), type: 'speeding', severity: 'minor', count: 3 },
      { hour: new Date('2026-11-27T01:00:00Z'), type: 'watchlist_face', severity: 'critical', count: 1 },
    ]);
    const series = await service.hourly(
      { from: '2026-11-27T08:00:00+08:00', to: '2026-11-28T08:00:00+08:00' },
      actor('viewer'),
    );
    expect(series).toEqual({
      from: '2026-11-27T00:00:00.000Z',
      to: '2026-11-28T00:00:00.000Z',
      timeZone: 'Asia/Shanghai',
      rows: [
        { hour: '2026-11-27T00:00:00.000Z', type: 'speeding', severity: 'minor', count: 3 },
        { hour: '2026-11-27T01:00:00.000Z', type: 'watchlist_face', severity: 'critical', count: 1 },
      ],
    });
    expect(hourlyCounts).toHaveBeenCalledWith({
      timeZone: 'Asia/Shanghai',
      from: '2026-11-27T00:00:00.000Z',
      to: '2026-11-28T00:00:00.000Z',
      departmentId: undefined,
    });
  });

  it('counts a department member its own department only, like the statistics', async () => {
    const { service, hourlyCounts } = setup();
    const range = { from: '2026-11-27T00:00:00Z', to: '2026-11-27T06:00:00Z' };
    await service.hourly(range, actor('department_member', 'water'));
    expect(hourlyCounts.mock.calls[0]![0].departmentId).toBe('water');
    await service.hourly(range, actor('operator'));
    expect(hourlyCounts.mock.calls[1]![0].departmentId).toBeUndefined();
  });

  it('refuses an empty or reversed range, more than 31 days and dates that do not exist, with 400', async () => {
    const { service, hourlyCounts } = setup();
    const cases = [
      { from: '2026-11-27T00:00:00Z', to: '2026-11-27T00:00:00Z', message: /after from/ },
      { from: '2026-11-28T00:00:00Z', to: '2026-11-27T00:00:00Z', message: /after from/ },
      { from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:01Z', message: /at most 31 days/ },
      { from: '2026-13-01T00:00:00Z', to: '2026-11-01T00:00:00Z', message: /from: .* not a real date/ },
    ];
    for (const { from, to, message } of cases) {
      const refusal = await refusalOf(service.hourly({ from, to }, actor('admin')));
      expect(refusal).toMatchObject({ status: 400, code: 'invalid' });
      expect(refusal.message).toMatch(message);
    }
    // Exactly 31 days is allowed.
    await service.hourly({ from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }, actor('admin'));
    expect(hourlyCounts).toHaveBeenCalledTimes(1);
  });
});

describe('AlertsService.list', () => {
  it('hands the device filter to the repository with what the actor may see', async () => {
    const { service, list } = setup();
    const query = { deviceId: '23010800001310000001', limit: 20 };
    await service.list(query, actor('department_member', 'water'));
    expect(list).toHaveBeenCalledWith(query, { all: false, departmentId: 'water' });
  });
});
