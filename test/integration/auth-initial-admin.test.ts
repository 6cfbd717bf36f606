import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage } from '@citywatch/protocol';
import { signIn, startInProcessHub, type InProcessHub } from '../support/hub';

describe('the first administrator without ADMIN_PASSWORD', () => {
  const username = 'chief';
  let dataDir: string;
  let hub: InProcessHub | undefined;
  const file = () => join(dataDir, 'initial-admin-password');
  // An empty ADMIN_PASSWORD counts as unset (the tests' hubs otherwise get one).
  const start = (env: Record<string, string> = {}) =>
    startInProcessHub({ DATA_DIR: dataDir, ADMIN_USERNAME: username, ADMIN_PASSWORD: '', ...env });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-first-admin-'));
    hub = await start();
  });

  afterAll(async () => {
    await hub?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes a random password to DATA_DIR/initial-admin-password, readable by the hub’s user only', () => {
    const stat = statSync(file());
    expect(stat.isFile()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    const password = readFileSync(file(), 'utf8');
    expect(password).toMatch(/^\S{20,}\n$/);
  });

  it('signs the administrator in with that password, and audits the creation', async () => {
    const password = readFileSync(file(), 'utf8').trim();
    const pair = await signIn(hub!.httpUrl, username, password);
    expect(pair.user).toMatchObject({ username, role: 'admin' });
    await expect(signIn(hub!.httpUrl, username, `${password}x`)).rejects.toThrow(/401/);
    const audit = (await (
      await fetch(`${hub!.httpUrl}/api/audit?action=users.create`, {
        headers: { authorization: `Bearer ${pair.accessToken}` },
      })
    ).json()) as AuditPage;
    expect(audit.items).toEqual([
      expect.objectContaining({ actorUsername: null, details: { username, role: 'admin', reason: 'first start' } }),
    ]);
    expect(JSON.stringify(audit)).not.toContain(password);
  });

  it('makes a different password on another first start', async () => {
    const other = mkdtempSync(join(tmpdir(), 'citywatch-first-admin-'));
    try {
      const second = await startInProcessHub({ DATA_DIR: other, ADMIN_USERNAME: username, ADMIN_PASSWORD: '' });
      await second.stop();
      expect(readFileSync(join(other, 'initial-admin-password'), 'utf8')).not.toBe(readFileSync(file(), 'utf8'));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('leaves the account and the file alone on later starts, ADMIN_PASSWORD or not', async () => {
    const password = readFileSync(file(), 'utf8');
    const written = statSync(file()).mtimeMs;
    await hub!.stop();
    hub = undefined;
    hub = await start({ ADMIN_PASSWORD: 'a-later-password-that-is-ignored' });
    expect(readFileSync(file(), 'utf8')).toBe(password);
    expect(statSync(file()).mtimeMs).toBe(written);
    await expect(signIn(hub.httpUrl, username, 'a-later-password-that-is-ignored')).rejects.toThrow(/401/);
    expect((await signIn(hub.httpUrl, username, password.trim())).user.role).toBe('admin');
  });
});
