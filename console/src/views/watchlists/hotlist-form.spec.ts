import type { HotlistEntry } from '@citywatch/protocol';
import { describe, expect, it } from 'vitest';
import { EMPTY_HOTLIST_FORM, checkHotlistForm, hotlistBody, hotlistFormFrom } from './hotlist-form';

const entry: HotlistEntry = {
  id: '3',
  plate: '黑A12345',
  kind: 'exact',
  category: 'stolen',
  priority: 1,
  reason: '被盗车辆',
  validFrom: '2026-01-01T08:00:30.000Z',
  validUntil: '2026-12-31T16:00:00.000Z',
  tollgateIds: [],
  fuzzy: true,
  createdBy: 'admin',
  createdAt: '2026-01-01T08:00:30.000Z',
  updatedAt: '2026-01-01T08:00:30.000Z',
};

describe('hotlist entry form', () => {
  it('replaces the entry with what the form holds, times left alone as the hub gave them', () => {
    const values = hotlistFormFrom(entry);
    expect(checkHotlistForm(values, true)).toEqual({});
    expect(hotlistBody(values, entry)).toEqual({
      plate: '黑A12345',
      category: 'stolen',
      priority: 1,
      reason: '被盗车辆',
      validFrom: entry.validFrom,
      validUntil: entry.validUntil,
      tollgateIds: [],
      fuzzy: true,
    });
    const edited = hotlistBody(
      {
        ...values,
        plate: ' 黑A?23* ',
        category: 'suspect',
        priority: 2,
        validUntil: '',
        scope: 'chosen',
        tollgateIds: ['TG-1', 'TG-2'],
        fuzzy: false,
      },
      entry,
    );
    expect(edited).toMatchObject({
      plate: '黑A?23*',
      category: 'suspect',
      priority: 2,
      validFrom: entry.validFrom,
      validUntil: undefined,
      tollgateIds: ['TG-1', 'TG-2'],
      fuzzy: false,
    });
  });

  it('sends an empty scope for all tollgates, whatever was chosen before', () => {
    const body = hotlistBody({ ...EMPTY_HOTLIST_FORM, plate: '黑B11111', reason: 'x', tollgateIds: ['TG-1'] });
    expect(body.tollgateIds).toEqual([]);
    expect(body.validFrom).toBeUndefined();
  });

  it('says which field is wrong', () => {
    expect(checkHotlistForm({ ...EMPTY_HOTLIST_FORM, plate: '黑', reason: ' ' }, false)).toEqual({
      plate: 'watchlists.plateInvalid',
      reason: 'watchlists.reasonRequired',
    });
    expect(checkHotlistForm({ ...EMPTY_HOTLIST_FORM, plate: '黑??*', reason: 'x' }, false)).toEqual({
      plate: 'watchlists.patternTooLoose',
    });
    const values = hotlistFormFrom(entry);
    expect(checkHotlistForm({ ...values, validFrom: '' }, true)).toEqual({ validFrom: 'watchlists.validFromRequired' });
    expect(checkHotlistForm({ ...values, validUntil: '2025-01-01T00:00' }, true)).toEqual({
      validUntil: 'watchlists.validRange',
    });
    expect(checkHotlistForm({ ...values, scope: 'chosen', tollgateIds: [] }, true)).toEqual({
      tollgateIds: 'watchlists.scopeEmpty',
    });
  });
});
