import type { DeviceKind, DeviceStatusChange, LivePassage } from '@citywatch/protocol';
import { DEVICE_KINDS } from '@citywatch/protocol/device-id';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../components/empty-state';
import { PageLoading } from '../components/page-loading';
import { useHubApi, useSignedInUser } from '../context/session-context';
import { useAsync } from '../hooks/use-async';
import { useHashPath } from '../hooks/use-hash-path';
import { useLiveTopic } from '../hooks/use-live-topic';
import type { DeviceRecord } from '../types/devices';
import { errorText } from '../utils/error-text';
import { formatDateTime } from '../utils/format';
import { hrefForPath, subPath } from '../utils/hash-path';
import { PASSAGE_SEARCHERS } from '../utils/roles';
import { DevicePlan } from '../views/devices/device-plan';

const RATE_WINDOW_MS = 60_000;

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

function DeviceDetail({ deviceId, devices }: { deviceId: string; devices: DeviceRecord[] }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const user = useSignedInUser();
  const device = devices.find((d) => d.id === deviceId);
  const statusChanges = useLiveTopic('deviceStatus').items.filter((c) => c.deviceId === deviceId);
  const alerts = useLiveTopic('alerts')
    .items.filter((a) => a.deviceId === deviceId)
    .slice(0, 20);
  const livePassages = useLiveTopic('passages')
    .items.filter((p) => p.deviceId === deviceId)
    .slice(0, 20);
  const canSearch = PASSAGE_SEARCHERS.includes(user.role);
  const history = useAsync(
    () =>
      canSearch && device?.tollgateId
        ? api.checkpoints.search({
            tollgateId: device.tollgateId,
            laneNo: device.laneNo ? String(device.laneNo) : undefined,
            limit: 20,
          })
        : Promise.resolve(undefined),
    [api, canSearch, device?.tollgateId, device?.laneNo],
  );
  if (!device) return <EmptyState title={t('devicesPage.unknown', { id: deviceId })} />;
  const passages = history.data?.items ?? livePassages;

  return (
    <div className="page device-detail">
      <p>
        <a href={hrefForPath('/devices')}>← {t('devicesPage.back')}</a>
      </p>
      <header className="page-heading">
        <h1>{device.name}</h1>
        <span className="status-pill" data-online={device.online} data-testid="device-state">
          {t(device.online ? 'devices.online' : 'devices.offline')}
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
      </dl>
      <div className="two-columns">
        <section className="detail-section">
          <h2>{t('devicesPage.statusHistory')}</h2>
          <ul className="compact-list" data-testid="status-history">
            {statusChanges.map((change, index) => (
              <li key={`${change.at}-${index}`}>
                {formatDateTime(change.at, locale)} · {t(`devices.${change.state}`)} ·{' '}
                {t(`devices.reason.${change.reason}`)}
              </li>
            ))}
            {device.stateChangedAt ? (
              <li>
                {formatDateTime(device.stateChangedAt, locale)} ·{' '}
                {t(device.online ? 'devices.online' : 'devices.offline')} · {t('devicesPage.registryState')}
              </li>
            ) : null}
          </ul>
          {statusChanges.length === 0 && !device.stateChangedAt ? (
            <p className="muted">{t('devices.waiting')}</p>
          ) : null}
          <h2>{t('devicesPage.alerts')}</h2>
          {alerts.length === 0 ? (
            <p className="muted">{t('alerts.device.noOtherAlerts')}</p>
          ) : (
            <ul className="compact-list">
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
          {passages.length === 0 ? (
            <p className="muted">{t('devicesPage.noEvents')}</p>
          ) : (
            <ul className="compact-list">
              {passages.map((passage) => (
                <li key={passage.eventId}>
                  {formatDateTime(passage.passTime, locale)} · {passage.plateNo} ·{' '}
                  {t('live.speed', { speed: Math.round(passage.speedKmh) })}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}
