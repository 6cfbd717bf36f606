/** The console routes in the URL's hash (`/#/live`), so any static server, the hub included, serves every page. */
export function pathFromHash(hash: string): string {
  const path = hash.replace(/^#/, '').split('?')[0]!;
  return path.startsWith('/') ? path : `/${path}`;
}

export function hrefForPath(path: string): string {
  return `#${path}`;
}

/** The part of the path after a page's own (`/devices/123` under `/devices` is `123`), or undefined. */
export function subPath(path: string, base: string): string | undefined {
  if (!path.startsWith(`${base}/`)) return undefined;
  const rest = decodeURIComponent(path.slice(base.length + 1));
  return rest === '' ? undefined : rest;
}
