import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import {
  LIVE_NAMESPACE,
  type AlertChange,
  type ClientToServerEvents,
  type RaiseAlertInput,
  type Role,
  type ServerToClientEvents,
  type SessionUser,
  type TokenPair,
} from '@citywatch/protocol';

export const ADMIN_PASSWORD = 'alerts-admin-password-1';
export const USER_PASSWORD = 'alerts-user-password-1';

export type Console = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface SignedIn {
  token: string;
  user: SessionUser;
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function signIn(httpUrl: string, username: string, password: string): Promise<SignedIn> {
  const pair = await json<TokenPair>(
    await fetch(`${httpUrl}/api/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    }),
  );
  return { token: pair.accessToken, user: pair.user };
}

/** Creates a user as the admin and signs them in. */
export async function makeUser(
  httpUrl: string,
  admin: SignedIn,
  role: Role,
  departmentId: string | null = null,
): Promise<SignedIn> {
  const username = `${role.replace('_', '')}${randomUUID().slice(0, 8)}`;
  await json(
    await fetch(`${httpUrl}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify({
        username,
        displayName: `${role} ${username}`,
        role,
        departmentId,
        password: USER_PASSWORD,
      }),
    }),
  );
  return signIn(httpUrl, username, USER_PASSWORD);
}

export async function api<T>(
  httpUrl: string,
  who: SignedIn,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${httpUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${who.token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** A console socket, connected and signed in; records every alert change it receives. */
export async function connectConsole(
  httpUrl: string,
  who: SignedIn,
): Promise<{ socket: Console; changes: AlertChange[] }> {
  const socket: Console = io(`${httpUrl}${LIVE_NAMESPACE}`, {
    transports: ['websocket'],
    auth: { token: who.token },
    reconnection: false,
  });
  const changes: AlertChange[] = [];
  socket.on('alert:change', (change) => changes.push(change));
  await new Promise<void>((resolve, reject) => {
    socket.once('hello', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, changes };
}

export function raiseInput(overrides: Partial<RaiseAlertInput> = {}): RaiseAlertInput {
  return {
    type: 'speeding',
    severity: 'minor',
    title: 'Speeding on Youxie St',
    dedupeKey: `test:${randomUUID()}`,
    ruleId: 'speeding.default',
    sourceEventIds: [randomUUID()],
    evidence: { plateNo: '黑A12345', speedKmh: 92, speedLimitKmh: 60 },
    occurredAt: new Date().toISOString(),
    ...overrides,
  };
}

export const hubEnv = (env: Record<string, string>) => ({
  ADMIN_USERNAME: 'admin',
  ADMIN_PASSWORD,
  ALERT_ESCALATION_SWEEP_S: '3600',
  DEVICE_AUTH: 'optional',
  // Every user a test makes signs in (makeUser): more than the default 10 a minute from one address.
  RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000',
  ...env,
});
