import { ApiError } from '../api/api-error';

/** The hub's own message for a refused call (validation, wrong state, held by someone), or the fallback. */
export function errorText(caught: unknown, fallback: string): string {
  if (caught instanceof ApiError) {
    if (caught.kind === 'network') return fallback;
    const body = caught.body as { message?: unknown } | undefined;
    if (typeof body?.message === 'string') return body.message;
    if (Array.isArray(body?.message)) return body.message.join('; ');
    return caught.message;
  }
  return caught instanceof Error ? caught.message : fallback;
}
