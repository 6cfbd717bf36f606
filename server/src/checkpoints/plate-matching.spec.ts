import { describe, expect, it } from 'vitest';
import {
  PlateInputError,
  checkPlate,
  compilePattern,
  confusionKey,
  editDistance,
  fuzzyCandidateKeys,
  fuzzyDistance,
} from './plate-matching';

describe('plate matching', () => {
  it('normalises the OCR confusions 0/D/Q/O, 8/B, 1/I, 2/Z, 5/S, 6/G to one key', () => {
    expect(confusionKey('黑AD8I2S')).toBe(confusionKey('黑A08125'));
    expect(confusionKey('黑AQBIZ5')).toBe('黑A08125');
    expect(confusionKey('黑AG0000')).toBe('黑A60000');
  });

  it('accepts confusions and one missing or extra character as fuzzy, nothing else', () => {
    expect(fuzzyDistance('黑A0B123', '黑AD8123')).toBe(2);
    expect(fuzzyDistance('黑A1234', '黑A12345')).toBe(1);
    expect(fuzzyDistance('黑A123456', '黑A12345')).toBe(1);
    expect(fuzzyDistance('黑AI2345', '黑A12345')).toBe(1);
    expect(fuzzyDistance('黑AI234', '黑A12345')).toBe(2);
    expect(fuzzyDistance('黑A12346', '黑A12345')).toBeNull();
    expect(fuzzyDistance('黑A123', '黑A12345')).toBeNull();
    expect(fuzzyDistance('黑A21345', '黑A12345')).toBeNull();
  });

  it('lists candidate keys covering every fuzzy match', () => {
    const keys = new Set(fuzzyCandidateKeys('黑A1234'));
    for (const plate of ['黑A12345', '黑AI234', '黑A1Z34', '黑A124', '黑A71234', '吉A1234']) {
      expect(keys.has(confusionKey(plate)), plate).toBe(fuzzyDistance('黑A1234', plate) !== null);
    }
    expect(keys.has(confusionKey('黑A12345'))).toBe(true);
  });

  it('measures edit distance', () => {
    expect(editDistance('黑A12345', '黑A12345')).toBe(0);
    expect(editDistance('黑A12345', '黑A1245')).toBe(1);
    expect(editDistance('黑A12345', '黑B12354')).toBe(3);
  });

  it('compiles wildcard patterns to a regex and a LIKE pattern', () => {
    const pattern = compilePattern('黑a?23*');
    expect(pattern.like).toBe('黑A_23%');
    expect(pattern.regex.test('黑AB2345')).toBe(true);
    expect(pattern.regex.test('黑AB23')).toBe(true);
    expect(pattern.regex.test('黑A23')).toBe(false);
    expect(pattern.regex.test('吉AB2345')).toBe(false);
    expect(pattern.literalRuns).toEqual(['黑A', '23']);
  });

  it('refuses malformed patterns and plates with a reason', () => {
    expect(() => compilePattern('*')).toThrow(/at least 2 fixed characters/);
    expect(() => compilePattern('黑A%12')).toThrow(PlateInputError);
    expect(() => compilePattern('黑A[12]')).toThrow(/neither plate characters/);
    expect(() => checkPlate('黑A12-45', 'exact')).toThrow(/characters no plate has: -/);
    expect(() => checkPlate('黑A?2345', 'exact')).toThrow(/plateMatch=wildcard/);
    expect(() => checkPlate('黑A1', 'fuzzy')).toThrow(/5 to 9 characters/);
    expect(checkPlate(' 黑a12345 ', 'exact')).toBe('黑A12345');
    expect(checkPlate('无牌', 'exact')).toBe('无牌');
  });
});
