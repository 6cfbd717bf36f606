import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: ScryptOptions,
) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

/**
 * scrypt cost for people's passwords: N = 2^16, r = 8 (64 MiB and about 0.2 s per hash on one core here).
 * The parameters are written into each hash, so raising them later leaves older hashes readable.
 */
export const PASSWORD_COST = { logN: 16, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

/** Hashes a person's password with scrypt (memory-hard): `scrypt$<logN>$<r>$<p>$<salt>$<hash>`, base64. */
export async function hashPassword(password: string, cost: { logN: number; r: number; p: number } = PASSWORD_COST) {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize('NFC'), salt, KEY_LENGTH, scryptOptions(cost));
  return `scrypt$${cost.logN}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` matches a hash from `hashPassword`; false for anything malformed. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![logN, r, p].every(Number.isInteger) || logN < 10 || logN > 22 || r < 1 || r > 32 || p < 1 || p > 16)
    return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const actual = await scryptAsync(password.normalize('NFC'), salt, expected.length, scryptOptions({ logN, r, p }));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function scryptOptions(cost: { logN: number; r: number; p: number }): ScryptOptions {
  const N = 2 ** cost.logN;
  return { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r + 16 * 1024 * 1024 };
}

/** A hash in the same format that nothing matches, so an unknown user name costs as much as a known one. */
export const UNUSABLE_PASSWORD_HASH = `scrypt$${PASSWORD_COST.logN}$${PASSWORD_COST.r}$${PASSWORD_COST.p}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEY_LENGTH).toString('base64')}`;

/**
 * Device secrets are 256-bit random values, so a slow hash adds nothing; they are kept as PBKDF2-SHA512
 * with 101 rounds in Mosquitto's `$7$` format, so the very same string goes into a Mosquitto password file.
 */
const MOSQUITTO_ITERATIONS = 101;

export async function hashDeviceSecret(secret: string): Promise<string> {
  const salt = randomBytes(12);
  const key = await pbkdf2Async(secret, salt, MOSQUITTO_ITERATIONS, 64, 'sha512');
  return `$7$${MOSQUITTO_ITERATIONS}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyDeviceSecret(secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 5 || parts[1] !== '7') return false;
  const iterations = Number(parts[2]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) return false;
  const expected = Buffer.from(parts[4]!, 'base64');
  const actual = await pbkdf2Async(secret, Buffer.from(parts[3]!, 'base64'), iterations, expected.length, 'sha512');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** A new device secret: 32 random bytes, base64url (43 characters, safe in any config file). */
export function newDeviceSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** An opaque random token (refresh tokens, generated keys). */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** SHA-256 of a high-entropy token, hex: how refresh tokens are kept. */
export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
