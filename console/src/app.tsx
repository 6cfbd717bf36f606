import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { AppHeader } from './components/app-header';
import { AppRoutes } from './components/app-routes';
import { LiveStoreProvider } from './context/live-store-context';

export function App() {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = t('app.title');
  }, [t]);

  return (
    <LiveStoreProvider>
      <div className="app">
        <AppHeader />
        <main id="main-content" className="app__main" tabIndex={-1}>
          <AppRoutes />
        </main>
      </div>
    </LiveStoreProvider>
  );
}
