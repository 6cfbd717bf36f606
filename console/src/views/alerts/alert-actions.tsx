import type { AlertRecord, Department } from '@citywatch/protocol';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useHubApi, useSignedInUser } from '../../context/session-context';
import { useAsync } from '../../hooks/use-async';
import { errorText } from '../../utils/error-text';
import { fromDateTimeLocal, toDateTimeLocal } from '../../utils/format';
import { may } from '../../utils/roles';

type Form = 'assign' | 'resolve' | 'false_alarm' | 'reopen' | 'comment';

/** The operations on one alert, each a small form that shows the hub's refusal as it says it. */
export function AlertActions({ alert, onDone }: { alert: AlertRecord; onDone: (alert: AlertRecord) => void }) {
  const { t } = useTranslation();
  const api = useHubApi();
  const user = useSignedInUser();
  const [form, setForm] = useState<Form>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const open = alert.state === 'new' || alert.state === 'claimed' || alert.state === 'assigned';

  async function run(operation: () => Promise<AlertRecord>) {
    setBusy(true);
    setError(undefined);
    try {
      onDone(await operation());
      setForm(undefined);
    } catch (caught) {
      setError(errorText(caught, t('common.hubUnreachable')));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (next: Form) => {
    setError(undefined);
    setForm((current) => (current === next ? undefined : next));
  };

  return (
    <section className="alert-actions" aria-label={t('alerts.actions.label')}>
      <div className="button-row">
        {may(user.role, 'claim') && alert.state === 'new' ? (
          <button
            type="button"
            className="button button--primary"
            disabled={busy}
            onClick={() => void run(() => api.alerts.claim(alert.id))}
          >
            {t('alerts.actions.claim')}
          </button>
        ) : null}
        {may(user.role, 'assign') && open ? (
          <button type="button" className="button" aria-expanded={form === 'assign'} onClick={() => toggle('assign')}>
            {t('alerts.actions.assign')}
          </button>
        ) : null}
        {may(user.role, 'resolve') && open ? (
          <button type="button" className="button" aria-expanded={form === 'resolve'} onClick={() => toggle('resolve')}>
            {t('alerts.actions.resolve')}
          </button>
        ) : null}
        {may(user.role, 'falseAlarm') && open ? (
          <button
            type="button"
            className="button"
            aria-expanded={form === 'false_alarm'}
            onClick={() => toggle('false_alarm')}
          >
            {t('alerts.actions.falseAlarm')}
          </button>
        ) : null}
        {may(user.role, 'reopen') && !open ? (
          <button type="button" className="button" aria-expanded={form === 'reopen'} onClick={() => toggle('reopen')}>
            {t('alerts.actions.reopen')}
          </button>
        ) : null}
        {may(user.role, 'comment') ? (
          <button type="button" className="button" aria-expanded={form === 'comment'} onClick={() => toggle('comment')}>
            {t('alerts.actions.comment')}
          </button>
        ) : null}
      </div>
      {form === 'assign' ? (
        <AssignForm busy={busy} onSubmit={(body) => void run(() => api.alerts.assign(alert.id, body))} />
      ) : null}
      {form === 'resolve' ? (
        <TextForm
          label={t('alerts.fields.resolution')}
          submit={t('alerts.actions.resolve')}
          busy={busy}
          onSubmit={(text) => void run(() => api.alerts.resolve(alert.id, text))}
        />
      ) : null}
      {form === 'false_alarm' ? (
        <TextForm
          label={t('alerts.fields.falseAlarmReason')}
          submit={t('alerts.actions.falseAlarm')}
          busy={busy}
          onSubmit={(text) => void run(() => api.alerts.falseAlarm(alert.id, text))}
        />
      ) : null}
      {form === 'reopen' ? (
        <TextForm
          label={t('alerts.fields.reopenReason')}
          submit={t('alerts.actions.reopen')}
          busy={busy}
          onSubmit={(text) => void run(() => api.alerts.reopen(alert.id, text))}
        />
      ) : null}
      {form === 'comment' ? (
        <TextForm
          label={t('alerts.fields.comment')}
          submit={t('alerts.actions.comment')}
          busy={busy}
          onSubmit={(text) => void run(() => api.alerts.comment(alert.id, text))}
        />
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
    </section>
  );
}

function TextForm({
  label,
  submit,
  busy,
  onSubmit,
}: {
  label: string;
  submit: string;
  busy: boolean;
  onSubmit: (text: string) => void;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState('');
  const [invalid, setInvalid] = useState(false);
  function handle(event: FormEvent) {
    event.preventDefault();
    if (!text.trim()) {
      setInvalid(true);
      return;
    }
    onSubmit(text.trim());
  }
  return (
    <form className="inline-form" onSubmit={handle} noValidate>
      <label className="field">
        <span>{label}</span>
        <textarea
          rows={2}
          maxLength={2000}
          value={text}
          autoFocus
          aria-invalid={invalid || undefined}
          onChange={(event) => {
            setText(event.target.value);
            setInvalid(false);
          }}
        />
      </label>
      {invalid ? <p className="form-error">{t('common.required')}</p> : null}
      <button type="submit" className="button button--primary" disabled={busy}>
        {submit}
      </button>
    </form>
  );
}

function AssignForm({
  busy,
  onSubmit,
}: {
  busy: boolean;
  onSubmit: (body: { departmentId: string; deadline: string; note?: string }) => void;
}) {
  const { t } = useTranslation();
  const api = useHubApi();
  const departments = useAsync(() => api.departments.list(), [api]);
  const active: Department[] = (departments.data ?? []).filter((d) => d.active);
  const [departmentId, setDepartmentId] = useState('');
  const [deadline, setDeadline] = useState(() => toDateTimeLocal(new Date(Date.now() + 4 * 3600_000)));
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string>();

  function handle(event: FormEvent) {
    event.preventDefault();
    const department = departmentId || active[0]?.id;
    const deadlineIso = fromDateTimeLocal(deadline);
    if (!department) return setProblem(t('alerts.fields.departmentRequired'));
    if (!deadlineIso || Date.parse(deadlineIso) <= Date.now()) return setProblem(t('alerts.fields.deadlineFuture'));
    setProblem(undefined);
    onSubmit({ departmentId: department, deadline: deadlineIso, note: note.trim() || undefined });
  }

  return (
    <form className="inline-form" onSubmit={handle} noValidate>
      <label className="field">
        <span>{t('alerts.fields.department')}</span>
        <select value={departmentId || active[0]?.id || ''} onChange={(event) => setDepartmentId(event.target.value)}>
          {departments.loading && !departments.data ? <option value="">{t('app.loading')}</option> : null}
          {!departments.loading && active.length === 0 ? (
            <option value="">{t('alerts.fields.noDepartments')}</option>
          ) : null}
          {active.map((department) => (
            <option key={department.id} value={department.id}>
              {department.name}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span>{t('alerts.fields.deadline')}</span>
        <input type="datetime-local" value={deadline} onChange={(event) => setDeadline(event.target.value)} />
      </label>
      <label className="field">
        <span>{t('alerts.fields.note')}</span>
        <textarea rows={2} maxLength={2000} value={note} onChange={(event) => setNote(event.target.value)} />
      </label>
      {problem ? <p className="form-error">{problem}</p> : null}
      <button type="submit" className="button button--primary" disabled={busy}>
        {t('alerts.actions.assign')}
      </button>
    </form>
  );
}
