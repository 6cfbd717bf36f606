import type { HotlistCategory, HotlistEntry } from '@citywatch/protocol';
import { HOTLIST_CATEGORIES } from '@citywatch/protocol/api/checkpoints';
import { useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useHubApi } from '../../context/session-context';
import { useAsync } from '../../hooks/use-async';
import { errorText } from '../../utils/error-text';
import {
  Field,
  PriorityField,
  ReasonField,
  ScopeField,
  ValidityFields,
  focusFirstProblem,
  useFormFocus,
} from './form-parts';
import {
  EMPTY_HOTLIST_FORM,
  checkHotlistForm,
  hotlistBody,
  hotlistFormFrom,
  type HotlistFormValues,
  type HotlistProblems,
} from './hotlist-form';

/**
 * Adds a hotlist entry, or edits every field of one: plate or pattern, category, priority, reason, validity
 * window, the tollgates it applies at and fuzzy matching. Checked here first; the hub's refusal is shown as sent.
 */
export function HotlistEntryForm({
  entry,
  onSaved,
  onCancel,
}: {
  entry?: HotlistEntry;
  onSaved: (entry: HotlistEntry) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const api = useHubApi();
  const tollgates = useAsync(() => api.tollgates.list(), [api]);
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<HotlistFormValues>(() => (entry ? hotlistFormFrom(entry) : EMPTY_HOTLIST_FORM));
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useFormFocus(form);
  const editing = entry !== undefined;
  const problems: HotlistProblems = checked ? checkHotlistForm(values, editing) : {};
  const problem = (field: keyof HotlistProblems) => (problems[field] ? t(problems[field]) : undefined);
  const set = <Key extends keyof HotlistFormValues>(key: Key, value: HotlistFormValues[Key]) =>
    setValues((v) => ({ ...v, [key]: value }));

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setChecked(true);
    if (Object.keys(checkHotlistForm(values, editing)).length > 0) return focusFirstProblem(form.current);
    const body = hotlistBody(values, entry);
    setBusy(true);
    setError(undefined);
    try {
      onSaved(entry ? await api.hotlist.update(entry.id, body) : await api.hotlist.create(body));
    } catch (caught) {
      setError(errorText(caught, t('common.hubUnreachable')));
      setBusy(false);
    }
  }

  return (
    <form
      ref={form}
      className="panel-form"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => e.key === 'Escape' && !busy && onCancel()}
      noValidate
      aria-label={entry ? t('watchlists.editEntry', { plate: entry.plate }) : t('watchlists.add')}
      aria-busy={busy}
      data-testid="hotlist-form"
    >
      <div className="search-form__row">
        <Field label={t('watchlists.plate')} problem={problem('plate')}>
          {(control) => (
            <input
              {...control}
              name="plate"
              value={values.plate}
              maxLength={12}
              required
              autoComplete="off"
              placeholder="黑A12345 / 黑A?23*"
              onChange={(e) => set('plate', e.target.value)}
            />
          )}
        </Field>
        <Field label={t('watchlists.category')}>
          {(control) => (
            <select
              {...control}
              name="category"
              value={values.category}
              onChange={(e) => set('category', e.target.value as HotlistCategory)}
            >
              {HOTLIST_CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {t(`watchlists.categories.${c}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <PriorityField value={values.priority} onChange={(priority) => set('priority', priority)} />
        <ReasonField value={values.reason} problem={problem('reason')} onChange={(reason) => set('reason', reason)} />
      </div>
      <div className="search-form__row">
        <ValidityFields
          from={values.validFrom}
          until={values.validUntil}
          problems={{ from: problem('validFrom'), until: problem('validUntil') }}
          onChange={set}
        />
        <label className="field field--check">
          <input type="checkbox" name="fuzzy" checked={values.fuzzy} onChange={(e) => set('fuzzy', e.target.checked)} />
          <span>{t('watchlists.fuzzy')}</span>
        </label>
      </div>
      <ScopeField
        legend={t('watchlists.scope')}
        allLabel={t('watchlists.allTollgates')}
        chosenLabel={t('watchlists.chosenTollgates')}
        scope={values.scope}
        chosen={values.tollgateIds}
        options={(tollgates.data ?? []).map((tollgate) => ({ value: tollgate.id, label: tollgate.name }))}
        loading={tollgates.loading}
        loadError={tollgates.error ? errorText(tollgates.error, t('common.hubUnreachable')) : undefined}
        problem={problem('tollgateIds')}
        onChange={(scope, tollgateIds) => setValues((v) => ({ ...v, scope, tollgateIds }))}
      />
      {error ? (
        <p className="form-error" role="alert" data-testid="form-error">
          {error}
        </p>
      ) : null}
      <div className="button-row">
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? t('common.saving') : t('common.save')}
        </button>
        <button type="button" className="button button--quiet" onClick={onCancel} disabled={busy}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
