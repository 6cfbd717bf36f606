import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { LanguageSwitch } from '../components/language-switch';
import { useHubApi, useSessionStore } from '../context/session-context';
import { errorText } from '../utils/error-text';

/** Name and password; the hub's answer (wrong password, locked for a while) is shown as it says it. */
export default function SignInPage() {
  const { t } = useTranslation();
  const api = useHubApi();
  const session = useSessionStore();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!username.trim() || !password) {
      setError(t('auth.required'));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      session.accept(await api.auth.signIn(username.trim(), password));
    } catch (caught) {
      setError(errorText(caught, t('auth.failed')));
      setBusy(false);
    }
  }

  return (
    <main className="sign-in" id="main-content">
      <form
        className="sign-in__form"
        onSubmit={(event) => void submit(event)}
        noValidate
        aria-labelledby="sign-in-title"
      >
        <div className="sign-in__brand">
          <h1 id="sign-in-title">{t('app.title')}</h1>
          <p>{t('app.subtitle')}</p>
        </div>
        <label className="field">
          <span>{t('auth.username')}</span>
          <input
            name="username"
            autoComplete="username"
            autoFocus
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            aria-invalid={error ? true : undefined}
          />
        </label>
        <label className="field">
          <span>{t('auth.password')}</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            aria-invalid={error ? true : undefined}
          />
        </label>
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? t('auth.signingIn') : t('auth.signIn')}
        </button>
        <LanguageSwitch />
      </form>
    </main>
  );
}
