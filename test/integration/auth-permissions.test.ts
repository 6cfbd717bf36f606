import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { LIVE_NAMESPACE, ROLES, type Role } from '@citywatch/protocol';
import { endpointCatalogue, permissionTable, type EndpointAccess } from '../../server/src/auth/route-catalogue';
import { adminHeaders, signIn, startInProcessHub, TEST_ADMIN } from '../support/hub';

/**
 * The permission matrix, from the code: every REST endpoint and socket event declares its roles, the
 * table in docs/permissions.md says the same, no token gets 401 and every role not listed gets 403.
 */
// The endpoints are read from a running hub while the tests are collected (an async describe).
describe('permissions', async () => {
  const hub = await startInProcessHub({ RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000' });
  const catalogue = endpointCatalogue(hub.hub.app);
  const tokens = new Map<Role, string>();
  const MATRIX_START = '<!-- matrix:start -->';
  const MATRIX_END = '<!-- matrix:end -->';
  const sockets = new Map<Role, Socket>();

  beforeAll(async () => {
    tokens.set('admin', (await signIn(hub.httpUrl, TEST_ADMIN.username, TEST_ADMIN.password)).accessToken);
    for (const role of ROLES.filter((r) => r !== 'admin')) {
      const username = `matrix.${role}`;
      const password = `${username}-password`;
      const response = await fetch(`${hub.httpUrl}/api/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(await adminHeaders(hub.httpUrl)) },
        body: JSON.stringify({
          username,
          displayName: role,
          role,
          password,
          departmentId: role === 'department_member' ? 'dept-traffic' : null,
        }),
      });
      expect(response.status).toBe(201);
      tokens.set(role, (await signIn(hub.httpUrl, username, password)).accessToken);
    }
  });

  afterAll(async () => {
    for (const socket of sockets.values()) socket.close();
    await hub.stop();
  });

  /** A concrete URL for a route: parameters get a plausible value (the guard runs before validation). */
  const urlOf = (path: string) =>
    hub.httpUrl +
    path
      .replace(/:id\b/g, '23010800001310000001')
      .replace(/:[A-Za-z]+/g, 'x')
      .replace(/\*/g, 'x');

  const call = (endpoint: EndpointAccess, token?: string) =>
    fetch(urlOf(endpoint.path!), {
      method: endpoint.method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: ['GET', 'HEAD'].includes(endpoint.method!) ? undefined : '{}',
    });

  describe('the permission matrix', () => {
    it('covers every endpoint, and every endpoint declares @Roles or @Public', () => {
      expect(catalogue.length).toBeGreaterThan(10);
      expect(catalogue.filter((endpoint) => !endpoint.declared).map((endpoint) => endpoint.handler)).toEqual([]);
    });

    it('is the table in docs/permissions.md', () => {
      const file = resolve(__dirname, '../../docs/permissions.md');
      const doc = readFileSync(file, 'utf8');
      const start = doc.indexOf(MATRIX_START) + MATRIX_START.length;
      const end = doc.indexOf(MATRIX_END);
      // After adding or changing an endpoint: WRITE_PERMISSIONS_DOC=1 npx vitest run --project integration test/integration/auth-permissions
      if (process.env.WRITE_PERMISSIONS_DOC === '1') {
        writeFileSync(file, `${doc.slice(0, start)}\n${permissionTable(catalogue)}\n${doc.slice(end)}`);
        return;
      }
      expect(doc.slice(start, end).trim()).toBe(permissionTable(catalogue));
    });
  });

  describe.each(catalogue.filter((endpoint) => endpoint.kind === 'http'))('$name', (endpoint) => {
    const refused = ROLES.filter((role) => !endpoint.roles.includes(role));

    if (endpoint.public) {
      it('answers without a token', async () => {
        const response = await call(endpoint);
        expect([401, 403]).not.toContain(response.status);
      });
      return;
    }

    it('answers 401 without a token', async () => {
      const response = await call(endpoint);
      expect(response.status).toBe(401);
      expect(((await response.json()) as { message: string }).message).toBeTruthy();
    });

    // Registered only where some role is refused: no skipped tests.
    (refused.length === 0 ? () => undefined : it)(`answers 403 to ${refused.join(', ') || 'no role'}`, async () => {
      for (const role of refused) {
        const response = await call(endpoint, tokens.get(role));
        expect(response.status, `${role} on ${endpoint.name}`).toBe(403);
      }
    });

    it('lets its roles past the guard', async () => {
      // GETs only: calling the others for real would change the hub's state.
      if (endpoint.method !== 'GET') return;
      for (const role of endpoint.roles) {
        const response = await call(endpoint, tokens.get(role));
        expect([401, 403], `${role} on ${endpoint.name}`).not.toContain(response.status);
      }
    });
  });

  // Socket events open to every role have no refusal to check (the handshake test covers no token).
  const restrictedSocketEvents = catalogue.filter(
    (endpoint) =>
      endpoint.kind === 'socket' && !endpoint.public && ROLES.some((role) => !endpoint.roles.includes(role)),
  );
  describe.each(restrictedSocketEvents)('socket event $name', (endpoint) => {
    const refused = ROLES.filter((role) => !endpoint.roles.includes(role));

    async function socketOf(role: Role): Promise<Socket> {
      let socket = sockets.get(role);
      if (socket?.connected) return socket;
      socket = io(`${hub.httpUrl}${LIVE_NAMESPACE}`, { transports: ['websocket'], auth: { token: tokens.get(role) } });
      sockets.set(role, socket);
      await new Promise<void>((done, fail) => {
        socket.once('connect', () => done());
        socket.once('connect_error', fail);
      });
      return socket;
    }

    it(`is refused to ${refused.join(', ') || 'no role'}`, async () => {
      for (const role of refused) {
        const socket = await socketOf(role);
        const answer = await new Promise<unknown>((done) => {
          const timer = setTimeout(() => done('no answer'), 3_000);
          socket.once('exception', (error: unknown) => {
            clearTimeout(timer);
            done({ exception: error });
          });
          socket.emit(endpoint.name, { alertId: '1' }, (reply: unknown) => {
            clearTimeout(timer);
            done(reply);
          });
        });
        expect(JSON.stringify(answer), `${role} on ${endpoint.name}`).toMatch(/forbidden|403/i);
      }
    });
  });
});
