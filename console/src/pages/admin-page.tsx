import type { CheckpointRule, DeviceRegistration, Role, UserRecord } from '@citywatch/protocol';
import { ROLES } from '@citywatch/protocol/api/access';
import { ALERT_SEVERITIES } from '@citywatch/protocol/api/alerts';
import { DEVICE_KINDS } from '@citywatch/protocol/device-id';
import { Fragment, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { EmptyState } from '../components/empty-state';
import { useHubApi } from '../context/session-context';
import { useAsync } from '../hooks/use-async';
import { errorText } from '../utils/error-text';
import { formatDateTime } from '../utils/format';
import { DeviceCommands } from '../views/devices/device-commands';

const TABS = ['users', 'departments', 'devices', 'rules'] as const;
type Tab = (typeof TABS)[number];

/** Administration: users and roles, departments, device registration and credentials, rules and thresholds. */
export default function AdminPage() {
  const { t } = useTranslation();
  const [tab, setTab] = useState<Tab>('users');
  return (
    <div className="page admin-page">
      <header className="page-heading">
        <h1>{t('admin.title')}</h1>
        <div className="segmented" role="tablist">
          {TABS.map((name) => (
            <button key={name} type="button" role="tab" aria-selected={tab === name} onClick={() => setTab(name)}>
              {t(`admin.tabs.${name}`)}
            </button>
          ))}
        </div>
      </header>
      {tab === 'users' ? (
        <Users />
      ) : tab === 'departments' ? (
        <Departments />
      ) : tab === 'devices' ? (
        <Devices />
      ) : (
        <Rules />
      )}
    </div>
  );
}

function useAction() {
  const { t } = useTranslation();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function run(action: () => Promise<unknown>): Promise<boolean> {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (caught) {
      setError(errorText(caught, t('common.hubUnreachable')));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, run, setError };
}

function ErrorLine({ error }: { error?: string }) {
  return error ? (
    <p className="form-error" role="alert">
      {error}
    </p>
  ) : null;
}

function Users() {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const users = useAsync(() => api.users.list(), [api]);
  const departments = useAsync(() => api.departments.list(), [api]);
  const action = useAction();
  const [form, setForm] = useState({
    username: '',
    displayName: '',
    role: 'operator' as Role,
    departmentId: '',
    password: '',
  });

  async function create(event: FormEvent) {
    event.preventDefault();
    if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(form.username)) return action.setError(t('admin.users.usernameInvalid'));
    if (form.password.length < 10) return action.setError(t('admin.users.passwordShort'));
    if (form.role === 'department_member' && !form.departmentId)
      return action.setError(t('admin.users.departmentRequired'));
    const ok = await action.run(() =>
      api.users.create({ ...form, departmentId: form.role === 'department_member' ? form.departmentId : null }),
    );
    if (ok) {
      setForm({ username: '', displayName: '', role: 'operator', departmentId: '', password: '' });
      users.reload();
    }
  }

  const toggle = (user: UserRecord) =>
    void action.run(() => api.users.update(user.id, { disabled: !user.disabled })).then(users.reload);
  const setRole = (user: UserRecord, role: Role) =>
    void action.run(() => api.users.update(user.id, { role })).then(users.reload);

  return (
    <section>
      <form className="panel-form" onSubmit={(e) => void create(e)} noValidate aria-label={t('admin.users.add')}>
        <div className="search-form__row">
          <label className="field">
            <span>{t('auth.username')}</span>
            <input value={form.username} onChange={(e) => setForm({ ...form, username: e.target.value })} />
          </label>
          <label className="field">
            <span>{t('admin.users.displayName')}</span>
            <input
              value={form.displayName}
              maxLength={100}
              onChange={(e) => setForm({ ...form, displayName: e.target.value })}
            />
          </label>
          <label className="field">
            <span>{t('admin.users.role')}</span>
            <select value={form.role} onChange={(e) => setForm({ ...form, role: e.target.value as Role })}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {t(`roles.${r}`)}
                </option>
              ))}
            </select>
          </label>
          {form.role === 'department_member' ? (
            <label className="field">
              <span>{t('alerts.fields.department')}</span>
              <select value={form.departmentId} onChange={(e) => setForm({ ...form, departmentId: e.target.value })}>
                <option value="">—</option>
                {(departments.data ?? []).map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <label className="field">
            <span>{t('auth.password')}</span>
            <input
              type="password"
              autoComplete="new-password"
              value={form.password}
              onChange={(e) => setForm({ ...form, password: e.target.value })}
            />
          </label>
        </div>
        <ErrorLine error={action.error} />
        <button type="submit" className="button button--primary" disabled={action.busy}>
          {t('admin.users.add')}
        </button>
      </form>
      {!users.data ? (
        <p className="muted">{users.error ? errorText(users.error, t('common.loadFailed')) : t('app.loading')}</p>
      ) : (
        <table className="data-table" data-testid="users">
          <thead>
            <tr>
              <th>{t('auth.username')}</th>
              <th>{t('admin.users.displayName')}</th>
              <th>{t('admin.users.role')}</th>
              <th>{t('alerts.fields.department')}</th>
              <th>{t('admin.users.lastSignIn')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data.map((user) => (
              <tr key={user.id} data-disabled={user.disabled}>
                <td>{user.username}</td>
                <td>{user.displayName}</td>
                <td>
                  <select
                    aria-label={t('admin.users.role')}
                    value={user.role}
                    onChange={(e) => setRole(user, e.target.value as Role)}
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {t(`roles.${r}`)}
                      </option>
                    ))}
                  </select>
                </td>
                <td>{user.departmentId ?? '—'}</td>
                <td>{formatDateTime(user.lastSignInAt, locale)}</td>
                <td>
                  <button type="button" className="button" onClick={() => toggle(user)}>
                    {user.disabled ? t('admin.users.enable') : t('admin.users.disable')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Departments() {
  const { t } = useTranslation();
  const api = useHubApi();
  const departments = useAsync(() => api.departments.list(), [api]);
  const action = useAction();
  const [id, setId] = useState('');
  const [name, setName] = useState('');

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!/^[a-z0-9_-]{1,64}$/.test(id)) return action.setError(t('admin.departments.idInvalid'));
    if (!name.trim()) return action.setError(t('common.required'));
    if (await action.run(() => api.departments.save({ id, name: name.trim(), active: true }))) {
      setId('');
      setName('');
      departments.reload();
    }
  }

  return (
    <section>
      <form className="panel-form" onSubmit={(e) => void save(e)} noValidate aria-label={t('admin.departments.add')}>
        <div className="search-form__row">
          <label className="field">
            <span>{t('admin.departments.id')}</span>
            <input value={id} placeholder="urban-management" onChange={(e) => setId(e.target.value)} />
          </label>
          <label className="field">
            <span>{t('admin.departments.name')}</span>
            <input value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
          </label>
        </div>
        <ErrorLine error={action.error} />
        <button type="submit" className="button button--primary" disabled={action.busy}>
          {t('admin.departments.add')}
        </button>
      </form>
      {departments.data && departments.data.length === 0 ? <EmptyState title={t('admin.departments.none')} /> : null}
      <table className="data-table">
        <thead>
          <tr>
            <th>{t('admin.departments.id')}</th>
            <th>{t('admin.departments.name')}</th>
            <th>{t('admin.departments.active')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(departments.data ?? []).map((d) => (
            <tr key={d.id}>
              <td className="numeric">{d.id}</td>
              <td>{d.name}</td>
              <td>{d.active ? '✓' : '—'}</td>
              <td>
                <button
                  type="button"
                  className="button"
                  onClick={() =>
                    void action.run(() => api.departments.save({ ...d, active: !d.active })).then(departments.reload)
                  }
                >
                  {d.active ? t('admin.users.disable') : t('admin.users.enable')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Devices() {
  const { t } = useTranslation();
  const api = useHubApi();
  const devices = useAsync(() => api.devices.list(), [api]);
  const action = useAction();
  const [issued, setIssued] = useState<{ deviceId: string; secret: string }[]>([]);
  const [commandsOf, setCommandsOf] = useState<string>();
  const [form, setForm] = useState({
    id: '',
    name: '',
    kind: 'hd_camera' as DeviceRegistration['kind'],
    lat: '45.6',
    lon: '126.63',
    place: '',
    area: '',
  });

  async function register(event: FormEvent) {
    event.preventDefault();
    if (!/^[0-9]{20}$/.test(form.id)) return action.setError(t('admin.devices.idInvalid'));
    const lat = Number(form.lat);
    const lon = Number(form.lon);
    if (!(Math.abs(lat) <= 90 && Math.abs(lon) <= 180)) return action.setError(t('admin.devices.positionInvalid'));
    if (!form.name.trim() || !form.area.trim()) return action.setError(t('common.required'));
    let credentials: { deviceId: string; secret: string }[] = [];
    const ok = await action.run(async () => {
      const result = await api.devices.register({
        tollgates: [],
        devices: [{ ...form, name: form.name.trim(), area: form.area.trim(), lat, lon }],
      });
      credentials = result.credentials ?? [];
    });
    if (ok) {
      setIssued(credentials);
      devices.reload();
    }
  }

  async function rotate(deviceId: string) {
    if (!window.confirm(t('admin.devices.confirmRotate', { id: deviceId }))) return;
    let secret: { deviceId: string; secret: string } | undefined;
    if (await action.run(async () => (secret = await api.devices.rotateSecret(deviceId))))
      setIssued(secret ? [secret] : []);
  }

  return (
    <section>
      <form
        className="panel-form"
        onSubmit={(e) => void register(e)}
        noValidate
        aria-label={t('admin.devices.register')}
      >
        <div className="search-form__row">
          <label className="field">
            <span>{t('devicesPage.id')}</span>
            <input
              value={form.id}
              inputMode="numeric"
              maxLength={20}
              placeholder="23010800001110000001"
              onChange={(e) => setForm({ ...form, id: e.target.value })}
            />
          </label>
          <label className="field">
            <span>{t('devicesPage.name')}</span>
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </label>
          <label className="field">
            <span>{t('devicesPage.kind')}</span>
            <select
              value={form.kind}
              onChange={(e) => setForm({ ...form, kind: e.target.value as DeviceRegistration['kind'] })}
            >
              {DEVICE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {t(`deviceKind.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field field--narrow">
            <span>{t('admin.devices.lat')}</span>
            <input value={form.lat} onChange={(e) => setForm({ ...form, lat: e.target.value })} />
          </label>
          <label className="field field--narrow">
            <span>{t('admin.devices.lon')}</span>
            <input value={form.lon} onChange={(e) => setForm({ ...form, lon: e.target.value })} />
          </label>
          <label className="field">
            <span>{t('devicesPage.place')}</span>
            <input value={form.place} onChange={(e) => setForm({ ...form, place: e.target.value })} />
          </label>
          <label className="field">
            <span>{t('alerts.filters.area')}</span>
            <input value={form.area} onChange={(e) => setForm({ ...form, area: e.target.value })} />
          </label>
        </div>
        <ErrorLine error={action.error} />
        <button type="submit" className="button button--primary" disabled={action.busy}>
          {t('admin.devices.register')}
        </button>
      </form>
      {issued.length > 0 ? (
        <div className="notice" role="status" data-testid="issued-secret">
          <p>{t('admin.devices.secretOnce')}</p>
          {issued.map((c) => (
            <p key={c.deviceId} className="numeric">
              {c.deviceId}: <code>{c.secret}</code>
            </p>
          ))}
        </div>
      ) : null}
      <table className="data-table">
        <thead>
          <tr>
            <th>{t('devicesPage.name')}</th>
            <th>{t('devicesPage.kind')}</th>
            <th>{t('alerts.filters.area')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(devices.data ?? []).map((d) => (
            <Fragment key={d.id}>
              <tr>
                <td>
                  {d.name}
                  <div className="muted numeric">{d.id}</div>
                </td>
                <td>{t(`deviceKind.${d.kind}`)}</td>
                <td>{d.area}</td>
                <td>
                  <div className="button-row">
                    <button type="button" className="button" onClick={() => void rotate(d.id)}>
                      {t('admin.devices.rotate')}
                    </button>
                    <button
                      type="button"
                      className="button"
                      aria-expanded={commandsOf === d.id}
                      onClick={() => setCommandsOf(commandsOf === d.id ? undefined : d.id)}
                    >
                      {commandsOf === d.id ? t('admin.commands.close') : t('admin.commands.open')}
                    </button>
                  </div>
                </td>
              </tr>
              {commandsOf === d.id ? (
                <tr>
                  <td colSpan={4}>
                    <DeviceCommands device={d} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Rules() {
  const { t } = useTranslation();
  const api = useHubApi();
  const rules = useAsync(() => api.rules.list(), [api]);
  if (rules.error)
    return <EmptyState title={t('common.loadFailed')} hint={errorText(rules.error, t('common.hubUnreachable'))} />;
  if (!rules.data) return <p className="muted">{t('app.loading')}</p>;
  return (
    <section className="rules">
      {rules.data.map((rule) => (
        <RuleForm key={rule.id} rule={rule} onSaved={rules.reload} />
      ))}
    </section>
  );
}

function RuleForm({ rule, onSaved }: { rule: CheckpointRule; onSaved: () => void }) {
  const { t } = useTranslation();
  const api = useHubApi();
  const action = useAction();
  const [enabled, setEnabled] = useState(rule.enabled);
  const [severity, setSeverity] = useState(rule.severity);
  const [params, setParams] = useState<Record<string, string | boolean>>(
    Object.fromEntries(Object.entries(rule.params).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)])),
  );

  async function save(event: FormEvent) {
    event.preventDefault();
    const values: Record<string, number | boolean> = {};
    for (const [key, value] of Object.entries(params)) {
      if (typeof value === 'boolean') values[key] = value;
      else if (value.trim() === '' || !Number.isFinite(Number(value)))
        return action.setError(t('admin.rules.numberRequired', { key }));
      else values[key] = Number(value);
    }
    if (await action.run(() => api.rules.update(rule.id, { enabled, severity, params: values }))) onSaved();
  }

  return (
    <form
      className="panel-form"
      onSubmit={(e) => void save(e)}
      noValidate
      aria-label={t(`admin.rules.names.${rule.id}`)}
    >
      <h2>{t(`admin.rules.names.${rule.id}`)}</h2>
      <div className="search-form__row">
        <label className="field field--check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          <span>{t('admin.rules.enabled')}</span>
        </label>
        <label className="field">
          <span>{t('admin.rules.severity')}</span>
          <select value={severity} onChange={(e) => setSeverity(e.target.value as typeof severity)}>
            {ALERT_SEVERITIES.map((s) => (
              <option key={s} value={s}>
                {t(`alerts.severity.${s}`)}
              </option>
            ))}
          </select>
        </label>
        {Object.entries(params).map(([key, value]) =>
          typeof value === 'boolean' ? (
            <label key={key} className="field field--check">
              <input
                type="checkbox"
                checked={value}
                onChange={(e) => setParams({ ...params, [key]: e.target.checked })}
              />
              <span>{key}</span>
            </label>
          ) : (
            <label key={key} className="field field--narrow">
              <span>{key}</span>
              <input
                inputMode="decimal"
                value={value}
                onChange={(e) => setParams({ ...params, [key]: e.target.value })}
              />
            </label>
          ),
        )}
      </div>
      <ErrorLine error={action.error} />
      <button type="submit" className="button button--primary" disabled={action.busy}>
        {t('common.save')}
      </button>
    </form>
  );
}
