import { describe, expect, it } from 'vitest';
import { formatPlateNumber, unreadablePlateKey } from './plate';

describe('plates', () => {
  it('writes the dot after the province and office letter', () => {
    expect(formatPlateNumber('黑A12345')).toBe('黑A·12345');
    expect(formatPlateNumber('黑AD12345')).toBe('黑A·D12345');
  });

  it('names the unreadable plates and leaves real ones alone', () => {
    expect(unreadablePlateKey('无牌')).toBe('noPlate');
    expect(unreadablePlateKey('未识别')).toBe('unrecognised');
    expect(unreadablePlateKey('黑A12345')).toBeUndefined();
    expect(unreadablePlateKey('toString')).toBeUndefined();
  });
});
