import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Messages } from './i18n/locales/zh-CN';

export interface AppRoute {
  path: string;
  /** Its name in the navigation, under `nav.` in the messages. */
  navKey: Exclude<keyof Messages['nav'], 'label'>;
  /** Loaded on first visit, so each page's code arrives only when it is opened. */
  Page: LazyExoticComponent<ComponentType>;
}

export const ROUTES: readonly AppRoute[] = [
  { path: '/live', navKey: 'live', Page: lazy(() => import('./pages/live-page')) },
];

export const DEFAULT_ROUTE = ROUTES[0];

export function findRoute(path: string): AppRoute | undefined {
  return ROUTES.find((route) => route.path === path);
}
