import type { MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useHubApi, useSessionStore, useSignedInUser } from '../context/session-context';
import { useHashPath } from '../hooks/use-hash-path';
import { findRoute, routesFor } from '../routes';
import { hrefForPath } from '../utils/hash-path';
import { ConnectionIndicator } from './connection-indicator';
import { LanguageSwitch } from './language-switch';

export function AppHeader() {
  const { t } = useTranslation();
  const path = useHashPath();
  const user = useSignedInUser();
  const session = useSessionStore();
  const api = useHubApi();
  const current = findRoute(path, user.role);

  async function signOut() {
    const refreshToken = session.snapshot()?.refreshToken;
    // The hub ends the session (and closes its sockets); signed out here whatever it answers.
    await api.auth.signOut(refreshToken).catch(() => undefined);
    session.clear();
  }

  return (
    <header className="app-header">
      <a className="skip-link" href="#main-content" onClick={focusMainContent}>
        {t('app.skipToContent')}
      </a>
      <div className="app-header__brand">
        <span className="app-header__title">{t('app.title')}</span>
        <span className="app-header__subtitle">{t('app.subtitle')}</span>
      </div>
      <nav className="app-header__nav" aria-label={t('nav.label')}>
        {routesFor(user.role).map((route) => (
          <a key={route.path} href={hrefForPath(route.path)} aria-current={route === current ? 'page' : undefined}>
            {t(`nav.${route.navKey}`)}
          </a>
        ))}
      </nav>
      <div className="app-header__status">
        <ConnectionIndicator />
        <LanguageSwitch />
        <p className="app-header__user" data-testid="current-user">
          <span>{user.displayName || user.username}</span>
          <span className="app-header__role">{t(`roles.${user.role}`)}</span>
        </p>
        <button type="button" className="button button--quiet" onClick={() => void signOut()}>
          {t('auth.signOut')}
        </button>
      </div>
    </header>
  );
}

/** The hash holds the route, so the skip link moves focus itself instead of following its anchor. */
function focusMainContent(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  document.getElementById('main-content')?.focus();
}
