import type { HotlistEntry, Role } from '@citywatch/protocol';
import { Fragment, useState, type ChangeEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../components/empty-state';
import { useHubApi, useSignedInUser } from '../context/session-context';
import { useAsync } from '../hooks/use-async';
import { errorText } from '../utils/error-text';
import { formatDateTime } from '../utils/format';
import { withSaved } from '../utils/saved-records';
import { parseHotlistCsv } from '../views/checkpoints/hotlist-csv';
import { FaceSearch } from '../views/watchlists/face-search';
import { HotlistEntryForm } from '../views/watchlists/hotlist-entry-form';
import { PeopleWatchlist } from '../views/watchlists/people-watchlist';

type Tab = 'vehicles' | 'people' | 'search';

/** Which tabs each role gets (the hub's permissions: hotlist admin/traffic police, people admin/operator). */
const TABS_BY_ROLE: Record<Role, Tab[]> = {
  admin: ['people', 'vehicles', 'search'],
  operator: ['people', 'search'],
  traffic_police: ['vehicles', 'search'],
  department_member: [],
  viewer: [],
};

/** Watchlists (布控): people with their photos, the vehicle hotlist, and search by face. */
export default function WatchlistsPage() {
  const { t } = useTranslation();
  const user = useSignedInUser();
  const tabs = TABS_BY_ROLE[user.role];
  const [tab, setTab] = useState<Tab>(tabs[0] ?? 'vehicles');
  return (
    <div className="page watchlists-page">
      <header className="page-heading">
        <h1>{t('watchlists.title')}</h1>
        <div className="segmented" role="tablist">
          {tabs.map((name) => (
            <button key={name} type="button" role="tab" aria-selected={tab === name} onClick={() => setTab(name)}>
              {t(`watchlists.tabs.${name}`)}
            </button>
          ))}
        </div>
      </header>
      {tab === 'vehicles' ? <Hotlist /> : tab === 'people' ? <PeopleWatchlist /> : <FaceSearch />}
    </div>
  );
}

function Hotlist() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const list = useAsync(() => api.hotlist.list({ limit: 500 }), [api]);
  /** The entry being edited (its id), or a new one. */
  const [editing, setEditing] = useState<string | 'new'>();
  const [saved, setSaved] = useState<ReadonlyMap<string, HotlistEntry>>(new Map());
  const [importReport, setImportReport] = useState<string[]>();
  const [error, setError] = useState<string>();

  function onSaved(copy: HotlistEntry) {
    setSaved((map) => new Map(map).set(copy.id, copy));
    setEditing(undefined);
    list.reload();
  }

  async function remove(entry: HotlistEntry) {
    if (!window.confirm(t('watchlists.confirmRemove', { plate: entry.plate }))) return;
    try {
      await api.hotlist.remove(entry.id);
      list.reload();
    } catch (caught) {
      setError(errorText(caught, t('common.hubUnreachable')));
    }
  }

  async function importCsv(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    const rows = parseHotlistCsv(await file.text());
    const report: string[] = [];
    let added = 0;
    for (const row of rows) {
      if (!row.body) {
        report.push(t('watchlists.importLine', { line: row.line, problem: row.problem }));
        continue;
      }
      try {
        await api.hotlist.create(row.body);
        added += 1;
      } catch (caught) {
        report.push(
          t('watchlists.importLine', { line: row.line, problem: errorText(caught, t('common.hubUnreachable')) }),
        );
      }
    }
    setImportReport([t('watchlists.imported', { added, total: rows.length }), ...report]);
    list.reload();
  }

  const now = Date.now();
  return (
    <section aria-label={t('watchlists.tabs.vehicles')}>
      <div className="button-row">
        <button
          type="button"
          className="button button--primary"
          aria-expanded={editing === 'new'}
          onClick={() => setEditing(editing === 'new' ? undefined : 'new')}
        >
          {t('watchlists.add')}
        </button>
        <label className="button">
          {t('watchlists.importCsv')}
          <input type="file" accept=".csv,text/csv" className="visually-hidden" onChange={(e) => void importCsv(e)} />
        </label>
        <span className="muted">{t('watchlists.csvColumns')}</span>
      </div>
      {importReport ? (
        <ul className="import-report" role="status">
          {importReport.map((line, i) => (
            <li key={i}>{line}</li>
          ))}
        </ul>
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {editing === 'new' ? <HotlistEntryForm onSaved={onSaved} onCancel={() => setEditing(undefined)} /> : null}
      {list.error ? (
        <EmptyState title={t('common.loadFailed')} hint={errorText(list.error, t('common.hubUnreachable'))} />
      ) : !list.data ? (
        <p className="muted">{t('app.loading')}</p>
      ) : list.data.items.length === 0 ? (
        <EmptyState title={t('watchlists.empty')} hint={t('watchlists.emptyHint')} />
      ) : (
        <div className="table-scroll">
          <table className="data-table" data-testid="hotlist">
            <thead>
              <tr>
                <th>{t('watchlists.plate')}</th>
                <th>{t('watchlists.category')}</th>
                <th>{t('watchlists.priority')}</th>
                <th>{t('watchlists.reason')}</th>
                <th>{t('watchlists.validity')}</th>
                <th>{t('watchlists.scope')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {withSaved(list.data.items, saved).map((entry) => {
                const active =
                  Date.parse(entry.validFrom) <= now && (!entry.validUntil || Date.parse(entry.validUntil) > now);
                return (
                  <Fragment key={entry.id}>
                    <tr data-entry-id={entry.id}>
                      <td className="numeric">
                        {entry.plate}{' '}
                        {entry.kind === 'pattern' ? <span className="muted">({t('watchlists.pattern')})</span> : null}
                      </td>
                      <td>{t(`watchlists.categories.${entry.category}`)}</td>
                      <td>{entry.priority}</td>
                      <td>{entry.reason}</td>
                      <td>
                        <span className={active ? 'text-ok' : 'muted'}>
                          {active ? t('watchlists.active') : t('watchlists.inactive')}
                        </span>
                        <div className="muted small">
                          {formatDateTime(entry.validFrom, locale)} –{' '}
                          {entry.validUntil ? formatDateTime(entry.validUntil, locale) : t('watchlists.openEnded')}
                        </div>
                      </td>
                      <td>
                        {entry.tollgateIds.length === 0 ? t('watchlists.allTollgates') : entry.tollgateIds.join(', ')}
                      </td>
                      <td className="button-row">
                        <button
                          type="button"
                          className="button"
                          aria-expanded={editing === entry.id}
                          onClick={() => setEditing(editing === entry.id ? undefined : entry.id)}
                        >
                          {t('common.edit')}
                        </button>
                        <button type="button" className="button button--danger" onClick={() => void remove(entry)}>
                          {t('common.remove')}
                        </button>
                      </td>
                    </tr>
                    {editing === entry.id ? (
                      <tr className="data-table__form-row">
                        <td colSpan={7}>
                          <HotlistEntryForm entry={entry} onSaved={onSaved} onCancel={() => setEditing(undefined)} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
