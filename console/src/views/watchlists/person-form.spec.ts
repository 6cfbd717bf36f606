import type { WatchlistPerson } from '@citywatch/protocol';
import { describe, expect, it } from 'vitest';
import { EMPTY_PERSON_FORM, appendPersonFields, checkPersonForm, personFormFrom, personPatch } from './person-form';

const FACE_A = '23010852001320000001';
const FACE_B = '23010852001320000002';

const person: WatchlistPerson = {
  id: '7',
  name: '张三',
  idNumber: '230108199001011234',
  category: 'wanted',
  priority: 1,
  reason: '网上追逃',
  validFrom: '2026-01-01T08:00:30.000Z',
  validUntil: null,
  deviceIds: [FACE_A],
  enabled: true,
  active: true,
  photos: [],
  createdBy: 'admin',
  createdAt: '2026-01-01T08:00:30.000Z',
  updatedAt: '2026-01-01T08:00:30.000Z',
};

describe('person form', () => {
  it('sends nothing for an untouched person, and keeps the start of validity to the second', () => {
    const values = personFormFrom(person);
    expect(values.scope).toBe('chosen');
    expect(checkPersonForm(values, true)).toEqual({});
    expect(personPatch(person, values)).toEqual({});
  });

  it('sends only the changed fields; an emptied end is open-ended, an emptied ID number removed', () => {
    const withEnd = { ...person, validUntil: '2027-01-01T00:00:00.000Z' };
    const patch = personPatch(withEnd, {
      ...personFormFrom(withEnd),
      name: ' 张三丰 ',
      idNumber: '',
      category: 'missing',
      priority: 3,
      validUntil: '',
      scope: 'all',
      enabled: false,
    });
    expect(patch).toEqual({
      name: '张三丰',
      idNumber: null,
      category: 'missing',
      priority: 3,
      validUntil: null,
      deviceIds: [],
      enabled: false,
    });
    const moved = personPatch(person, {
      ...personFormFrom(person),
      deviceIds: [FACE_B, FACE_A],
      validFrom: '2026-02-01T09:30',
    });
    expect(moved.deviceIds).toEqual([FACE_B, FACE_A]);
    expect(moved.validFrom).toMatch(/^2026-02-01T09:30:00[+-]\d{2}:\d{2}$/);
    expect(Object.keys(moved)).toEqual(['validFrom', 'deviceIds']);
  });

  it('says which field is wrong', () => {
    const values = personFormFrom(person);
    expect(checkPersonForm({ ...values, name: ' ', reason: '', idNumber: '12 34' }, true)).toEqual({
      name: 'faces.nameRequired',
      reason: 'watchlists.reasonRequired',
      idNumber: 'faces.idNumberInvalid',
    });
    expect(checkPersonForm({ ...values, validFrom: '' }, true)).toEqual({ validFrom: 'watchlists.validFromRequired' });
    expect(checkPersonForm({ ...values, validFrom: '' }, false)).toEqual({});
    expect(checkPersonForm({ ...values, validFrom: '2026-03-01T10:00', validUntil: '2026-03-01T09:00' }, true)).toEqual(
      { validUntil: 'watchlists.validRange' },
    );
    const now = new Date('2026-03-01T12:00').getTime();
    expect(
      checkPersonForm({ ...EMPTY_PERSON_FORM, name: 'a', reason: 'b', validUntil: '2026-03-01T11:00' }, false, now),
    ).toEqual({ validUntil: 'watchlists.validUntilPast' });
    expect(checkPersonForm({ ...values, deviceIds: [] }, true)).toEqual({ deviceIds: 'faces.scopeEmpty' });
  });

  it('writes the enrolment text parts', () => {
    const form = new FormData();
    appendPersonFields(form, {
      ...EMPTY_PERSON_FORM,
      name: '李四',
      reason: '走失',
      category: 'missing',
      priority: 2,
      scope: 'chosen',
      deviceIds: [FACE_A, FACE_B],
      enabled: false,
    });
    expect(Object.fromEntries(form.entries())).toEqual({
      name: '李四',
      category: 'missing',
      priority: '2',
      reason: '走失',
      deviceIds: `${FACE_A},${FACE_B}`,
      enabled: 'false',
    });
  });
});
