import type { AlertRecord, AlertTrailEntry } from '@citywatch/protocol';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../../components/empty-state';
import { useHubApi, useSignedInUser } from '../../context/session-context';
import { useAsync } from '../../hooks/use-async';
import { useDeviceAlerts } from '../../hooks/use-device-alerts';
import { formatDateTime } from '../../utils/format';
import { hrefForPath } from '../../utils/hash-path';
import { PASSAGE_SEARCHERS } from '../../utils/roles';
import { AlertActions } from './alert-actions';
import { AlertEvidence } from './alert-evidence';

/** How many of the device's other alerts the detail lists. */
const OTHER_ALERTS = 8;

interface AlertDetailProps {
  alert: AlertRecord;
  onClose: () => void;
  onChanged: (alert: AlertRecord) => void;
}

/** One alert in full: facts, evidence, operations, the audit trail and comments, and its device. */
export function AlertDetail({ alert, onClose, onChanged }: AlertDetailProps) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const heading = useRef<HTMLHeadingElement>(null);
  // The trail and comments follow the alert: every change (here or elsewhere) raises its seq.
  const trail = useAsync(() => api.alerts.trail(alert.id), [api, alert.id, alert.seq]);
  const comments = useAsync(() => api.alerts.comments(alert.id), [api, alert.id, alert.commentCount]);

  useEffect(() => heading.current?.focus(), [alert.id]);

  return (
    <aside
      className="alert-detail"
      aria-labelledby="alert-detail-title"
      data-alert-id={alert.id}
      data-severity={alert.severity}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onClose();
      }}
    >
      <header className="alert-detail__header">
        <div>
          <p className="alert-detail__kicker">
            <span className="severity-dot" data-severity={alert.severity} aria-hidden="true" />
            {t(`alerts.severity.${alert.severity}`)} · {t(`alerts.type.${alert.type}`)} · #{alert.id}
          </p>
          <h2 id="alert-detail-title" ref={heading} tabIndex={-1}>
            {alert.title}
          </h2>
        </div>
        <span className="state-badge" data-state={alert.state} data-testid="detail-state">
          {t(`alerts.state.${alert.state}`)}
        </span>
        <button type="button" className="button button--quiet" onClick={onClose} aria-label={t('common.close')}>
          ✕
        </button>
      </header>
      <dl className="facts facts--grid">
        <Fact label={t('alerts.fields.occurredAt')}>{formatDateTime(alert.occurredAt, locale)}</Fact>
        <Fact label={t('alerts.fields.area')}>{alert.area ?? '—'}</Fact>
        <Fact label={t('alerts.fields.device')}>
          {alert.deviceId ? <a href={hrefForPath(`/devices/${alert.deviceId}`)}>{alert.deviceId}</a> : '—'}
        </Fact>
        <Fact label={t('alerts.fields.count')}>{alert.count}</Fact>
        <Fact label={t('alerts.fields.claimedBy')}>{alert.claimedByName ?? '—'}</Fact>
        <Fact label={t('alerts.fields.department')}>{alert.departmentId ?? '—'}</Fact>
        <Fact label={t('alerts.fields.deadline')}>
          <span className={alert.overdue ? 'text-danger' : undefined}>
            {formatDateTime(alert.deadline, locale)}
            {alert.overdue ? ` · ${t('alerts.overdue')}` : null}
          </span>
        </Fact>
        {alert.resolution ? <Fact label={t('alerts.fields.resolution')}>{alert.resolution}</Fact> : null}
        {alert.falseAlarmReason ? (
          <Fact label={t('alerts.fields.falseAlarmReason')}>{alert.falseAlarmReason}</Fact>
        ) : null}
      </dl>
      <AlertActions alert={alert} onDone={onChanged} />
      <AlertEvidence alert={alert} />
      <section className="detail-section" aria-labelledby="trail-title">
        <h3 id="trail-title">{t('alerts.trail.title')}</h3>
        {trail.data ? (
          <ol className="trail" data-testid="alert-trail">
            {trail.data.map((entry) => (
              <TrailEntry key={entry.seq} entry={entry} />
            ))}
          </ol>
        ) : trail.error ? (
          <p className="form-error">{t('common.loadFailed')}</p>
        ) : (
          <p className="muted">{t('app.loading')}</p>
        )}
      </section>
      <section className="detail-section" aria-labelledby="comments-title">
        <h3 id="comments-title">{t('alerts.comments.title', { count: alert.commentCount })}</h3>
        {comments.data && comments.data.length > 0 ? (
          <ul className="comments">
            {comments.data.map((comment) => (
              <li key={comment.seq}>
                <p className="muted">
                  {comment.author?.username ?? t('alerts.trail.system')} · {formatDateTime(comment.at, locale)}
                </p>
                <p>{comment.text}</p>
              </li>
            ))}
          </ul>
        ) : comments.data ? (
          <p className="muted">{t('alerts.comments.none')}</p>
        ) : null}
      </section>
      {alert.deviceId ? <DeviceRecent deviceId={alert.deviceId} alertId={alert.id} /> : null}
    </aside>
  );
}

function TrailEntry({ entry }: { entry: AlertTrailEntry }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const details = entry.details as {
    text?: unknown;
    note?: unknown;
    reason?: unknown;
    resolution?: unknown;
    departmentId?: unknown;
  };
  const detail = [details.departmentId, details.note, details.text, details.reason, details.resolution]
    .filter((value) => typeof value === 'string' && value)
    .join(' · ');
  return (
    <li className="trail__entry" data-kind={entry.kind}>
      <time dateTime={entry.at}>{formatDateTime(entry.at, locale)}</time>
      <span className="trail__kind">{t(`alerts.change.${entry.kind}`)}</span>
      <span>{entry.actor?.username ?? t('alerts.trail.system')}</span>
      <span className="muted">
        {entry.fromState ? `${t(`alerts.state.${entry.fromState}`)} → ` : ''}
        {t(`alerts.state.${entry.toState}`)}
      </span>
      {detail ? <span className="trail__detail">{detail}</span> : null}
    </li>
  );
}

/** The alert's device: its state, its other alerts, and its latest passages. */
function DeviceRecent({ deviceId, alertId }: { deviceId: string; alertId: string }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const user = useSignedInUser();
  const device = useAsync(() => api.devices.get(deviceId), [api, deviceId]);
  const others = useDeviceAlerts(deviceId, OTHER_ALERTS + 1)
    .filter((alert) => alert.id !== alertId)
    .slice(0, OTHER_ALERTS);
  const canSearch = PASSAGE_SEARCHERS.includes(user.role);
  const record = device.data;
  const passages = useAsync(
    () =>
      canSearch && record?.tollgateId
        ? api.checkpoints.search({
            tollgateId: record.tollgateId,
            laneNo: record.laneNo ? String(record.laneNo) : undefined,
            limit: 5,
          })
        : Promise.resolve(undefined),
    [api, canSearch, record?.tollgateId, record?.laneNo],
  );
  return (
    <section className="detail-section" aria-labelledby="device-recent-title">
      <h3 id="device-recent-title">{t('alerts.device.title')}</h3>
      {record ? (
        <p>
          {record.name} ·{' '}
          <span className={record.online ? 'text-ok' : 'text-danger'}>
            {t(record.online ? 'devices.online' : 'devices.offline')}
          </span>{' '}
          · {t('devicesPage.lastHeartbeat')}: {formatDateTime(record.lastHeartbeatAt, locale)}
        </p>
      ) : device.error ? (
        <p className="muted">{t('common.loadFailed')}</p>
      ) : null}
      <h4>{t('alerts.device.otherAlerts')}</h4>
      {others.length > 0 ? (
        <ul className="compact-list">
          {others.map((alert) => (
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
      ) : (
        <p className="muted">{t('alerts.device.noOtherAlerts')}</p>
      )}
      {passages.data ? (
        <>
          <h4>{t('alerts.device.recentPassages')}</h4>
          {passages.data.items.length === 0 ? (
            <p className="muted">{t('checkpoints.noResults')}</p>
          ) : (
            <ul className="compact-list">
              {passages.data.items.map((passage) => (
                <li key={passage.eventId}>
                  {formatDateTime(passage.passTime, locale)} · {passage.plateNo} ·{' '}
                  {t('live.speed', { speed: Math.round(passage.speedKmh) })}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function AlertDetailMissing({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation();
  return (
    <aside className="alert-detail">
      <EmptyState title={t('alerts.notHeld')} />
      <button type="button" className="button" onClick={onClose}>
        {t('common.close')}
      </button>
    </aside>
  );
}
