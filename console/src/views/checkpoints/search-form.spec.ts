import { describe, expect, it } from 'vitest';
import { EMPTY_SEARCH, checkSearch, toSearchQuery } from './search-form';

describe('search form', () => {
  it('sends only the filters that are set, lists comma-separated', () => {
    const query = toSearchQuery(
      {
        ...EMPTY_SEARCH,
        plate: ' 黑A?23* ',
        plateMatch: 'wildcard',
        tollgateId: ['TG-1', 'TG-2'],
        laneNo: '1, 2',
        speedMin: '0',
      },
      'abc',
    );
    expect(query).toEqual({
      plate: '黑A?23*',
      plateMatch: 'wildcard',
      tollgateId: 'TG-1,TG-2',
      laneNo: '1,2',
      speedMin: 0,
      cursor: 'abc',
      limit: 50,
    });
    expect(Object.values(toSearchQuery(EMPTY_SEARCH)).filter((v) => v !== undefined)).toEqual([50]);
  });

  it('refuses bad lanes, speeds and time ranges', () => {
    expect(checkSearch({ ...EMPTY_SEARCH, laneNo: '1;2' })).toEqual(['laneNo']);
    expect(checkSearch({ ...EMPTY_SEARCH, speedMin: '80', speedMax: '40' })).toEqual(['speed']);
    expect(checkSearch({ ...EMPTY_SEARCH, from: '2026-11-27T10:00', to: '2026-11-27T09:00' })).toEqual(['range']);
    expect(checkSearch(EMPTY_SEARCH)).toEqual([]);
  });
});
