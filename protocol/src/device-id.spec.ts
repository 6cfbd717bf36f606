import { describe, expect, it } from 'vitest';
import {
  DEVICE_KINDS,
  DEVICE_TYPE_CODES,
  PINGFANG_REGION_CODE,
  deviceKindOfId,
  isDeviceId,
  makeDeviceId,
  parseDeviceId,
  type DeviceKind,
} from './device-id';

describe('makeDeviceId', () => {
  it('lays out region, basic unit, industry, type, network flag and serial', () => {
    expect(makeDeviceId({ kind: 'checkpoint', serial: 1 })).toBe('23010800001210000001');
    expect(
      makeDeviceId({ regionCode: '110105', basicUnit: 7, kind: 'face_checkpoint', serial: 999_999, networkFlag: 1 }),
    ).toBe('11010507001331999999');
  });

  it.each(DEVICE_KINDS)('round-trips a %s through parseDeviceId and deviceKindOfId', (kind) => {
    const id = makeDeviceId({ kind, serial: 1234, basicUnit: 99 });
    expect(isDeviceId(id)).toBe(true);
    expect(parseDeviceId(id)).toEqual({
      regionCode: PINGFANG_REGION_CODE,
      basicUnit: '99',
      industryCode: '00',
      typeCode: DEVICE_TYPE_CODES[kind],
      networkFlag: '0',
      serial: '001234',
    });
    expect(deviceKindOfId(id)).toBe(kind);
  });

  it('gives every kind its own type code', () => {
    expect(new Set(Object.values(DEVICE_TYPE_CODES)).size).toBe(DEVICE_KINDS.length);
  });

  it.each([
    [{ regionCode: '23010', kind: 'checkpoint', serial: 1 }, /region code must be 6 digits, got "23010"/],
    [{ regionCode: '2301O8', kind: 'checkpoint', serial: 1 }, /region code must be 6 digits/],
    [{ basicUnit: 100, kind: 'checkpoint', serial: 1 }, /basic unit must be 0-99, got 100/],
    [{ basicUnit: -1, kind: 'checkpoint', serial: 1 }, /basic unit must be 0-99, got -1/],
    [{ basicUnit: 1.5, kind: 'checkpoint', serial: 1 }, /basic unit must be 0-99, got 1.5/],
    [{ kind: 'checkpoint', serial: 1_000_000 }, /serial must be 0-999999, got 1000000/],
    [{ kind: 'checkpoint', serial: -1 }, /serial must be 0-999999, got -1/],
    [{ kind: 'checkpoint', serial: 2.5 }, /serial must be 0-999999, got 2.5/],
    [
      { kind: 'drone', serial: 1 },
      /kind must be one of hd_camera, checkpoint, long_range, face_checkpoint, got "drone"/,
    ],
    [{ kind: 'toString', serial: 1 }, /kind must be one of/],
    [{ kind: 'checkpoint', serial: 1, networkFlag: 2 }, /network flag must be 0 or 1, got 2/],
  ])('refuses %o with a RangeError', (options, message) => {
    expect(() => makeDeviceId(options as Parameters<typeof makeDeviceId>[0])).toThrow(RangeError);
    expect(() => makeDeviceId(options as Parameters<typeof makeDeviceId>[0])).toThrow(message);
  });

  it('accepts the edges of every range', () => {
    expect(makeDeviceId({ kind: 'hd_camera', serial: 0, basicUnit: 0 })).toBe('23010800001320000000');
    expect(makeDeviceId({ kind: 'long_range', serial: 999_999, basicUnit: 99, networkFlag: 1 })).toBe(
      '23010899001311999999',
    );
  });
});

describe('parseDeviceId and deviceKindOfId', () => {
  it.each(['', '2301080000121000000', '230108000012100000011', '2301080000121000000A', ' 23010800001210000001', 42])(
    'refuse %o with a RangeError naming the value',
    (id) => {
      expect(isDeviceId(id)).toBe(false);
      expect(() => parseDeviceId(id as string)).toThrow(RangeError);
      expect(() => parseDeviceId(id as string)).toThrow(`device id must be 20 digits, got "${String(id)}"`);
      expect(() => deviceKindOfId(id as string)).toThrow(RangeError);
    },
  );

  it('returns undefined for a well-formed id with a type code the project does not use', () => {
    const id = '23010800001110000001';
    expect(parseDeviceId(id).typeCode).toBe('111');
    expect(deviceKindOfId(id)).toBeUndefined();
  });

  it('reads ids from other regions and units', () => {
    expect(parseDeviceId('44030512001311000077')).toEqual({
      regionCode: '440305',
      basicUnit: '12',
      industryCode: '00',
      typeCode: '131',
      networkFlag: '1',
      serial: '000077',
    });
    expect(deviceKindOfId('44030512001311000077')).toBe<DeviceKind>('long_range');
  });
});
