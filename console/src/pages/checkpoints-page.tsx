import type { PassageRecord, PassageSearchResult } from '@citywatch/protocol';
import { PLATE_MATCH_MODES } from '@citywatch/protocol/api/checkpoints';
import { DIRECTIONS, PLATE_COLORS, VEHICLE_CLASSES, VEHICLE_COLORS } from '@citywatch/protocol/payloads/event-payloads';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../components/empty-state';
import { PlateBadge } from '../components/plate-badge';
import { useHubApi } from '../context/session-context';
import { useAsync } from '../hooks/use-async';
import { errorText } from '../utils/error-text';
import { formatDateTime, formatInteger } from '../utils/format';
import type { Direction, VehicleClass } from '../utils/passage-enums';
import { MultiToggle } from '../views/checkpoints/multi-select';
import { PassageDetail } from '../views/checkpoints/passage-detail';
import {
  EMPTY_SEARCH,
  checkSearch,
  toExportQuery,
  toSearchQuery,
  type SearchForm,
} from '../views/checkpoints/search-form';

/** Checkpoint history for traffic police: every filter of the history API, cursor paging, detail, trajectory, CSV. */
export default function CheckpointsPage() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const tollgates = useAsync(() => api.tollgates.list(), [api]);
  const [form, setForm] = useState<SearchForm>(EMPTY_SEARCH);
  const [submitted, setSubmitted] = useState<SearchForm>();
  /** The cursor each page up to the one shown was loaded with (the first page has none). */
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [result, setResult] = useState<PassageSearchResult>();
  const [total, setTotal] = useState<PassageSearchResult['total']>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<PassageRecord>();
  const [exporting, setExporting] = useState(false);
  const problems = checkSearch(form);

  /** Loads the page of the last cursor in `stack`. */
  async function load(search: SearchForm, stack: (string | undefined)[]) {
    const cursor = stack.at(-1);
    setBusy(true);
    setError(undefined);
    try {
      const page = await api.checkpoints.search(toSearchQuery(search, cursor));
      setResult(page);
      if (!cursor) setTotal(page.total);
      setCursors(stack);
      setSubmitted(search);
    } catch (caught) {
      setError(errorText(caught, t('common.hubUnreachable')));
    } finally {
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    if (problems.length > 0) return;
    setSelected(undefined);
    void load(form, [undefined]);
  }

  async function exportCsv() {
    if (!submitted) return;
    setExporting(true);
    setError(undefined);
    try {
      const blob = await api.checkpoints.exportCsv(toExportQuery(submitted));
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `passages-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '')}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (caught) {
      setError(errorText(caught, t('common.hubUnreachable')));
    } finally {
      setExporting(false);
    }
  }

  const set = <Key extends keyof SearchForm>(key: Key, value: SearchForm[Key]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const pageNumber = cursors.length;

  return (
    <div className={`page checkpoints-page${selected ? ' checkpoints-page--detail' : ''}`}>
      <form className="search-form" onSubmit={submit} noValidate aria-labelledby="checkpoints-title">
        <h1 id="checkpoints-title">{t('checkpoints.title')}</h1>
        <div className="search-form__row">
          <label className="field">
            <span>{t('checkpoints.plate')}</span>
            <input
              name="plate"
              value={form.plate}
              maxLength={12}
              placeholder="黑A12345 / 黑A?23*"
              onChange={(e) => set('plate', e.target.value)}
              aria-invalid={problems.includes('plate') || undefined}
            />
          </label>
          <label className="field">
            <span>{t('checkpoints.plateMatch')}</span>
            <select
              name="plateMatch"
              value={form.plateMatch}
              onChange={(e) => set('plateMatch', e.target.value as SearchForm['plateMatch'])}
            >
              <option value="">{t('checkpoints.match.auto')}</option>
              {PLATE_MATCH_MODES.map((mode) => (
                <option key={mode} value={mode}>
                  {t(`checkpoints.match.${mode}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('checkpoints.from')}</span>
            <input
              type="datetime-local"
              name="from"
              value={form.from}
              onChange={(e) => set('from', e.target.value)}
              aria-invalid={problems.includes('range') || undefined}
            />
          </label>
          <label className="field">
            <span>{t('checkpoints.to')}</span>
            <input
              type="datetime-local"
              name="to"
              value={form.to}
              onChange={(e) => set('to', e.target.value)}
              aria-invalid={problems.includes('range') || undefined}
            />
          </label>
          <label className="field field--narrow">
            <span>{t('checkpoints.laneNo')}</span>
            <input
              name="laneNo"
              value={form.laneNo}
              placeholder="1,2"
              onChange={(e) => set('laneNo', e.target.value)}
              aria-invalid={problems.includes('laneNo') || undefined}
            />
          </label>
          <label className="field field--narrow">
            <span>{t('checkpoints.speedMin')}</span>
            <input
              name="speedMin"
              type="number"
              min={0}
              max={300}
              value={form.speedMin}
              onChange={(e) => set('speedMin', e.target.value)}
              aria-invalid={problems.includes('speed') || undefined}
            />
          </label>
          <label className="field field--narrow">
            <span>{t('checkpoints.speedMax')}</span>
            <input
              name="speedMax"
              type="number"
              min={0}
              max={300}
              value={form.speedMax}
              onChange={(e) => set('speedMax', e.target.value)}
              aria-invalid={problems.includes('speed') || undefined}
            />
          </label>
          <label className="field field--narrow">
            <span>{t('checkpoints.pageSize')}</span>
            <select name="limit" value={form.limit} onChange={(e) => set('limit', Number(e.target.value))}>
              {[20, 50, 100, 200, 500].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
        <MultiToggle
          label={t('checkpoints.tollgates')}
          options={(tollgates.data ?? []).map((tg) => ({ value: tg.id, label: tg.name }))}
          value={form.tollgateId}
          onChange={(v) => set('tollgateId', v)}
        />
        <div className="search-form__row">
          <MultiToggle
            label={t('checkpoints.plateColor')}
            options={PLATE_COLORS.map((c) => ({ value: c, label: t(`plate.color.${c}`) }))}
            value={form.plateColor}
            onChange={(v) => set('plateColor', v)}
          />
          <MultiToggle
            label={t('checkpoints.direction')}
            options={DIRECTIONS.map((d) => ({ value: d, label: t(`direction.${d}`) }))}
            value={form.direction}
            onChange={(v) => set('direction', v)}
          />
        </div>
        <div className="search-form__row">
          <MultiToggle
            label={t('checkpoints.vehicleClass')}
            options={VEHICLE_CLASSES.map((c) => ({ value: c, label: t(`vehicleClass.${c}`) }))}
            value={form.vehicleClass}
            onChange={(v) => set('vehicleClass', v)}
          />
          <MultiToggle
            label={t('checkpoints.vehicleColor')}
            options={VEHICLE_COLORS.map((c) => ({ value: c, label: t(`vehicleColor.${c}`) }))}
            value={form.vehicleColor}
            onChange={(v) => set('vehicleColor', v)}
          />
        </div>
        {problems.length > 0 ? (
          <p className="form-error" role="alert">
            {problems.map((p) => t(`checkpoints.problem.${p}`)).join(' ')}
          </p>
        ) : null}
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={busy || problems.length > 0}>
            {busy ? t('checkpoints.searching') : t('checkpoints.search')}
          </button>
          <button type="button" className="button button--quiet" onClick={() => setForm(EMPTY_SEARCH)}>
            {t('alerts.filters.reset')}
          </button>
          <button type="button" className="button" disabled={!submitted || exporting} onClick={() => void exportCsv()}>
            {exporting ? t('checkpoints.exporting') : t('checkpoints.export')}
          </button>
        </div>
      </form>
      {error ? (
        <p className="form-error" role="alert" data-testid="search-error">
          {error}
        </p>
      ) : null}
      <section className="search-results" aria-label={t('checkpoints.results')}>
        {!result ? (
          <EmptyState title={t('checkpoints.start')} hint={t('checkpoints.startHint')} />
        ) : result.items.length === 0 ? (
          <EmptyState title={t('checkpoints.noResults')} />
        ) : (
          <>
            <div className="results-bar">
              <p data-testid="result-summary">
                {total
                  ? t(total.exact ? 'checkpoints.total' : 'checkpoints.totalEstimate', {
                      total: formatInteger(total.value, locale),
                    })
                  : null}{' '}
                · {t('checkpoints.page', { page: pageNumber })}
              </p>
              {result.matchedPlates && result.matchedPlates.length > 0 ? (
                <p className="muted">
                  {t('checkpoints.matchedPlates')}:{' '}
                  {result.matchedPlates
                    .slice(0, 12)
                    .map((m) => m.plateNo)
                    .join('、')}
                </p>
              ) : null}
              <div className="button-row">
                <button
                  type="button"
                  className="button"
                  disabled={busy || cursors.length <= 1 || !submitted}
                  onClick={() => submitted && void load(submitted, cursors.slice(0, -1))}
                >
                  {t('checkpoints.previous')}
                </button>
                <button
                  type="button"
                  className="button"
                  disabled={busy || !result.nextCursor || !submitted}
                  onClick={() =>
                    submitted && result.nextCursor && void load(submitted, [...cursors, result.nextCursor])
                  }
                >
                  {t('checkpoints.next')}
                </button>
              </div>
            </div>
            <div className="table-scroll">
              <table className="data-table" data-testid="passage-results">
                <thead>
                  <tr>
                    <th>{t('checkpoints.columns.passTime')}</th>
                    <th>{t('checkpoints.columns.plate')}</th>
                    <th>{t('checkpoints.columns.tollgate')}</th>
                    <th>{t('checkpoints.columns.lane')}</th>
                    <th>{t('checkpoints.columns.direction')}</th>
                    <th>{t('checkpoints.columns.vehicle')}</th>
                    <th>{t('checkpoints.columns.speed')}</th>
                  </tr>
                </thead>
                <tbody>
                  {result.items.map((passage) => (
                    <tr
                      key={passage.eventId}
                      data-event-id={passage.eventId}
                      aria-selected={selected?.eventId === passage.eventId}
                      tabIndex={0}
                      onClick={() => setSelected(passage)}
                      onKeyDown={(e) => e.key === 'Enter' && setSelected(passage)}
                    >
                      <td>{formatDateTime(passage.passTime, locale)}</td>
                      <td>
                        <PlateBadge plateNo={passage.plateNo} plateColor={passage.plateColor} />
                      </td>
                      <td>{passage.tollgateId}</td>
                      <td>{passage.laneNo}</td>
                      <td>{t(`direction.${passage.direction as Direction}`)}</td>
                      <td>{t(`vehicleClass.${passage.vehicleClass as VehicleClass}`)}</td>
                      <td className="numeric">{Math.round(passage.speedKmh)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        )}
      </section>
      {selected ? (
        <PassageDetail passage={selected} tollgates={tollgates.data ?? []} onClose={() => setSelected(undefined)} />
      ) : null}
    </div>
  );
}
