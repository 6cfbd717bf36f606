import type { AlertStatsPeriod, DepartmentPeriodStats } from '@citywatch/protocol';
import { ALERT_SEVERITIES, ALERT_STATS_PERIODS, ALERT_TYPES } from '@citywatch/protocol/api/alerts';
import { DEVICE_KINDS } from '@citywatch/protocol/device-id';
import { useMemo, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { EmptyState } from '../components/empty-state';
import { useHubApi, useSignedInUser } from '../context/session-context';
import { useAsync } from '../hooks/use-async';
import { errorText } from '../utils/error-text';
import { STATISTICS_READERS } from '../utils/roles';

const SERIES_COLORS = [
  '#58a6ff',
  '#3fb950',
  '#d29922',
  '#f85149',
  '#bc8cff',
  '#39c5cf',
  '#ff7b72',
  '#e3b341',
  '#8b949e',
  '#a5d6ff',
];
const SEVERITY_COLORS: Record<string, string> = {
  critical: '#f85149',
  major: '#f0883e',
  minor: '#d29922',
  info: '#58a6ff',
};
const AXIS = { stroke: '#9aa7b4', fontSize: 14 };
const TOOLTIP = { contentStyle: { background: '#1c2430', border: '1px solid #2a3441' } };

/** The day's traffic, the alerts and how departments handle them, and device availability. */
export default function DashboardsPage() {
  const { t } = useTranslation();
  const user = useSignedInUser();
  const [period, setPeriod] = useState<AlertStatsPeriod>('day');
  const canReadTraffic = STATISTICS_READERS.includes(user.role);
  return (
    <div className="page dashboards-page">
      <header className="page-heading">
        <h1>{t('dashboards.title')}</h1>
        <div className="segmented" role="group" aria-label={t('dashboards.period')}>
          {ALERT_STATS_PERIODS.map((p) => (
            <button key={p} type="button" aria-pressed={p === period} onClick={() => setPeriod(p)}>
              {t(`dashboards.periods.${p}`)}
            </button>
          ))}
        </div>
      </header>
      <div className="chart-grid">
        {canReadTraffic ? <TrafficCharts /> : null}
        <AlertsPerHour />
        <AlertCharts period={period} />
        <DeviceAvailability />
      </div>
    </div>
  );
}

function ChartCard({ title, children, testId }: { title: string; children: ReactNode; testId?: string }) {
  return (
    <section className="chart-card" aria-label={title} data-testid={testId}>
      <h2>{title}</h2>
      <div className="chart-card__body">{children}</div>
    </section>
  );
}

function Loading({ error, empty }: { error?: unknown; empty?: boolean }) {
  const { t } = useTranslation();
  if (error) return <EmptyState title={t('common.loadFailed')} hint={errorText(error, t('common.hubUnreachable'))} />;
  if (empty) return <EmptyState title={t('dashboards.noData')} />;
  return <p className="muted">{t('app.loading')}</p>;
}

function TrafficCharts() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const [range] = useState(lastDay);
  const hourly = useAsync(() => api.checkpoints.hourly(range), [api, range]);
  const speeds = useAsync(() => api.checkpoints.speeds(range), [api, range]);

  const { rows, tollgates } = useMemo(() => {
    const byHour = new Map<string, Record<string, number | string>>();
    const gates = new Set<string>();
    for (const row of hourly.data?.rows ?? []) {
      gates.add(row.tollgateId);
      const hour = byHour.get(row.hour) ?? { hour: row.hour };
      hour[row.tollgateId] = Number(hour[row.tollgateId] ?? 0) + row.vehicles;
      byHour.set(row.hour, hour);
    }
    return {
      rows: [...byHour.values()].sort((a, b) => String(a.hour).localeCompare(String(b.hour))),
      tollgates: [...gates].sort(),
    };
  }, [hourly.data]);
  const hourLabel = (value: string) =>
    new Date(value).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', hour12: false });

  return (
    <>
      <ChartCard title={t('dashboards.vehiclesPerHour')} testId="chart-vehicles">
        {rows.length === 0 ? (
          <Loading error={hourly.error} empty={!!hourly.data} />
        ) : (
          <ResponsiveContainer width="100%" height={280}>
            <LineChart data={rows}>
              <CartesianGrid stroke="#2a3441" />
              <XAxis dataKey="hour" tickFormatter={hourLabel} {...AXIS} />
              <YAxis allowDecimals={false} {...AXIS} />
              <Tooltip labelFormatter={(v) => hourLabel(String(v))} {...TOOLTIP} />
              <Legend />
              {tollgates.map((tollgate, i) => (
                <Line
                  key={tollgate}
                  type="monotone"
                  dataKey={tollgate}
                  stroke={SERIES_COLORS[i % SERIES_COLORS.length]}
                  dot={false}
                  strokeWidth={2}
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        )}
      </ChartCard>
      <ChartCard title={t('dashboards.speedDistribution')} testId="chart-speeds">
        {!speeds.data || speeds.data.length === 0 ? (
          <Loading error={speeds.error} empty={!!speeds.data} />
        ) : (
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={speeds.data.map((b) => ({ ...b, label: `${b.fromKmh}–${b.toKmh}` }))}>
              <CartesianGrid stroke="#2a3441" />
              <XAxis dataKey="label" {...AXIS} />
              <YAxis allowDecimals={false} {...AXIS} />
              <Tooltip {...TOOLTIP} />
              <Bar dataKey="vehicles" name={t('dashboards.vehicles')} fill="#58a6ff" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        )}
      </ChartCard>
    </>
  );
}

/** The last 24 whole hours, up to the end of the current hour. */
function lastDay(): { from: string; to: string } {
  const to = new Date(Math.ceil(Date.now() / 3600_000) * 3600_000);
  return { from: new Date(to.getTime() - 24 * 3600_000).toISOString(), to: to.toISOString() };
}

/** Alerts raised per hour over the last 24 hours, stacked by type or by severity. */
function AlertsPerHour() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const [range] = useState(lastDay);
  const [split, setSplit] = useState<'type' | 'severity'>('type');
  const hourly = useAsync(() => api.alerts.hourly(range), [api, range]);

  const { rows, types, total } = useMemo(() => {
    const byHour = new Map<number, Record<string, number>>();
    for (let hour = Date.parse(range.from); hour < Date.parse(range.to); hour += 3600_000) byHour.set(hour, { hour });
    const seen = new Set<string>();
    let sum = 0;
    for (const row of hourly.data?.rows ?? []) {
      const entry = byHour.get(Date.parse(row.hour));
      if (!entry) continue;
      seen.add(row.type);
      sum += row.count;
      entry[`type:${row.type}`] = (entry[`type:${row.type}`] ?? 0) + row.count;
      entry[`severity:${row.severity}`] = (entry[`severity:${row.severity}`] ?? 0) + row.count;
    }
    return { rows: [...byHour.values()], types: ALERT_TYPES.filter((type) => seen.has(type)), total: sum };
  }, [hourly.data, range]);
  const hourLabel = (value: number) =>
    new Date(value).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit', hour12: false });
  const series =
    split === 'type'
      ? types.map((type, i) => ({
          key: `type:${type}`,
          name: t(`alerts.type.${type}`),
          fill: SERIES_COLORS[i % SERIES_COLORS.length]!,
        }))
      : ALERT_SEVERITIES.map((severity) => ({
          key: `severity:${severity}`,
          name: t(`alerts.severity.${severity}`),
          fill: SEVERITY_COLORS[severity]!,
        }));

  return (
    <ChartCard title={t('dashboards.alertsPerHour')} testId="chart-alerts-hourly">
      <div className="segmented" role="group" aria-label={t('dashboards.alertsPerHour')}>
        {(['type', 'severity'] as const).map((option) => (
          <button key={option} type="button" aria-pressed={option === split} onClick={() => setSplit(option)}>
            {t(option === 'type' ? 'dashboards.byType' : 'dashboards.bySeverity')}
          </button>
        ))}
      </div>
      {total === 0 ? (
        <Loading error={hourly.error} empty={!!hourly.data} />
      ) : (
        <ResponsiveContainer width="100%" height={280}>
          <BarChart data={rows}>
            <CartesianGrid stroke="#2a3441" />
            <XAxis dataKey="hour" tickFormatter={hourLabel} {...AXIS} />
            <YAxis allowDecimals={false} {...AXIS} />
            <Tooltip labelFormatter={(v) => hourLabel(Number(v))} {...TOOLTIP} />
            <Legend />
            {series.map((s) => (
              <Bar key={s.key} dataKey={s.key} stackId="hour" name={s.name} fill={s.fill} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartCard>
  );
}

function AlertCharts({ period }: { period: AlertStatsPeriod }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const stats = useAsync(() => api.alerts.stats({ period }), [api, period]);
  const departments = useAsync(() => api.departments.list(), [api]);
  const names = new Map((departments.data ?? []).map((d) => [d.id, d.name]));

  const periods = useMemo(() => {
    const byPeriod = new Map<string, Record<string, number | string>>();
    for (const row of stats.data?.departments ?? []) {
      const entry = byPeriod.get(row.periodStart) ?? { period: row.periodStart };
      for (const [severity, count] of Object.entries(row.bySeverity))
        entry[severity] = Number(entry[severity] ?? 0) + (count ?? 0);
      for (const [type, count] of Object.entries(row.byType))
        entry[`type:${type}`] = Number(entry[`type:${type}`] ?? 0) + (count ?? 0);
      byPeriod.set(row.periodStart, entry);
    }
    return [...byPeriod.values()].sort((a, b) => String(a.period).localeCompare(String(b.period)));
  }, [stats.data]);

  const handling = useMemo(() => {
    const byDepartment = new Map<
      string,
      { department: string; overdue: number; total: number; claim: number[]; resolve: number[] }
    >();
    for (const row of (stats.data?.departments ?? []) as DepartmentPeriodStats[]) {
      const key = row.departmentId ?? '—';
      const entry = byDepartment.get(key) ?? { department: key, overdue: 0, total: 0, claim: [], resolve: [] };
      entry.overdue += row.overdue;
      entry.total += row.total;
      if (row.timeToClaim.median !== null) entry.claim.push(row.timeToClaim.median);
      if (row.timeToResolve.median !== null) entry.resolve.push(row.timeToResolve.median);
      byDepartment.set(key, entry);
    }
    const mean = (values: number[]) =>
      values.length ? Math.round(values.reduce((a, b) => a + b, 0) / values.length / 60) : 0;
    return [...byDepartment.values()].map((d) => ({
      department: names.get(d.department) ?? d.department,
      overdue: d.overdue,
      total: d.total,
      claimMinutes: mean(d.claim),
      resolveMinutes: mean(d.resolve),
    }));
  }, [stats.data, departments.data]);

  const periodLabel = (value: string) =>
    new Date(value).toLocaleDateString(
      locale,
      period === 'month' ? { year: 'numeric', month: 'short' } : { month: '2-digit', day: '2-digit' },
    );
  const typesSeen = ALERT_TYPES.filter((type) => periods.some((p) => p[`type:${type}`]));

  return (
    <>
      <ChartCard title={t('dashboards.alertsBySeverity')} testId="chart-alert-severity">
        {periods.length === 0 ? (
          <Loading error={stats.error} empty={!!stats.data} />
        ) : (
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={periods}>
              <CartesianGrid stroke="#2a3441" />
              <XAxis dataKey="period" tickFormatter={periodLabel} {...AXIS} />
              <YAxis allowDecimals={false} {...AXIS} />
              <Tooltip labelFormatter={(v) => periodLabel(String(v))} {...TOOLTIP} />
              <Legend />
              {ALERT_SEVERITIES.map((severity) => (
                <Bar
                  key={severity}
                  dataKey={severity}
                  stackId="severity"
                  name={t(`alerts.severity.${severity}`)}
                  fill={SEVERITY_COLORS[severity]}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        )}
      </ChartCard>
      <ChartCard title={t('dashboards.alertsByType')} testId="chart-alert-type">
        {periods.length === 0 ? (
          <Loading error={stats.error} empty={!!stats.data} />
        ) : (
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={periods}>
              <CartesianGrid stroke="#2a3441" />
              <XAxis dataKey="period" tickFormatter={periodLabel} {...AXIS} />
              <YAxis allowDecimals={false} {...AXIS} />
              <Tooltip labelFormatter={(v) => periodLabel(String(v))} {...TOOLTIP} />
              <Legend />
              {typesSeen.map((type, i) => (
                <Bar
                  key={type}
                  dataKey={`type:${type}`}
                  stackId="type"
                  name={t(`alerts.type.${type}`)}
                  fill={SERIES_COLORS[i % SERIES_COLORS.length]}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        )}
      </ChartCard>
      <ChartCard title={t('dashboards.departmentHandling')} testId="chart-departments">
        {handling.length === 0 ? (
          <Loading error={stats.error} empty={!!stats.data} />
        ) : (
          <>
            <ResponsiveContainer width="100%" height={240}>
              <BarChart data={handling}>
                <CartesianGrid stroke="#2a3441" />
                <XAxis dataKey="department" {...AXIS} />
                <YAxis {...AXIS} />
                <Tooltip {...TOOLTIP} />
                <Legend />
                <Bar
                  dataKey="claimMinutes"
                  name={t('dashboards.claimMinutes')}
                  fill="#58a6ff"
                  isAnimationActive={false}
                />
                <Bar
                  dataKey="resolveMinutes"
                  name={t('dashboards.resolveMinutes')}
                  fill="#3fb950"
                  isAnimationActive={false}
                />
                <Bar dataKey="overdue" name={t('dashboards.overdue')} fill="#f85149" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
            <table className="data-table data-table--compact">
              <thead>
                <tr>
                  <th>{t('alerts.fields.department')}</th>
                  <th>{t('dashboards.total')}</th>
                  <th>{t('dashboards.claimMinutes')}</th>
                  <th>{t('dashboards.resolveMinutes')}</th>
                  <th>{t('dashboards.overdue')}</th>
                </tr>
              </thead>
              <tbody>
                {handling.map((row) => (
                  <tr key={row.department}>
                    <td>{row.department}</td>
                    <td className="numeric">{row.total}</td>
                    <td className="numeric">{row.claimMinutes}</td>
                    <td className="numeric">{row.resolveMinutes}</td>
                    <td className={`numeric${row.overdue > 0 ? ' text-danger' : ''}`}>{row.overdue}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </ChartCard>
    </>
  );
}

function DeviceAvailability() {
  const { t } = useTranslation();
  const api = useHubApi();
  const devices = useAsync(() => api.devices.list(), [api]);
  const rows = DEVICE_KINDS.map((kind) => {
    const ofKind = (devices.data ?? []).filter((d) => d.kind === kind);
    const online = ofKind.filter((d) => d.online).length;
    return { kind: t(`deviceKind.${kind}`), online, offline: ofKind.length - online };
  }).filter((row) => row.online + row.offline > 0);
  const all = devices.data ?? [];
  const share = all.length ? Math.round((all.filter((d) => d.online).length / all.length) * 1000) / 10 : 0;
  return (
    <ChartCard title={t('dashboards.availability', { share })} testId="chart-availability">
      {rows.length === 0 ? (
        <Loading error={devices.error} empty={!!devices.data} />
      ) : (
        <ResponsiveContainer width="100%" height={280}>
          <BarChart data={rows} layout="vertical">
            <CartesianGrid stroke="#2a3441" />
            <XAxis type="number" allowDecimals={false} {...AXIS} />
            <YAxis type="category" dataKey="kind" width={110} {...AXIS} />
            <Tooltip {...TOOLTIP} />
            <Legend />
            <Bar dataKey="online" stackId="a" name={t('devices.online')} fill="#3fb950" isAnimationActive={false} />
            <Bar dataKey="offline" stackId="a" name={t('devices.offline')} fill="#f85149" isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      )}
    </ChartCard>
  );
}
