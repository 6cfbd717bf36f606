import { Suspense, useEffect } from 'react';
import { useHashPath } from '../hooks/use-hash-path';
import { DEFAULT_ROUTE, findRoute } from '../routes';
import { hrefForPath } from '../utils/hash-path';
import { PageLoading } from './page-loading';

/** Shows the page the URL names; an unknown path goes to the default page. */
export function AppRoutes() {
  const path = useHashPath();
  const route = findRoute(path);

  useEffect(() => {
    if (!route) window.location.replace(hrefForPath(DEFAULT_ROUTE.path));
  }, [route]);

  const { Page } = route ?? DEFAULT_ROUTE;
  return (
    <Suspense fallback={<PageLoading />}>
      <Page />
    </Suspense>
  );
}
