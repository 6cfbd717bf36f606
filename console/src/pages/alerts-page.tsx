import type { AlertRecord } from '@citywatch/protocol';
import { ALERT_STATES, ALERT_TYPES } from '@citywatch/protocol/api/alerts';
import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../components/empty-state';
import { useLiveStore } from '../context/live-store-context';
import { useHubApi, useSignedInUser } from '../context/session-context';
import { useAsync } from '../hooks/use-async';
import { useHashPath } from '../hooks/use-hash-path';
import { useLiveTopic } from '../hooks/use-live-topic';
import { errorText } from '../utils/error-text';
import { formatInteger } from '../utils/format';
import { hrefForPath, subPath } from '../utils/hash-path';
import { may } from '../utils/roles';
import { setAlertSoundMuted, useAlertSoundMuted } from '../utils/sound-preference';
import { AlertDetail, AlertDetailMissing } from '../views/alerts/alert-detail';
import {
  DEFAULT_ALERT_FILTER,
  alertAreas,
  isDefaultAlertFilter,
  matchesAlertFilter,
  type AlertFilter,
} from '../views/alerts/alert-filters';
import { AlertWall } from '../views/alerts/alert-wall';

/** The wall of alerts, newest first, with filters, the alarm switch and the detail of the one opened. */
export default function AlertsPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const store = useLiveStore();
  const user = useSignedInUser();
  const path = useHashPath();
  const selectedId = subPath(path, '/alerts');
  const { items, byId } = useLiveTopic('alerts');
  const sync = useLiveTopic('alertSync');
  const muted = useAlertSoundMuted();
  const [filter, setFilter] = useState<AlertFilter>(DEFAULT_ALERT_FILTER);
  const [busyIds, setBusyIds] = useState<ReadonlySet<string>>(new Set());
  const [actionError, setActionError] = useState<string>();

  const shown = useMemo(() => items.filter((alert) => matchesAlertFilter(alert, filter)), [items, filter]);
  const areas = useMemo(() => alertAreas(items), [items]);
  const critical = shown.filter((a) => a.severity === 'critical' && a.state === 'new').length;

  const open = useCallback((alertId: string) => {
    window.location.hash = hrefForPath(`/alerts/${alertId}`);
  }, []);
  const close = useCallback(() => {
    window.location.hash = hrefForPath('/alerts');
  }, []);
  const changed = useCallback((alert: AlertRecord) => store.receiveAlerts([alert]), [store]);
  const claim = useCallback(
    (alertId: string) => {
      setBusyIds((ids) => new Set(ids).add(alertId));
      setActionError(undefined);
      api.alerts
        .claim(alertId)
        .then(changed, (caught: unknown) => setActionError(errorText(caught, t('common.hubUnreachable'))))
        .finally(() =>
          setBusyIds((ids) => {
            const next = new Set(ids);
            next.delete(alertId);
            return next;
          }),
        );
    },
    [api, changed, t],
  );

  // An alert the console does not hold (an old one, by link) is fetched.
  const held = selectedId ? byId.get(selectedId) : undefined;
  const fetched = useAsync<AlertRecord | undefined>(
    () => (selectedId && !held ? api.alerts.get(selectedId) : Promise.resolve(undefined)),
    [api, selectedId, !held],
  );
  const selected = held ?? fetched.data;

  return (
    <div className={`alerts-page${selectedId ? ' alerts-page--detail' : ''}`}>
      <section className="alerts-page__wall" aria-labelledby="alerts-title">
        <header className="page-heading">
          <h1 id="alerts-title">{t('alerts.title')}</h1>
          <p className="page-heading__count" data-testid="alert-count">
            {t('alerts.shown', {
              shown: formatInteger(shown.length, locale),
              total: formatInteger(items.length, locale),
            })}
            {critical > 0 ? (
              <span className="text-danger"> · {t('alerts.criticalNew', { count: critical })}</span>
            ) : null}
          </p>
          <button
            type="button"
            className="button"
            aria-pressed={muted}
            onClick={() => setAlertSoundMuted(!muted)}
            title={t('alerts.soundHint')}
          >
            {muted ? t('alerts.soundMuted') : t('alerts.soundOn')}
          </button>
        </header>
        <div className="filter-bar" role="search" aria-label={t('alerts.filters.label')}>
          <label className="field field--inline">
            <span>{t('alerts.filters.state')}</span>
            <select
              value={filter.state}
              onChange={(e) => setFilter({ ...filter, state: e.target.value as AlertFilter['state'] })}
            >
              <option value="open">{t('alerts.filters.open')}</option>
              <option value="all">{t('alerts.filters.all')}</option>
              {ALERT_STATES.map((state) => (
                <option key={state} value={state}>
                  {t(`alerts.state.${state}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field field--inline">
            <span>{t('alerts.filters.type')}</span>
            <select
              value={filter.type}
              onChange={(e) => setFilter({ ...filter, type: e.target.value as AlertFilter['type'] })}
            >
              <option value="">{t('alerts.filters.any')}</option>
              {ALERT_TYPES.map((type) => (
                <option key={type} value={type}>
                  {t(`alerts.type.${type}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field field--inline">
            <span>{t('alerts.filters.area')}</span>
            <select value={filter.area} onChange={(e) => setFilter({ ...filter, area: e.target.value })}>
              <option value="">{t('alerts.filters.any')}</option>
              {areas.map((area) => (
                <option key={area} value={area}>
                  {area}
                </option>
              ))}
            </select>
          </label>
          <label className="field field--inline">
            <span>{t('alerts.filters.device')}</span>
            <input
              value={filter.deviceId}
              inputMode="numeric"
              placeholder={t('alerts.filters.devicePlaceholder')}
              onChange={(e) => setFilter({ ...filter, deviceId: e.target.value })}
            />
          </label>
          {!isDefaultAlertFilter(filter) ? (
            <button type="button" className="button button--quiet" onClick={() => setFilter(DEFAULT_ALERT_FILTER)}>
              {t('alerts.filters.reset')}
            </button>
          ) : null}
        </div>
        {actionError ? (
          <p className="form-error" role="alert">
            {actionError}
          </p>
        ) : null}
        {shown.length > 0 ? (
          <AlertWall
            alerts={shown}
            selectedId={selectedId}
            canClaim={may(user.role, 'claim')}
            busyIds={busyIds}
            onOpen={open}
            onClaim={claim}
          />
        ) : sync === 'syncing' || sync === 'idle' ? (
          <EmptyState title={t('app.loading')} />
        ) : (
          <EmptyState
            title={items.length === 0 ? t('alerts.none') : t('alerts.noneMatch')}
            hint={sync === 'failed' ? t('alerts.syncFailed') : t('alerts.noneHint')}
          />
        )}
      </section>
      {selectedId ? (
        selected ? (
          <AlertDetail alert={selected} onClose={close} onChanged={changed} />
        ) : fetched.loading ? (
          <aside className="alert-detail">
            <EmptyState title={t('app.loading')} />
          </aside>
        ) : (
          <AlertDetailMissing onClose={close} />
        )
      ) : null}
    </div>
  );
}
