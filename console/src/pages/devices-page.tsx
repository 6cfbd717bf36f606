import type {
  DeviceActivity,
  DeviceEventSummary,
  DeviceKind,
  DeviceRecord,
  DeviceStatusChange,
  DeviceStatusEntry,
  LivePassage,
} from '@citywatch/protocol';
import { DEVICE_KINDS } from '@citywatch/protocol/device-id';
import type { TFunction } from 'i18next';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../components/empty-state';
import { PageLoading } from '../components/page-loading';
import { useHubApi, useSignedInUser } from '../context/session-context';
import { useAsync } from '../hooks/use-async';
import { useDeviceAlerts } from '../hooks/use-device-alerts';
import { useHashPath } from '../hooks/use-hash-path';
import { useLiveTopic } from '../hooks/use-live-topic';
import type { Messages } from '../i18n/locales/zh-CN';
import { errorText } from '../utils/error-text';
import { formatDateTime } from '../utils/format';
import { hrefForPath, subPath } from '../utils/hash-path';
import { DEVICE_EVENT_READERS } from '../utils/roles';
import { DevicePlan } from '../views/devices/device-plan';

const RATE_WINDOW_MS = 60_000;
const HISTORY_LIMIT = 20;
const ALERTS_LIMIT = 20;
const EVENTS_LIMIT = 20;
const ACTIVITY_REFRESH_MS = 30_000;
type IncidentKind = keyof Messages['incidentKind'];

/** The registry with the live state folded in: each device's latest status change overrides what was listed. */
function useLiveDevices(devices: readonly DeviceRecord[] | undefined): DeviceRecord[] {
  const { items } = useLiveTopic('deviceStatus');
  return useMemo(() => {
    if (!devices) return [];
    const latest = new Map<string, DeviceStatusChange>();
    for (const change of items) if (!latest.has(change.deviceId)) latest.set(change.deviceId, change);
    return devices.map((device) => {
      const change = latest.get(device.id);
      if (!change || (device.stateChangedAt && device.stateChangedAt > change.at)) return device;
      return { ...device, online: change.state === 'online', stateChangedAt: change.at };
    });
  }, [devices, items]);
}

/** Passages per minute per device over the last minute of the live feed. */
function usePassageRates(): Map<string, number> {
  const { items } = useLiveTopic('passages');
  return useMemo(() => {
    const rates = new Map<string, number>();
    const since = Date.now() - RATE_WINDOW_MS;
    for (const passage of items as readonly LivePassage[]) {
      if (Date.parse(passage.storedAt) < since) break;
      rates.set(passage.deviceId, (rates.get(passage.deviceId) ?? 0) + 1);
    }
    return rates;
  }, [items]);
}

export default function DevicesPage() {
  const path = useHashPath();
  const api = useHubApi();
  const list = useAsync(() => api.devices.list(), [api]);
  const devices = useLiveDevices(list.data);
  const deviceId = subPath(path, '/devices');
  if (list.loading && !list.data) return <PageLoading />;
  if (list.error && !list.data) return <LoadError error={list.error} retry={list.reload} />;
  if (deviceId) return <DeviceDetail deviceId={deviceId} devices={devices} />;
  return <DeviceOverview devices={devices} />;
}

function LoadError({ error, retry }: { error: unknown; retry: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="page">
      <EmptyState title={t('common.loadFailed')} hint={errorText(error, t('common.hubUnreachable'))} />
      <button type="button" className="button" onClick={retry}>
        {t('common.retry')}
      </button>
    </div>
  );
}

function DeviceOverview({ devices }: { devices: DeviceRecord[] }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const rates = usePassageRates();
  const [kind, setKind] = useState<DeviceKind | ''>('');
  const [area, setArea] = useState('');
  const [state, setState] = useState<'' | 'online' | 'offline'>('');
  const [text, setText] = useState('');
  const areas = useMemo(() => [...new Set(devices.map((d) => d.area))].sort(), [devices]);
  const shown = devices.filter(
    (d) =>
      (!kind || d.kind === kind) &&
      (!area || d.area === area) &&
      (!state || d.online === (state === 'online')) &&
      (!text || d.name.includes(text) || d.id.includes(text) || d.place.includes(text)),
  );
  const open = (id: string) => {
    window.location.hash = hrefForPath(`/devices/${id}`);
  };

  return (
    <div className="page devices-page">
      <header className="page-heading">
        <h1>{t('devicesPage.title')}</h1>
        <p className="page-heading__count" data-testid="device-count">
          {t('devicesPage.summary', { online: devices.filter((d) => d.online).length, total: devices.length })}
        </p>
      </header>
      <div className="kind-summary">
        {DEVICE_KINDS.map((k) => {
          const ofKind = devices.filter((d) => d.kind === k);
          return (
            <div key={k} className="kind-summary__item">
              <span>{t(`deviceKind.${k}`)}</span>
              <strong>
                {ofKind.filter((d) => d.online).length} / {ofKind.length}
              </strong>
            </div>
          );
        })}
      </div>
      <div className="filter-bar" role="search">
        <label className="field field--inline">
          <span>{t('devicesPage.kind')}</span>
          <select value={kind} onChange={(e) => setKind(e.target.value as DeviceKind | '')}>
            <option value="">{t('alerts.filters.any')}</option>
            {DEVICE_KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`deviceKind.${k}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field field--inline">
          <span>{t('alerts.filters.area')}</span>
          <select value={area} onChange={(e) => setArea(e.target.value)}>
            <option value="">{t('alerts.filters.any')}</option>
            {areas.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label className="field field--inline">
          <span>{t('devicesPage.state')}</span>
          <select value={state} onChange={(e) => setState(e.target.value as '' | 'online' | 'offline')}>
            <option value="">{t('alerts.filters.any')}</option>
            <option value="online">{t('devices.online')}</option>
            <option value="offline">{t('devices.offline')}</option>
          </select>
        </label>
        <label className="field field--inline">
          <span>{t('devicesPage.search')}</span>
          <input value={text} onChange={(e) => setText(e.target.value)} />
        </label>
      </div>
      {devices.length === 0 ? (
        <EmptyState title={t('devicesPage.none')} hint={t('devicesPage.noneHint')} />
      ) : (
        <div className="devices-page__body">
          <DevicePlan
            label={t('devicesPage.plan')}
            points={shown.map((d) => ({
              id: d.id,
              lat: d.lat,
              lon: d.lon,
              label: `${d.name} (${d.id})`,
              tone: d.online ? 'ok' : 'down',
            }))}
            onSelect={open}
          />
          <div className="table-scroll">
            <table className="data-table" aria-label={t('devicesPage.tableLabel')}>
              <thead>
                <tr>
                  <th>{t('devicesPage.name')}</th>
                  <th>{t('devicesPage.kind')}</th>
                  <th>{t('alerts.filters.area')}</th>
                  <th>{t('devicesPage.state')}</th>
                  <th>{t('devicesPage.lastHeartbeat')}</th>
                  <th>{t('devicesPage.rate')}</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((device) => (
                  <tr key={device.id} data-device-id={device.id}>
                    <td>
                      <a href={hrefForPath(`/devices/${device.id}`)}>{device.name}</a>
                      <div className="muted numeric">{device.id}</div>
                    </td>
                    <td>{t(`deviceKind.${device.kind}`)}</td>
                    <td>{device.area}</td>
                    <td>
                      <span className="status-pill" data-online={device.online}>
                        {t(device.online ? 'devices.online' : 'devices.offline')}
                      </span>
                    </td>
                    <td>{formatDateTime(device.lastHeartbeatAt, locale)}</td>
                    <td className="numeric">{rates.get(device.id) ?? 0}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {shown.length === 0 ? <EmptyState title={t('alerts.noneMatch')} /> : null}
          </div>
        </div>
      )}
    </div>
  );
}

/** A device's status changes: the hub's history, with changes pushed live since it was read on top. */
function useStatusHistory(deviceId: string): { entries: DeviceStatusEntry[]; loaded: boolean } {
  const api = useHubApi();
  const history = useAsync(() => api.devices.history(deviceId, { limit: HISTORY_LIMIT }), [api, deviceId]);
  const { items } = useLiveTopic('deviceStatus');
  return useMemo(() => {
    const stored = history.data ?? [];
    const newest = stored[0]?.at ?? '';
    const live = items
      .filter((change) => change.deviceId === deviceId && change.at > newest)
      .map((change) => ({ at: change.at, online: change.state === 'online', reason: change.reason }));
    return { entries: [...live, ...stored].slice(0, HISTORY_LIMIT), loaded: history.data !== undefined };
  }, [history.data, items, deviceId]);
}

/** Recent events of every kind and the last hour's counts, read again every half minute. */
function useDeviceActivity(deviceId: string, enabled: boolean): DeviceActivity | undefined {
  const api = useHubApi();
  const activity = useAsync(
    () => (enabled ? api.devices.events(deviceId, { limit: EVENTS_LIMIT }) : Promise.resolve(undefined)),
    [api, deviceId, enabled],
  );
  const { reload } = activity;
  useEffect(() => {
    if (!enabled) return undefined;
    const timer = setInterval(reload, ACTIVITY_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload, enabled]);
  return activity.data;
}

function DeviceDetail({ deviceId, devices }: { deviceId: string; devices: DeviceRecord[] }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const user = useSignedInUser();
  const device = devices.find((d) => d.id === deviceId);
  const statusHistory = useStatusHistory(deviceId);
  const alerts = useDeviceAlerts(deviceId, ALERTS_LIMIT);
  const canReadEvents = DEVICE_EVENT_READERS.includes(user.role);
  const activity = useDeviceActivity(deviceId, canReadEvents);
  // Those who may not read a device's events see the passages pushed to this screen (none for departments).
  const livePassages = useLiveTopic('passages')
    .items.filter((p) => p.deviceId === deviceId)
    .slice(0, EVENTS_LIMIT);
  if (!device) return <EmptyState title={t('devicesPage.unknown', { id: deviceId })} />;
  // The history may already hold a change the registry read before it did not (the push is on its way).
  const newest = statusHistory.entries[0];
  const online =
    newest && (!device.stateChangedAt || newest.at >= device.stateChangedAt) ? newest.online : device.online;
  const counts = activity?.lastHourCounts;
  const perMinute = counts ? (counts.passage + counts.face + counts.incident) / 60 : 0;

  return (
    <div className="page device-detail">
      <p>
        <a href={hrefForPath('/devices')}>← {t('devicesPage.back')}</a>
      </p>
      <header className="page-heading">
        <h1>{device.name}</h1>
        <span className="status-pill" data-online={online} data-testid="device-state">
          {t(online ? 'devices.online' : 'devices.offline')}
        </span>
      </header>
      <dl className="facts facts--grid">
        <div className="fact">
          <dt>{t('devicesPage.id')}</dt>
          <dd className="numeric">{device.id}</dd>
        </div>
        <div className="fact">
          <dt>{t('devicesPage.kind')}</dt>
          <dd>{t(`deviceKind.${device.kind}`)}</dd>
        </div>
        <div className="fact">
          <dt>{t('alerts.filters.area')}</dt>
          <dd>{device.area}</dd>
        </div>
        <div className="fact">
          <dt>{t('devicesPage.place')}</dt>
          <dd>{device.place}</dd>
        </div>
        <div className="fact">
          <dt>{t('devicesPage.position')}</dt>
          <dd className="numeric">
            {device.lat.toFixed(5)}, {device.lon.toFixed(5)}
          </dd>
        </div>
        <div className="fact">
          <dt>{t('devicesPage.tollgate')}</dt>
          <dd>
            {device.tollgateId ? `${device.tollgateId} · ${t('live.laneNo', { laneNo: device.laneNo ?? '—' })}` : '—'}
          </dd>
        </div>
        <div className="fact">
          <dt>{t('devicesPage.lastHeartbeat')}</dt>
          <dd>{formatDateTime(device.lastHeartbeatAt, locale)}</dd>
        </div>
        <div className="fact">
          <dt>{t('devicesPage.lastSeen')}</dt>
          <dd>{formatDateTime(device.lastSeenAt, locale)}</dd>
        </div>
        <div className="fact">
          <dt>{t('devicesPage.heartbeatInterval')}</dt>
          <dd>{device.heartbeatIntervalS} s</dd>
        </div>
        {counts ? (
          <div className="fact" data-testid="device-activity">
            <dt>{t('devicesPage.lastHour')}</dt>
            <dd>
              {t('devicesPage.lastHourCounts', counts)} · {t('devicesPage.eventRate', { rate: formatRate(perMinute) })}
            </dd>
          </div>
        ) : null}
      </dl>
      <div className="two-columns">
        <section className="detail-section">
          <h2>{t('devicesPage.statusHistory')}</h2>
          <ul className="compact-list" data-testid="status-history">
            {statusHistory.entries.map((entry, index) => (
              <li key={`${entry.at}-${index}`}>
                {formatDateTime(entry.at, locale)} · {t(entry.online ? 'devices.online' : 'devices.offline')} ·{' '}
                {t(`devices.reason.${entry.reason}`)}
              </li>
            ))}
          </ul>
          {statusHistory.loaded && statusHistory.entries.length === 0 ? (
            <p className="muted">{t('devices.waiting')}</p>
          ) : null}
          <h2>{t('devicesPage.alerts')}</h2>
          {alerts.length === 0 ? (
            <p className="muted">{t('devicesPage.noAlerts')}</p>
          ) : (
            <ul className="compact-list" data-testid="device-alerts">
              {alerts.map((alert) => (
                <li key={alert.id}>
                  <a href={hrefForPath(`/alerts/${alert.id}`)}>
                    {formatDateTime(alert.occurredAt, locale)} · {alert.title}
                  </a>{' '}
                  <span className="state-badge" data-state={alert.state}>
                    {t(`alerts.state.${alert.state}`)}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="detail-section">
          <h2>{t('devicesPage.recentEvents')}</h2>
          {activity ? (
            activity.events.length === 0 ? (
              <p className="muted">{t('devicesPage.noEvents')}</p>
            ) : (
              <ul className="compact-list" data-testid="device-events">
                {activity.events.map((event) => (
                  <li key={`${event.kind}-${event.eventId}`} data-kind={event.kind}>
                    {formatDateTime(event.at, locale)} · {t(`devicesPage.eventKind.${event.kind}`)}
                    {event.label ? ` · ${eventLabel(event, t)}` : null}
                  </li>
                ))}
              </ul>
            )
          ) : canReadEvents ? null : livePassages.length === 0 ? (
            <p className="muted">{t('devicesPage.noEvents')}</p>
          ) : (
            <>
              <p className="muted">{t('devicesPage.liveOnly')}</p>
              <ul className="compact-list" data-testid="device-events">
                {livePassages.map((passage) => (
                  <li key={passage.eventId} data-kind="passage">
                    {formatDateTime(passage.passTime, locale)} · {passage.plateNo} ·{' '}
                    {t('live.speed', { speed: Math.round(passage.speedKmh) })}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>
    </div>
  );
}

/** Events per minute: two decimals below one, one below ten, whole numbers above. */
function formatRate(perMinute: number): string {
  return perMinute.toFixed(perMinute < 1 ? 2 : perMinute < 10 ? 1 : 0);
}

/** A plate as read; an incident's kind in words. */
function eventLabel(event: DeviceEventSummary, t: TFunction): string {
  if (event.kind !== 'incident' || !event.label) return event.label ?? '';
  return t(`incidentKind.${event.label as IncidentKind}`, { defaultValue: event.label });
}
