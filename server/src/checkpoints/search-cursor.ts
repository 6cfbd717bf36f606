import { createHash } from 'node:crypto';
import type { Keyset } from './passages.repository';

/**
 * Opaque page cursors: where the next page starts (pass time in microseconds, event id), the snapshot time
 * of the first page, and a fingerprint of the filter, so a cursor is never applied to another search.
 */
export class CursorError extends Error {}

interface CursorBody {
  t: string;
  e: string;
  a: string;
  f: string;
}

/** A short fingerprint of the filter (key order does not matter; paging fields are left out). */
export function filterFingerprint(filter: Record<string, unknown>): string {
  const stable = Object.keys(filter)
    .filter((key) => key !== 'cursor' && key !== 'limit' && filter[key] !== undefined)
    .sort()
    .map((key) => [key, filter[key]]);
  return createHash('sha256').update(JSON.stringify(stable)).digest('base64url').slice(0, 12);
}

export function encodeCursor(keyset: Keyset, fingerprint: string): string {
  const body: CursorBody = { t: keyset.passUs, e: keyset.eventId, a: keyset.asOfUs, f: fingerprint };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(cursor: string, fingerprint: string): Keyset {
  let body: CursorBody;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorBody;
  } catch {
    throw new CursorError('cursor is not one this hub gave out; start the search again without it');
  }
  if (
    typeof body !== 'object' ||
    body === null ||
    !/^-?[0-9]{1,19}$/.test(String(body.t)) ||
    !/^[0-9]{1,19}$/.test(String(body.a)) ||
    typeof body.e !== 'string' ||
    body.e.length > 64
  ) {
    throw new CursorError('cursor is not one this hub gave out; start the search again without it');
  }
  if (body.f !== fingerprint) {
    throw new CursorError('cursor belongs to a search with another filter; start again without it');
  }
  return { passUs: body.t, eventId: body.e, asOfUs: body.a };
}
