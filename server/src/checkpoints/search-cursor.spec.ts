import { describe, expect, it } from 'vitest';
import { CursorError, decodeCursor, encodeCursor, filterFingerprint } from './search-cursor';

describe('search cursors', () => {
  const keyset = { passUs: '1795766400123456', eventId: 'e-1', asOfUs: '1795766500000000' };

  it('round-trips and ignores key order and paging fields in the fingerprint', () => {
    const a = filterFingerprint({ plate: '黑A12345', tollgateId: 'TG-1', limit: 50 });
    const b = filterFingerprint({ tollgateId: 'TG-1', plate: '黑A12345', cursor: 'x', limit: 10 });
    expect(a).toBe(b);
    expect(decodeCursor(encodeCursor(keyset, a), b)).toEqual(keyset);
  });

  it('refuses a cursor of another filter or one it never made', () => {
    const cursor = encodeCursor(keyset, filterFingerprint({ plate: '黑A12345' }));
    expect(() => decodeCursor(cursor, filterFingerprint({ plate: '黑A99999' }))).toThrow(/another filter/);
    expect(() => decodeCursor('bm9wZQ', 'x')).toThrow(CursorError);
    const forged = Buffer.from(JSON.stringify({ t: '1; DROP', e: 'x', a: '1', f: 'x' })).toString('base64url');
    expect(() => decodeCursor(forged, 'x')).toThrow(/not one this hub gave out/);
  });
});
