/**
 * Device identifiers in the GB/T 28181 / GA/T 1400 style: 20 decimal digits.
 *
 *   digits 1-8   centre code: 6-digit administrative region + 2-digit basic unit
 *   digits 9-10  industry code (we use 00, public security / social)
 *   digits 11-13 device type code
 *   digit  14    network flag (0 = public security video network, 1 = internet-facing)
 *   digits 15-20 serial number
 */
export const DEVICE_KINDS = ['hd_camera', 'checkpoint', 'long_range', 'face_checkpoint'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Type codes this project writes into digits 11-13 for each kind of device. */
export const DEVICE_TYPE_CODES: Readonly<Record<DeviceKind, string>> = {
  hd_camera: '132',
  checkpoint: '121',
  long_range: '131',
  face_checkpoint: '133',
};

/** Pingfang district, Harbin. */
export const PINGFANG_REGION_CODE = '230108';

export const DEVICE_ID_PATTERN = '^[0-9]{20}$';
const DEVICE_ID_REGEX = new RegExp(DEVICE_ID_PATTERN);

export interface DeviceIdParts {
  regionCode: string;
  basicUnit: string;
  industryCode: string;
  typeCode: string;
  networkFlag: string;
  serial: string;
}

export function isDeviceId(value: unknown): value is string {
  return typeof value === 'string' && DEVICE_ID_REGEX.test(value);
}

export function makeDeviceId(options: {
  regionCode?: string;
  basicUnit?: number;
  kind: DeviceKind;
  serial: number;
  networkFlag?: 0 | 1;
}): string {
  const region = options.regionCode ?? PINGFANG_REGION_CODE;
  if (!/^[0-9]{6}$/.test(region)) throw new RangeError(`region code must be 6 digits, got "${region}"`);
  const unit = options.basicUnit ?? 0;
  if (!Number.isInteger(unit) || unit < 0 || unit > 99) throw new RangeError(`basic unit must be 0-99, got ${unit}`);
  if (!Number.isInteger(options.serial) || options.serial < 0 || options.serial > 999_999) {
    throw new RangeError(`serial must be 0-999999, got ${options.serial}`);
  }
  // Callers in plain JavaScript (or with data from a file) can get past the types; never write "undefined" into an id.
  if (!Object.hasOwn(DEVICE_TYPE_CODES, options.kind)) {
    throw new RangeError(`kind must be one of ${DEVICE_KINDS.join(', ')}, got "${String(options.kind)}"`);
  }
  const networkFlag = options.networkFlag ?? 0;
  if (networkFlag !== 0 && networkFlag !== 1)
    throw new RangeError(`network flag must be 0 or 1, got ${String(networkFlag)}`);
  return (
    region +
    String(unit).padStart(2, '0') +
    '00' +
    DEVICE_TYPE_CODES[options.kind] +
    String(networkFlag) +
    String(options.serial).padStart(6, '0')
  );
}

export function parseDeviceId(id: string): DeviceIdParts {
  if (!isDeviceId(id)) throw new RangeError(`device id must be 20 digits, got "${id}"`);
  return {
    regionCode: id.slice(0, 6),
    basicUnit: id.slice(6, 8),
    industryCode: id.slice(8, 10),
    typeCode: id.slice(10, 13),
    networkFlag: id.slice(13, 14),
    serial: id.slice(14, 20),
  };
}

export function deviceKindOfId(id: string): DeviceKind | undefined {
  const { typeCode } = parseDeviceId(id);
  return DEVICE_KINDS.find((kind) => DEVICE_TYPE_CODES[kind] === typeCode);
}
