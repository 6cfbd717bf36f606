import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LIVE_NAMESPACE,
  type AlertOperationReply,
  type AuditPage,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@citywatch/protocol';
import { AlertsService } from '../../server/src/alerts/alerts.service';
import { adminHeaders, adminToken, startInProcessHub, type InProcessHub } from '../support/hub';
import { raiseInput } from './alerts-helpers';

const CLIENT = '203.0.113.7';
const OTHER_CLIENT = '198.51.100.23';

/**
 * Starts a hub that sees every request from 127.0.0.1, as it would behind a proxy on the same host; the
 * test administrator signs in at once (one sign-in attempt from 127.0.0.1 itself).
 */
async function hubWith(env: Record<string, string>): Promise<InProcessHub> {
  const hub = await startInProcessHub({ RATE_LIMIT_SIGN_IN_PER_MINUTE: '3', ...env });
  await adminToken(hub.httpUrl);
  return hub;
}

function signInFrom(hub: InProcessHub, forwardedFor: string, username: string): Promise<Response> {
  return fetch(`${hub.httpUrl}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username, password: 'not-the-password' }),
  });
}

async function auditOf(hub: InProcessHub, query: string) {
  const response = await fetch(`${hub.httpUrl}/api/audit?${query}`, { headers: await adminHeaders(hub.httpUrl) });
  return ((await response.json()) as AuditPage).items;
}

/** Claims a fresh alert over a console socket whose handshake carried X-Forwarded-For; the claim is audited. */
async function claimOverSocket(hub: InProcessHub, forwardedFor: string): Promise<string> {
  const alert = await hub.hub.app.get(AlertsService).raise(raiseInput());
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(`${hub.httpUrl}${LIVE_NAMESPACE}`, {
    transports: ['websocket'],
    auth: { token: await adminToken(hub.httpUrl) },
    extraHeaders: { 'x-forwarded-for': forwardedFor },
    reconnection: false,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('hello', () => resolve());
      socket.once('connect_error', reject);
    });
    const reply = await new Promise<AlertOperationReply>((resolve) =>
      socket.emit('alert:claim', { alertId: alert.id }, resolve),
    );
    expect(reply).toMatchObject({ ok: true });
  } finally {
    socket.close();
  }
  return alert.id;
}

describe('TRUST_PROXY set: the client is the address in X-Forwarded-For', () => {
  let hub: InProcessHub;

  beforeAll(async () => {
    hub = await hubWith({ TRUST_PROXY: 'loopback' });
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('audits a sign-in with the forwarded client address', async () => {
    expect((await signInFrom(hub, CLIENT, 'proxied.user')).status).toBe(401);
    const records = await auditOf(hub, 'action=auth.sign_in&target=user:proxied.user');
    expect(records.map((record) => record.ip)).toEqual([CLIENT]);
  });

  it('counts the sign-in rate limit per forwarded client, not for the proxy as a whole', async () => {
    // CLIENT used one attempt above; two more, then the limit of 3 a minute.
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await signInFrom(hub, CLIENT, `someone${i}`)).status);
    expect(statuses).toEqual([401, 401, 429]);
    // Another client behind the same proxy still has its own attempts.
    expect((await signInFrom(hub, OTHER_CLIENT, 'someone.else')).status).toBe(401);
    // A forged entry before the proxy's own does not buy a fresh bucket: the proxy appends the real address.
    expect((await signInFrom(hub, `192.0.2.99, ${CLIENT}`, 'forger')).status).toBe(429);
  });

  it('audits an action over a socket with the forwarded address of its handshake', async () => {
    const alertId = await claimOverSocket(hub, OTHER_CLIENT);
    const records = await auditOf(hub, `action=alerts.claim&target=alert:${alertId}`);
    expect(records.map((record) => record.ip)).toEqual([OTHER_CLIENT]);
  });
});

describe('TRUST_PROXY unset: X-Forwarded-For is ignored, the client is the connection’s peer', () => {
  let hub: InProcessHub;

  beforeAll(async () => {
    hub = await hubWith({});
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('audits the socket address and shares one sign-in bucket whatever the header says', async () => {
    expect((await signInFrom(hub, CLIENT, 'direct.user')).status).toBe(401);
    const records = await auditOf(hub, 'action=auth.sign_in&target=user:direct.user');
    expect(records.map((record) => record.ip)).toEqual([expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/)]);
    // The administrator's sign-in, this one and the next share one bucket (3 a minute), whatever the header.
    expect((await signInFrom(hub, OTHER_CLIENT, 'direct.user2')).status).toBe(401);
    expect((await signInFrom(hub, '192.0.2.1', 'direct.user3')).status).toBe(429);
  });

  it('audits a socket action with the socket address', async () => {
    const alertId = await claimOverSocket(hub, CLIENT);
    const records = await auditOf(hub, `action=alerts.claim&target=alert:${alertId}`);
    expect(records.map((record) => record.ip)).toEqual([expect.stringMatching(/^(::ffff:)?127\.0\.0\.1$/)]);
  });
});
