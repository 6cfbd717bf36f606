import { describe, expect, it } from 'vitest';
import { parseHotlistCsv, splitCsvLine } from './hotlist-csv';

describe('parseHotlistCsv', () => {
  it('reads entries by header name and reports bad lines on their own', () => {
    const rows = parseHotlistCsv(
      'plate,category,priority,reason,tollgateIds,fuzzy\n黑A12345,stolen,1,"case 7, theft",TG-1;TG-2,no\n黑A?23*,wanted,2,pattern,,\nX,stolen,1,short,,\n黑B11111,stolen,9,bad,,\n',
    );
    expect(rows).toHaveLength(4);
    expect(rows[0]!.body).toEqual({
      plate: '黑A12345',
      category: 'stolen',
      priority: 1,
      reason: 'case 7, theft',
      validFrom: undefined,
      validUntil: undefined,
      tollgateIds: ['TG-1', 'TG-2'],
      fuzzy: false,
    });
    expect(rows[1]!.body?.plate).toBe('黑A?23*');
    expect(rows[2]).toEqual({ line: 4, problem: 'plate: 2 to 12 characters' });
    expect(rows[3]!.problem).toMatch(/priority/);
  });

  it('needs a header naming the plate column', () => {
    expect(parseHotlistCsv('黑A12345,stolen')[0]!.problem).toMatch(/plate/);
  });

  it('splits quoted cells', () => {
    expect(splitCsvLine('a,"b, c","d ""e"""')).toEqual(['a', 'b, c', 'd "e"']);
  });
});
