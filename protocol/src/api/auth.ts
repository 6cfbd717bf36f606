import { Type, type Static } from '@sinclair/typebox';
import { Timestamp, withDescription } from '../payloads/common';
import { ROLES, type Role, type SessionUser } from './access';

/** REST bodies of sign-in, token refresh, user administration, device secrets and the audit log. */

export const USERNAME_PATTERN = '^[A-Za-z0-9_.@-]{1,64}$';
export const PASSWORD_MIN_LENGTH = 10;

const Username = Type.String({
  pattern: USERNAME_PATTERN,
  description: 'letters, digits and _ . @ -; case-insensitive',
});
const Password = Type.String({
  minLength: PASSWORD_MIN_LENGTH,
  maxLength: 256,
  description: `at least ${PASSWORD_MIN_LENGTH} characters`,
});
const RoleSchema = Type.Union(
  ROLES.map((role) => Type.Literal(role)),
  { description: 'what the user may do (see docs/permissions.md)' },
);
const DepartmentId = Type.String({
  pattern: '^[A-Za-z0-9_-]{1,64}$',
  description: 'the department a member works for',
});

/** Body of POST /api/auth/sign-in. */
export const SignInRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false, $id: 'SignInRequest' },
);
export type SignInRequest = Static<typeof SignInRequest>;

/** Body of POST /api/auth/refresh: the latest refresh token (each one works once). */
export const RefreshRequest = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false, $id: 'RefreshRequest' },
);
export type RefreshRequest = Static<typeof RefreshRequest>;

/** Body of POST /api/auth/sign-out: the session's refresh token, or nothing to end the session of the access token. */
export const SignOutRequest = Type.Object(
  { refreshToken: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false, $id: 'SignOutRequest' },
);
export type SignOutRequest = Static<typeof SignOutRequest>;

/**
 * Answer of sign-in and refresh. Send `accessToken` as `Authorization: Bearer ...` (and as
 * `auth: { token }` in the socket.io handshake); before it expires, trade `refreshToken` for a new pair.
 */
export interface TokenPair {
  accessToken: string;
  /** ISO 8601. */
  accessTokenExpiresAt: string;
  refreshToken: string;
  /** When the session ends unless refreshed before, ISO 8601. */
  refreshTokenExpiresAt: string;
  user: SessionUser;
}
export type SignInResponse = TokenPair;
export type RefreshResponse = TokenPair;

/** A user as administrators see it. */
export interface UserRecord extends SessionUser {
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  lastSignInAt: string | null;
}

/** Body of POST /api/users. */
export const CreateUserRequest = Type.Object(
  {
    username: Username,
    displayName: Type.String({ maxLength: 100 }),
    role: RoleSchema,
    departmentId: Type.Optional(Type.Union([DepartmentId, Type.Null()])),
    password: Password,
  },
  { additionalProperties: false, $id: 'CreateUserRequest' },
);
export type CreateUserRequest = Static<typeof CreateUserRequest>;

/** Body of PATCH /api/users/:id: what changes (a new password ends the user's sessions). */
export const UpdateUserRequest = Type.Object(
  {
    displayName: Type.Optional(Type.String({ maxLength: 100 })),
    role: Type.Optional(RoleSchema),
    departmentId: Type.Optional(Type.Union([DepartmentId, Type.Null()])),
    password: Type.Optional(Password),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1, $id: 'UpdateUserRequest' },
);
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;

/** Body of POST /api/auth/password: the signed-in user changes their own password. */
export const ChangePasswordRequest = Type.Object(
  { currentPassword: Type.String({ minLength: 1, maxLength: 256 }), newPassword: Password },
  { additionalProperties: false, $id: 'ChangePasswordRequest' },
);
export type ChangePasswordRequest = Static<typeof ChangePasswordRequest>;

/** Answer of POST /api/devices/:id/secret: the new secret, shown this once (only its hash is kept). */
export interface DeviceSecretIssued {
  deviceId: string;
  /** The broker password; the user name is the device id. */
  secret: string;
  rotatedAt: string;
}

/** One audit record as GET /api/audit returns it. */
export interface AuditRecord {
  id: string;
  at: string;
  actorId: string | null;
  actorUsername: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
  ip: string;
  outcome: 'success' | 'failure';
}

/** Query of GET /api/audit and GET /api/audit.csv. */
export const AuditQuery = Type.Object(
  {
    from: Type.Optional(withDescription(Timestamp, 'oldest, ISO 8601')),
    to: Type.Optional(withDescription(Timestamp, 'newest (exclusive), ISO 8601')),
    actor: Type.Optional(Type.String({ maxLength: 64, description: 'user name' })),
    action: Type.Optional(
      Type.String({ pattern: '^[a-z0-9_.*]{1,64}$', description: 'an action, or a prefix ending in `*` (`auth.*`)' }),
    ),
    target: Type.Optional(Type.String({ maxLength: 200 })),
    outcome: Type.Optional(Type.Union([Type.Literal('success'), Type.Literal('failure')])),
    before: Type.Optional(
      Type.String({ pattern: '^[0-9]{1,19}$', description: 'records older than this id (paging)' }),
    ),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  },
  { additionalProperties: false, $id: 'AuditQuery' },
);
export type AuditQuery = Static<typeof AuditQuery>;

export interface AuditPage {
  items: AuditRecord[];
  /** Pass as `before` for the next page; null at the end. */
  nextBefore: string | null;
}

export type { Role };
