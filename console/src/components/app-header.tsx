import type { MouseEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useHashPath } from '../hooks/use-hash-path';
import { ROUTES } from '../routes';
import { hrefForPath } from '../utils/hash-path';
import { ConnectionIndicator } from './connection-indicator';
import { LanguageSwitch } from './language-switch';

export function AppHeader() {
  const { t } = useTranslation();
  const path = useHashPath();
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
        {ROUTES.map((route) => (
          <a key={route.path} href={hrefForPath(route.path)} aria-current={route.path === path ? 'page' : undefined}>
            {t(`nav.${route.navKey}`)}
          </a>
        ))}
      </nav>
      <div className="app-header__status">
        <ConnectionIndicator />
        <LanguageSwitch />
      </div>
    </header>
  );
}

/** The hash holds the route, so the skip link moves focus itself instead of following its anchor. */
function focusMainContent(event: MouseEvent<HTMLAnchorElement>) {
  event.preventDefault();
  document.getElementById('main-content')?.focus();
}
