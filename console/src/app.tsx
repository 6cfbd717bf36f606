import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { AlertSound } from './components/alert-sound';
import { AppHeader } from './components/app-header';
import { AppRoutes } from './components/app-routes';
import { LiveStoreProvider } from './context/live-store-context';
import { SessionProvider, useCurrentUser } from './context/session-context';
import SignInPage from './pages/sign-in-page';

export function App() {
  const { t } = useTranslation();
  useEffect(() => {
    document.title = t('app.title');
  }, [t]);

  return (
    <SessionProvider>
      <SignedInGate />
    </SessionProvider>
  );
}

/** Signed out: the sign-in page. Signed in: the console, with its one live connection. */
function SignedInGate() {
  const user = useCurrentUser();
  if (!user) return <SignInPage />;
  return (
    // Keyed by user, so signing in as someone else starts a fresh socket and store.
    <LiveStoreProvider key={user.id}>
      <div className="app">
        <AppHeader />
        <main id="main-content" className="app__main" tabIndex={-1}>
          <AppRoutes />
        </main>
        <AlertSound />
      </div>
    </LiveStoreProvider>
  );
}
