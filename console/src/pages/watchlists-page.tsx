import type { HotlistEntry, HotlistEntryBody, Role } from '@citywatch/protocol';
import { HOTLIST_CATEGORIES } from '@citywatch/protocol/api/checkpoints';
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../components/empty-state';
import { useHubApi, useSignedInUser } from '../context/session-context';
import { useAsync } from '../hooks/use-async';
import { errorText } from '../utils/error-text';
import { formatDateTime, fromDateTimeLocal, toDateTimeLocal } from '../utils/format';
import { parseHotlistCsv } from '../views/checkpoints/hotlist-csv';
import { MultiToggle } from '../views/checkpoints/multi-select';
import { FaceSearch } from '../views/watchlists/face-search';
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
  const [editing, setEditing] = useState<HotlistEntry | 'new'>();
  const [importReport, setImportReport] = useState<string[]>();
  const [error, setError] = useState<string>();

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
        <button type="button" className="button button--primary" onClick={() => setEditing('new')}>
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
      {editing ? (
        <HotlistForm
          entry={editing === 'new' ? undefined : editing}
          onDone={() => {
            setEditing(undefined);
            list.reload();
          }}
          onCancel={() => setEditing(undefined)}
        />
      ) : null}
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
              {list.data.items.map((entry) => {
                const active =
                  Date.parse(entry.validFrom) <= now && (!entry.validUntil || Date.parse(entry.validUntil) > now);
                return (
                  <tr key={entry.id}>
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
                      <button type="button" className="button" onClick={() => setEditing(entry)}>
                        {t('common.edit')}
                      </button>
                      <button type="button" className="button button--danger" onClick={() => void remove(entry)}>
                        {t('common.remove')}
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function HotlistForm({ entry, onDone, onCancel }: { entry?: HotlistEntry; onDone: () => void; onCancel: () => void }) {
  const { t } = useTranslation();
  const api = useHubApi();
  const tollgates = useAsync(() => api.tollgates.list(), [api]);
  const [plate, setPlate] = useState(entry?.plate ?? '');
  const [category, setCategory] = useState<HotlistEntryBody['category']>(entry?.category ?? 'stolen');
  const [priority, setPriority] = useState(entry?.priority ?? 1);
  const [reason, setReason] = useState(entry?.reason ?? '');
  const [validFrom, setValidFrom] = useState(entry ? toDateTimeLocal(new Date(entry.validFrom)) : '');
  const [validUntil, setValidUntil] = useState(entry?.validUntil ? toDateTimeLocal(new Date(entry.validUntil)) : '');
  const [scope, setScope] = useState<string[]>(entry?.tollgateIds ?? []);
  const [fuzzy, setFuzzy] = useState(entry?.fuzzy ?? true);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (plate.trim().length < 2) return setError(t('watchlists.plateInvalid'));
    if (!reason.trim()) return setError(t('watchlists.reasonRequired'));
    if (validFrom && validUntil && validFrom >= validUntil) return setError(t('checkpoints.problem.range'));
    const body: HotlistEntryBody = {
      plate: plate.trim(),
      category,
      priority,
      reason: reason.trim(),
      validFrom: fromDateTimeLocal(validFrom),
      validUntil: fromDateTimeLocal(validUntil),
      tollgateIds: scope,
      fuzzy,
    };
    setBusy(true);
    setError(undefined);
    try {
      if (entry) await api.hotlist.update(entry.id, body);
      else await api.hotlist.create(body);
      onDone();
    } catch (caught) {
      setError(errorText(caught, t('common.hubUnreachable')));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="panel-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={entry ? t('common.edit') : t('watchlists.add')}
    >
      <div className="search-form__row">
        <label className="field">
          <span>{t('watchlists.plate')}</span>
          <input
            name="plate"
            value={plate}
            maxLength={12}
            placeholder="黑A12345 / 黑A?23*"
            onChange={(e) => setPlate(e.target.value)}
          />
        </label>
        <label className="field">
          <span>{t('watchlists.category')}</span>
          <select value={category} onChange={(e) => setCategory(e.target.value as HotlistEntryBody['category'])}>
            {HOTLIST_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`watchlists.categories.${c}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field field--narrow">
          <span>{t('watchlists.priority')}</span>
          <select value={priority} onChange={(e) => setPriority(Number(e.target.value))}>
            {[1, 2, 3].map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>{t('watchlists.reason')}</span>
          <input name="reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('watchlists.validFrom')}</span>
          <input type="datetime-local" value={validFrom} onChange={(e) => setValidFrom(e.target.value)} />
        </label>
        <label className="field">
          <span>{t('watchlists.validUntil')}</span>
          <input type="datetime-local" value={validUntil} onChange={(e) => setValidUntil(e.target.value)} />
        </label>
        <label className="field field--check">
          <input type="checkbox" checked={fuzzy} onChange={(e) => setFuzzy(e.target.checked)} />
          <span>{t('watchlists.fuzzy')}</span>
        </label>
      </div>
      <MultiToggle
        label={t('watchlists.scopeHint')}
        options={(tollgates.data ?? []).map((tg) => ({ value: tg.id, label: tg.name }))}
        value={scope}
        onChange={setScope}
      />
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="button-row">
        <button type="submit" className="button button--primary" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" className="button button--quiet" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
