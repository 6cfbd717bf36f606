import { SignJWT, errors, jwtVerify } from 'jose';
import { ROLES, type Role } from '@citywatch/protocol';

const ISSUER = 'citywatch-hub';
const AUDIENCE = 'citywatch';

/** What an access token says: who, in which session, with which role (checked again against the session). */
export interface AccessClaims {
  userId: string;
  sessionId: string;
  username: string;
  role: Role;
  departmentId: string | null;
}

export class InvalidTokenError extends Error {
  constructor(
    message: string,
    readonly expired = false,
  ) {
    super(message);
    this.name = 'InvalidTokenError';
  }
}

/** Short-lived access tokens: JWT, HS256, signed with the hub's key. */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    key: string,
    private readonly ttlS: number,
  ) {
    this.key = new TextEncoder().encode(key);
  }

  async issue(claims: AccessClaims, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + this.ttlS) * 1000);
    const token = await new SignJWT({
      sid: claims.sessionId,
      name: claims.username,
      role: claims.role,
      dept: claims.departmentId,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlS)
      .sign(this.key);
    return { token, expiresAt };
  }

  /** Checks signature, issuer, audience and expiry; throws InvalidTokenError. */
  async verify(token: string, now = new Date()): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
        currentDate: now,
        clockTolerance: 5,
      });
      const role = payload.role as Role;
      if (
        typeof payload.sub !== 'string' ||
        typeof payload.sid !== 'string' ||
        typeof payload.name !== 'string' ||
        !ROLES.includes(role)
      ) {
        throw new InvalidTokenError('token claims are incomplete');
      }
      return {
        userId: payload.sub,
        sessionId: payload.sid,
        username: payload.name,
        role,
        departmentId: typeof payload.dept === 'string' ? payload.dept : null,
      };
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) throw new InvalidTokenError('access token expired', true);
      throw new InvalidTokenError('access token is not valid');
    }
  }
}
