import type { DeviceCommandRecord, DeviceRecord, SendCommandBody } from '@citywatch/protocol';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useHubApi } from '../../context/session-context';
import { useAsync } from '../../hooks/use-async';
import { errorText } from '../../utils/error-text';
import { formatDateTime } from '../../utils/format';

/**
 * Commands to one device, for administrators: the ones its kind allows (snapshot and reboot for every device,
 * PTZ preset for long-range cameras, loudspeaker where there is one), the reply or the error, recent commands.
 */
export function DeviceCommands({ device }: { device: DeviceRecord }) {
  const { t, i18n } = useTranslation();
  const locale = i18n.resolvedLanguage ?? i18n.language;
  const api = useHubApi();
  const recent = useAsync(() => api.commands.list(device.id, { limit: 5 }), [api, device.id]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [last, setLast] = useState<DeviceCommandRecord>();
  const [preset, setPreset] = useState('1');
  const [message, setMessage] = useState('');
  const [repeat, setRepeat] = useState('1');

  async function send(body: SendCommandBody) {
    setBusy(true);
    setError(undefined);
    try {
      setLast(await api.commands.send(device.id, body));
    } catch (caught) {
      setLast(undefined);
      setError(errorText(caught, t('common.hubUnreachable')));
    } finally {
      setBusy(false);
      recent.reload();
    }
  }

  async function checkAgain(requestId: string) {
    // A complaint from an earlier try (a check that did not reach the hub) is stale once this one answers.
    setError(undefined);
    try {
      setLast(await api.commands.get(device.id, requestId));
      recent.reload();
    } catch (caught) {
      setError(errorText(caught, t('common.hubUnreachable')));
    }
  }

  function reboot() {
    if (window.confirm(t('admin.commands.confirmReboot', { name: device.name, id: device.id })))
      void send({ name: 'reboot', params: {} });
  }

  function gotoPreset(event: FormEvent) {
    event.preventDefault();
    const value = Number(preset);
    if (!Number.isInteger(value) || value < 1 || value > 255) return setError(t('admin.commands.presetInvalid'));
    void send({ name: 'ptz_preset', params: { preset: value } });
  }

  function speak(event: FormEvent) {
    event.preventDefault();
    if (!message.trim() || message.length > 200) return setError(t('admin.commands.messageRequired'));
    void send({ name: 'loudspeaker', params: { message: message.trim(), repeat: Number(repeat) } });
  }

  return (
    <section className="device-commands" aria-label={t('admin.commands.title', { name: device.name })}>
      <div className="button-row">
        <button type="button" className="button" disabled={busy} onClick={() => void send({ name: 'snapshot' })}>
          {t('admin.commands.snapshot')}
        </button>
        <button type="button" className="button button--danger" disabled={busy} onClick={reboot}>
          {t('admin.commands.reboot')}
        </button>
      </div>
      {device.kind === 'long_range' ? (
        <form className="search-form__row" onSubmit={gotoPreset} noValidate>
          <label className="field field--narrow">
            <span>{t('admin.commands.preset')}</span>
            <input inputMode="numeric" value={preset} onChange={(e) => setPreset(e.target.value)} />
          </label>
          <button type="submit" className="button" disabled={busy}>
            {t('admin.commands.gotoPreset')}
          </button>
        </form>
      ) : null}
      {device.hasLoudspeaker ? (
        <form className="search-form__row" onSubmit={speak} noValidate>
          <label className="field">
            <span>{t('admin.commands.message')}</span>
            <input value={message} maxLength={200} onChange={(e) => setMessage(e.target.value)} />
          </label>
          <label className="field field--narrow">
            <span>{t('admin.commands.repeat')}</span>
            <select value={repeat} onChange={(e) => setRepeat(e.target.value)}>
              {[1, 2, 3, 4, 5].map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="button" disabled={busy}>
            {t('admin.commands.speak')}
          </button>
        </form>
      ) : null}
      {busy ? <p className="muted">{t('admin.commands.sending')}</p> : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      {last && !busy ? <Outcome command={last} onCheck={() => void checkAgain(last.requestId)} /> : null}
      <h3>{t('admin.commands.recent')}</h3>
      {recent.data && recent.data.items.length === 0 ? <p className="muted">{t('admin.commands.none')}</p> : null}
      {recent.data && recent.data.items.length > 0 ? (
        <table className="data-table data-table--compact" data-testid="recent-commands">
          <tbody>
            {recent.data.items.map((command) => (
              <tr key={command.requestId}>
                <td>{formatDateTime(command.issuedAt, locale)}</td>
                <td>{t(`admin.commands.names.${command.name}`)}</td>
                <td>{summary(command, t)}</td>
                <td className="muted">{command.issuedBy?.username ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}

type Translate = ReturnType<typeof useTranslation>['t'];

/** One line for a command: its status, and the device's answer when there is one. */
function summary(command: DeviceCommandRecord, t: Translate): string {
  const status = t(`admin.commands.status.${command.status}`);
  if (command.ok === true) return `${status} · ${command.result?.message ?? t('admin.commands.done')}`;
  if (command.ok === false || command.error) return `${status} · ${command.error ?? ''}`;
  return status;
}

function Outcome({ command, onCheck }: { command: DeviceCommandRecord; onCheck: () => void }) {
  const { t } = useTranslation();
  return (
    <div className="notice" role="status" data-testid="command-outcome" data-status={command.status}>
      <p>
        <strong>{t(`admin.commands.names.${command.name}`)}</strong> · {summary(command, t)}
      </p>
      {command.result?.imageRef ? (
        <p>
          {t('admin.commands.image')}: <code>{command.result.imageRef}</code>
        </p>
      ) : null}
      {command.status === 'pending' ? (
        <button type="button" className="button" onClick={onCheck}>
          {t('admin.commands.checkAgain')}
        </button>
      ) : null}
    </div>
  );
}
