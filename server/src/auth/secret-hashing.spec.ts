import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  UNUSABLE_PASSWORD_HASH,
  hashDeviceSecret,
  hashPassword,
  newDeviceSecret,
  verifyDeviceSecret,
  verifyPassword,
} from './secret-hashing';

const CHEAP = { logN: 10, r: 8, p: 1 };

describe('password hashing (scrypt)', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery', CHEAP);
    expect(hash).toMatch(/^scrypt\$10\$8\$1\$/);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
    expect(await verifyPassword('correct horse batterY', hash)).toBe(false);
  });

  it('salts each hash', async () => {
    expect(await hashPassword('same', CHEAP)).not.toBe(await hashPassword('same', CHEAP));
  });

  it('uses a memory-hard cost by default and reads its parameters from the hash', async () => {
    const hash = await hashPassword('default cost');
    expect(hash.startsWith('scrypt$16$8$1$')).toBe(true);
    expect(await verifyPassword('default cost', hash)).toBe(true);
  });

  it('refuses malformed hashes and matches nothing with the unusable one', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$40$8$1$AA==$AA==')).toBe(false);
    expect(await verifyPassword('', UNUSABLE_PASSWORD_HASH)).toBe(false);
  });
});

describe('device secrets (Mosquitto $7$)', () => {
  it('makes 256-bit secrets and verifies them', async () => {
    const secret = newDeviceSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const hash = await hashDeviceSecret(secret);
    expect(hash).toMatch(/^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    expect(await verifyDeviceSecret(secret, hash)).toBe(true);
    expect(await verifyDeviceSecret(`${secret}x`, hash)).toBe(false);
  });

  it('reads hashes written by mosquitto_passwd', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'citywatch-passwd-'));
    try {
      execFileSync('mosquitto_passwd', ['-c', '-b', join(directory, 'passwd'), 'device', 'a-device-secret']);
      const hash = readFileSync(join(directory, 'passwd'), 'utf8').trim().split(':')[1]!;
      expect(await verifyDeviceSecret('a-device-secret', hash)).toBe(true);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
