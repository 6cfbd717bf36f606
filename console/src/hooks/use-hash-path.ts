import { useSyncExternalStore } from 'react';
import { pathFromHash } from '../utils/hash-path';

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

function currentPath(): string {
  return pathFromHash(window.location.hash);
}

/** The page path the URL's hash names, e.g. `/live`. */
export function useHashPath(): string {
  return useSyncExternalStore(subscribe, currentPath);
}
