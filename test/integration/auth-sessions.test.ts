import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { LIVE_NAMESPACE, type AuditPage, type TokenPair, type UserRecord } from '@citywatch/protocol';
import { AccessTokens } from '../../server/src/auth/access-tokens';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { adminHeaders, signIn, startInProcessHub, TEST_ADMIN, type InProcessHub } from '../support/hub';

const json = { 'content-type': 'application/json' };

describe('sign-in, tokens, sign-out, back-off and audit', () => {
  let hub: InProcessHub;
  let database: Database;

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${hub.httpUrl}${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(body) });
  const get = (path: string, token?: string) =>
    fetch(`${hub.httpUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const auditOf = async (query: string) =>
    (
      (await (
        await fetch(`${hub.httpUrl}/api/audit?${query}`, { headers: await adminHeaders(hub.httpUrl) })
      ).json()) as AuditPage
    ).items;

  async function createUser(username: string, role: string, extra: Record<string, unknown> = {}): Promise<UserRecord> {
    const response = await post(
      '/api/users',
      { username, displayName: username, role, password: `${username}-password`, ...extra },
      await adminHeaders(hub.httpUrl),
    );
    expect(response.status).toBe(201);
    return (await response.json()) as UserRecord;
  }

  beforeAll(async () => {
    hub = await startInProcessHub({
      AUTH_FAILED_SIGN_IN_LIMIT: '3',
      RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000',
      HTTP_BODY_LIMIT: '16kb',
    });
    database = hub.hub.app.get<Database>(DATABASE);
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('creates the first administrator from the environment and signs them in', async () => {
    const pair = await signIn(hub.httpUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    expect(pair.user).toMatchObject({ username: 'admin', role: 'admin', departmentId: null });
    const ttl = (Date.parse(pair.accessTokenExpiresAt) - Date.now()) / 1000;
    expect(ttl).toBeGreaterThan(800);
    expect(ttl).toBeLessThanOrEqual(900);
    const me = await get('/api/auth/me', pair.accessToken);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ username: 'admin', role: 'admin' });
    const stored = await database.query<{ password_hash: string }>(
      `SELECT password_hash FROM users WHERE username = 'admin'`,
    );
    expect(stored.rows[0]!.password_hash).toMatch(/^scrypt\$16\$8\$1\$/);
  });

  it('answers 401 without a token, with a forged token and with an expired one', async () => {
    expect((await get('/api/auth/me')).status).toBe(401);
    expect((await get('/api/auth/me', 'not.a.token')).status).toBe(401);
    const forged = await new AccessTokens('x'.repeat(48), 900).issue({
      userId: 'u',
      sessionId: 's',
      username: 'admin',
      role: 'admin',
      departmentId: null,
    });
    expect((await get('/api/auth/me', forged.token)).status).toBe(401);
    const key = await database.query<{ value: string }>(
      `SELECT value FROM hub_secrets WHERE name = 'access_token_key'`,
    );
    const pair = await signIn(hub.httpUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const claims = await new AccessTokens(key.rows[0]!.value, 900).verify(pair.accessToken);
    const old = await new AccessTokens(key.rows[0]!.value, 900).issue(claims, new Date(Date.now() - 3_600_000));
    const response = await get('/api/auth/me', old.token);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { message: string }).message).toMatch(/expired/);
  });

  it('refreshes with a rotating refresh token; a reused one ends the session', async () => {
    const first = await signIn(hub.httpUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const refreshed = await post('/api/auth/refresh', { refreshToken: first.refreshToken });
    expect(refreshed.status).toBe(200);
    const second = (await refreshed.json()) as TokenPair;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await get('/api/auth/me', second.accessToken)).status).toBe(200);
    const third = (await (await post('/api/auth/refresh', { refreshToken: second.refreshToken })).json()) as TokenPair;
    // `first` was replaced two rotations ago: whoever presents it copied it, so the session ends.
    expect((await post('/api/auth/refresh', { refreshToken: first.refreshToken })).status).toBe(401);
    expect((await post('/api/auth/refresh', { refreshToken: third.refreshToken })).status).toBe(401);
    await expect.poll(async () => (await get('/api/auth/me', third.accessToken)).status, { timeout: 8_000 }).toBe(401);
    expect(await auditOf('action=auth.refresh_reused')).toHaveLength(1);
  });

  it('signs out: the refresh token and the access token stop working, the socket closes', async () => {
    const pair = await signIn(hub.httpUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    const socket = io(`${hub.httpUrl}${LIVE_NAMESPACE}`, {
      transports: ['websocket'],
      auth: { token: pair.accessToken },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('hello', () => resolve());
      socket.once('connect_error', reject);
    });
    const disconnected = new Promise<void>((resolve) => socket.once('disconnect', () => resolve()));
    const out = await post(
      '/api/auth/sign-out',
      { refreshToken: pair.refreshToken },
      { authorization: `Bearer ${pair.accessToken}` },
    );
    expect(out.status).toBe(204);
    await disconnected;
    socket.close();
    expect((await get('/api/auth/me', pair.accessToken)).status).toBe(401);
    expect((await post('/api/auth/refresh', { refreshToken: pair.refreshToken })).status).toBe(401);
    expect((await auditOf('action=auth.sign_out')).length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a socket.io handshake without a valid token', async () => {
    for (const auth of [{}, { token: 'garbage' }]) {
      const socket = io(`${hub.httpUrl}${LIVE_NAMESPACE}`, { transports: ['websocket'], auth, reconnection: false });
      const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
      expect(error.message).toMatch(/sign in|not valid/);
      socket.close();
    }
  });

  it('slows brute force: after the limit every attempt waits, even with the right password', async () => {
    await createUser('brute.target', 'viewer');
    for (let i = 0; i < 2; i++) {
      expect((await post('/api/auth/sign-in', { username: 'brute.target', password: 'guess-guess' })).status).toBe(401);
    }
    const third = await post('/api/auth/sign-in', { username: 'brute.target', password: 'guess-guess' });
    expect(third.status).toBe(429);
    const locked = await post('/api/auth/sign-in', { username: 'brute.target', password: 'brute.target-password' });
    expect(locked.status).toBe(429);
    const body = (await locked.json()) as { message: string; retryAfterS: number };
    expect(body.retryAfterS).toBeGreaterThan(0);
    expect(body.retryAfterS).toBeLessThanOrEqual(30);
    // The same for a name that does not exist: the answers do not tell which names are real.
    for (let i = 0; i < 2; i++) {
      expect((await post('/api/auth/sign-in', { username: 'nobody.here', password: 'guess-guess' })).status).toBe(401);
    }
    expect((await post('/api/auth/sign-in', { username: 'nobody.here', password: 'guess-guess' })).status).toBe(429);
    const failures = await auditOf('action=auth.sign_in&outcome=failure&target=user:brute.target');
    expect(failures).toHaveLength(4);
    expect(failures[0]).toMatchObject({ outcome: 'failure', ip: expect.stringMatching(/127\.0\.0\.1/) });
  });

  it('audits sign-ins, user changes and exports with who, when, from where and what', async () => {
    const user = await createUser('audited.operator', 'operator');
    const headers = await adminHeaders(hub.httpUrl);
    const patched = await fetch(`${hub.httpUrl}/api/users/${user.id}`, {
      method: 'PATCH',
      headers: { ...json, ...headers },
      body: JSON.stringify({ role: 'viewer', password: 'a-brand-new-password' }),
    });
    expect(patched.status).toBe(200);
    await signIn(hub.httpUrl, 'audited.operator', 'a-brand-new-password');
    const records = await auditOf('actor=admin&action=users.*');
    const update = records.find((record) => record.action === 'users.update' && record.target === `user:${user.id}`);
    expect(update).toMatchObject({
      actorUsername: 'admin',
      outcome: 'success',
      details: { role: 'viewer', passwordChanged: true },
    });
    expect(JSON.stringify(update)).not.toContain('a-brand-new-password');
    expect(Date.parse(update!.at)).toBeGreaterThan(Date.now() - 60_000);
    const signIns = await auditOf('action=auth.sign_in&outcome=success&target=user:audited.operator');
    expect(signIns).toHaveLength(1);
    const csv = await fetch(`${hub.httpUrl}/api/audit.csv?action=users.*`, { headers });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const text = await csv.text();
    expect(text.split('\n')[0]).toBe('id,at,actor,actor_id,action,target,outcome,ip,details');
    expect(text).toContain('users.update');
    expect(await auditOf('action=audit.export')).toHaveLength(1);
  });

  it('keeps the audit log append-only in the database', async () => {
    await expect(database.query(`UPDATE audit_log SET action = 'x'`)).rejects.toThrow(/append-only/);
    await expect(database.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
  });

  it('answers oversized and malformed bodies with a 4xx and a message, and stores nothing', async () => {
    const headers = await adminHeaders(hub.httpUrl);
    const before = await database.query<{ count: string }>('SELECT count(*)::text AS count FROM users');
    const huge = await post(
      '/api/users',
      { username: 'too.big', displayName: 'x'.repeat(20_000), role: 'viewer', password: 'long-enough-password' },
      headers,
    );
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { message: string }).message).toMatch(/too large/);
    const broken = await fetch(`${hub.httpUrl}/api/users`, {
      method: 'POST',
      headers: { ...json, ...headers },
      body: '{"username": ',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { message: string }).message).toMatch(/not valid JSON/);
    const invalid = await post('/api/users', { username: 'bad name!', role: 'emperor', password: 'short' }, headers);
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { message: string }).message).toMatch(/username|role|password/);
    const noDepartment = await post(
      '/api/users',
      { username: 'dept.less', displayName: '', role: 'department_member', password: 'long-enough-password' },
      headers,
    );
    expect(noDepartment.status).toBe(400);
    const after = await database.query<{ count: string }>('SELECT count(*)::text AS count FROM users');
    expect(after.rows[0]!.count).toBe(before.rows[0]!.count);
  });

  it('sends security headers', async () => {
    const response = await fetch(`${hub.httpUrl}/health/live`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBeTruthy();
  });
});

describe('sign-in rate limit per address', () => {
  let hub: InProcessHub;

  beforeAll(async () => {
    hub = await startInProcessHub({ RATE_LIMIT_SIGN_IN_PER_MINUTE: '3' });
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('answers 429 once an address has used its sign-in attempts for the minute', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${hub.httpUrl}/api/auth/sign-in`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ username: `someone${i}`, password: 'whatever-it-is' }),
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });
});
