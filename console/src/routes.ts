import type { Role } from '@citywatch/protocol';
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Messages } from './i18n/locales/zh-CN';

export interface AppRoute {
  path: string;
  /** Its name in the navigation, under `nav.` in the messages. */
  navKey: Exclude<keyof Messages['nav'], 'label'>;
  /** Who sees it (the hub refuses the others anyway; the console does not offer it). */
  roles: readonly Role[];
  /** Loaded on first visit, so each page's code arrives only when it is opened. */
  Page: LazyExoticComponent<ComponentType>;
}

const ALL: readonly Role[] = ['admin', 'operator', 'traffic_police', 'department_member', 'viewer'];
const PASSAGE_VIEWERS: readonly Role[] = ['admin', 'operator', 'traffic_police', 'viewer'];

export const ROUTES: readonly AppRoute[] = [
  { path: '/alerts', navKey: 'alerts', roles: ALL, Page: lazy(() => import('./pages/alerts-page')) },
  { path: '/live', navKey: 'live', roles: PASSAGE_VIEWERS, Page: lazy(() => import('./pages/live-page')) },
  { path: '/devices', navKey: 'devices', roles: ALL, Page: lazy(() => import('./pages/devices-page')) },
  {
    path: '/checkpoints',
    navKey: 'checkpoints',
    roles: ['admin', 'traffic_police'],
    Page: lazy(() => import('./pages/checkpoints-page')),
  },
  { path: '/dashboards', navKey: 'dashboards', roles: ALL, Page: lazy(() => import('./pages/dashboards-page')) },
  {
    path: '/watchlists',
    navKey: 'watchlists',
    roles: ['admin', 'operator', 'traffic_police'],
    Page: lazy(() => import('./pages/watchlists-page')),
  },
  { path: '/admin', navKey: 'admin', roles: ['admin'], Page: lazy(() => import('./pages/admin-page')) },
];

export function routesFor(role: Role): AppRoute[] {
  return ROUTES.filter((route) => route.roles.includes(role));
}

/** The first page a role lands on: traffic police start at the search, everyone else at the alert wall. */
export function defaultRouteFor(role: Role): AppRoute {
  return role === 'traffic_police' ? ROUTES.find((r) => r.path === '/checkpoints')! : ROUTES[0]!;
}

/** The route a path names, when the role may open it. Sub-paths (`/devices/<id>`) belong to their page. */
export function findRoute(path: string, role: Role): AppRoute | undefined {
  return routesFor(role).find((route) => path === route.path || path.startsWith(`${route.path}/`));
}
