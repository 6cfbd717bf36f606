import type { WatchlistCategory, WatchlistPerson } from '@citywatch/protocol';
import { WATCHLIST_CATEGORIES } from '@citywatch/protocol/api/faces';
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
  checkPersonForm,
  personFormFrom,
  personPatch,
  type PersonFormValues,
  type PersonProblems,
} from './person-form';

/**
 * Every field of a watchlist person: name, ID number, category, priority, reason, validity window, the face
 * checkpoints it applies at, and whether it is matched at all. Shared by enrolment and editing.
 */
export function PersonFields({
  values,
  problems,
  onChange,
}: {
  values: PersonFormValues;
  problems: PersonProblems;
  onChange: (values: PersonFormValues) => void;
}) {
  const { t } = useTranslation();
  const api = useHubApi();
  const checkpoints = useAsync(() => api.devices.list({ kind: 'face_checkpoint' }), [api]);
  const set = <Key extends keyof PersonFormValues>(key: Key, value: PersonFormValues[Key]) =>
    onChange({ ...values, [key]: value });
  const problem = (field: keyof PersonProblems) => (problems[field] ? t(problems[field]) : undefined);
  return (
    <>
      <div className="search-form__row">
        <Field label={t('faces.name')} problem={problem('name')}>
          {(control) => (
            <input
              {...control}
              name="name"
              value={values.name}
              maxLength={100}
              required
              autoComplete="off"
              onChange={(e) => set('name', e.target.value)}
            />
          )}
        </Field>
        <Field label={t('faces.idNumber')} problem={problem('idNumber')}>
          {(control) => (
            <input
              {...control}
              name="idNumber"
              value={values.idNumber}
              maxLength={32}
              autoComplete="off"
              onChange={(e) => set('idNumber', e.target.value)}
            />
          )}
        </Field>
        <Field label={t('watchlists.category')}>
          {(control) => (
            <select
              {...control}
              name="category"
              value={values.category}
              onChange={(e) => set('category', e.target.value as WatchlistCategory)}
            >
              {WATCHLIST_CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {t(`faces.categories.${c}`)}
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
          <input
            type="checkbox"
            name="enabled"
            checked={values.enabled}
            onChange={(e) => set('enabled', e.target.checked)}
          />
          <span>{t('faces.enabled')}</span>
        </label>
      </div>
      <ScopeField
        legend={t('faces.scope')}
        allLabel={t('faces.allCheckpoints')}
        chosenLabel={t('faces.chosenCheckpoints')}
        scope={values.scope}
        chosen={values.deviceIds}
        options={(checkpoints.data ?? []).map((device) => ({
          value: device.id,
          label: `${device.name} · ${device.id.slice(-6)}`,
        }))}
        loading={checkpoints.loading}
        loadError={checkpoints.error ? errorText(checkpoints.error, t('common.hubUnreachable')) : undefined}
        problem={problem('deviceIds')}
        onChange={(scope, deviceIds) => onChange({ ...values, scope, deviceIds })}
      />
    </>
  );
}

/** Edits every field of an enrolled person (the photos have their own buttons); only what changed is sent. */
export function PersonEditForm({
  person,
  onSaved,
  onCancel,
}: {
  person: WatchlistPerson;
  onSaved: (person: WatchlistPerson) => void;
  onCancel: () => void;
}) {
  const { t } = useTranslation();
  const api = useHubApi();
  const form = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState(() => personFormFrom(person));
  const [checked, setChecked] = useState(false);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useFormFocus(form);
  const problems = checked ? checkPersonForm(values, true) : {};

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setChecked(true);
    if (Object.keys(checkPersonForm(values, true)).length > 0) return focusFirstProblem(form.current);
    const patch = personPatch(person, values);
    if (Object.keys(patch).length === 0) return onCancel();
    setBusy(true);
    setError(undefined);
    try {
      onSaved(await api.faces.update(person.id, patch));
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
      aria-label={t('faces.editPerson', { name: person.name })}
      aria-busy={busy}
      data-testid="person-edit"
    >
      <PersonFields values={values} problems={problems} onChange={setValues} />
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
