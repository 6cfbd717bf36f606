import { Suspense, useEffect } from 'react';
import { useSignedInUser } from '../context/session-context';
import { useHashPath } from '../hooks/use-hash-path';
import { defaultRouteFor, findRoute } from '../routes';
import { hrefForPath } from '../utils/hash-path';
import { PageLoading } from './page-loading';

/** Shows the page the URL names; an unknown path, or one the role may not open, goes to the role's first page. */
export function AppRoutes() {
  const user = useSignedInUser();
  const path = useHashPath();
  const route = findRoute(path, user.role);
  const fallback = defaultRouteFor(user.role);

  useEffect(() => {
    if (!route) window.location.replace(hrefForPath(fallback.path));
  }, [route, fallback]);

  const { Page } = route ?? fallback;
  return (
    <Suspense fallback={<PageLoading />}>
      <Page />
    </Suspense>
  );
}
