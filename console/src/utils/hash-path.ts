/** The console routes in the URL's hash (`/#/live`), so any static server, the hub included, serves every page. */
export function pathFromHash(hash: string): string {
  const path = hash.replace(/^#/, '');
  return path.startsWith('/') ? path : `/${path}`;
}

export function hrefForPath(path: string): string {
  return `#${path}`;
}
