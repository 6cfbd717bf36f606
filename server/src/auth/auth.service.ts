import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  UnauthorizedException,
  type OnModuleInit,
} from '@nestjs/common';
import type { SessionUser, TokenPair } from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { HubEvents } from '../common/hub-events';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { AccessTokens, InvalidTokenError } from './access-tokens';
import { AuthRepository, toSessionUser } from './auth.repository';
import { UNUSABLE_PASSWORD_HASH, hashPassword, randomToken, sha256, verifyPassword } from './secret-hashing';
import { newId } from './ids';

/** How long a checked session is trusted before the database is asked again (revocation reaches other replicas by then). */
const SESSION_CACHE_MS = 5_000;
const SESSION_CACHE_LIMIT = 10_000;
/** A refresh racing another with the token just replaced is refused, not treated as theft. */
const ROTATION_GRACE_MS = 30_000;
const FIRST_LOCK_S = 30;

export interface Caller {
  ip: string;
  userAgent?: string;
}

export interface Authenticated {
  user: SessionUser;
  sessionId: string;
}

export class TooManySignInsException extends HttpException {
  constructor(readonly retryAfterS: number) {
    super(
      {
        statusCode: HttpStatus.TOO_MANY_REQUESTS,
        error: 'Too Many Requests',
        message: `too many failed sign-ins for this user name; try again in ${retryAfterS} s`,
        retryAfterS,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Sign-in with user name and password, short-lived access tokens, rotating refresh tokens, sign-out,
 * back-off after repeated failures, and the first administrator on first start.
 */
@Injectable()
export class AuthService implements OnModuleInit {
  private tokens!: AccessTokens;
  private readonly sessionCache = new Map<string, { user: SessionUser | undefined; until: number }>();

  constructor(
    private readonly repository: AuthRepository,
    private readonly events: HubEvents,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    const key = this.config.AUTH_TOKEN_SECRET ?? (await this.repository.secret('access_token_key', randomToken(48)));
    this.tokens = new AccessTokens(key, this.config.AUTH_ACCESS_TOKEN_TTL_S);
    await this.createFirstAdmin();
  }

  /** On first start (no account at all): the administrator from ADMIN_USERNAME / ADMIN_PASSWORD. */
  private async createFirstAdmin(): Promise<void> {
    if ((await this.repository.countUsers()) > 0) return;
    const given = this.config.ADMIN_PASSWORD;
    const password = given ?? randomToken(18);
    const created = await this.repository.insertUser({
      id: newId(),
      username: this.config.ADMIN_USERNAME,
      displayName: 'Administrator',
      role: 'admin',
      departmentId: null,
      passwordHash: await hashPassword(password),
    });
    if (!created) return; // another replica made it
    await this.audit.record({
      actor: null,
      action: 'users.create',
      target: `user:${created.id}`,
      details: { username: created.username, role: 'admin', reason: 'first start' },
      ip: '',
    });
    if (given) {
      this.logger.info({ username: created.username }, 'first administrator created from ADMIN_PASSWORD');
      return;
    }
    mkdirSync(this.config.dataDir, { recursive: true });
    const file = join(this.config.dataDir, 'initial-admin-password');
    writeFileSync(file, `${password}\n`, { mode: 0o600 });
    this.logger.warn(
      { username: created.username, file },
      'first administrator created with a random password, written to this file: sign in, change it, delete the file',
    );
  }

  async signIn(username: string, password: string, caller: Caller): Promise<TokenPair> {
    const now = new Date();
    const lock = await this.repository.signInLock(username);
    if (lock?.lockedUntil && lock.lockedUntil > now) {
      const retryAfterS = Math.ceil((lock.lockedUntil.getTime() - now.getTime()) / 1000);
      await this.recordSignIn(username, null, caller, 'failure', { reason: 'locked', retryAfterS });
      throw new TooManySignInsException(retryAfterS);
    }
    const user = await this.repository.findUserByName(username);
    // An unknown name costs as much as a wrong password, so timing does not tell which names exist.
    const matches = await verifyPassword(password, user?.passwordHash ?? UNUSABLE_PASSWORD_HASH);
    if (!user || !matches || user.disabled) {
      const failure = await this.repository.recordSignInFailure(username, now, this.forgetFailuresAfterS, (n) =>
        this.lockSeconds(n),
      );
      const reason = !user ? 'unknown user' : !matches ? 'wrong password' : 'disabled';
      await this.recordSignIn(username, user?.id ?? null, caller, 'failure', { reason, failures: failure.failures });
      if (failure.lockedUntil) {
        throw new TooManySignInsException(Math.ceil((failure.lockedUntil.getTime() - now.getTime()) / 1000));
      }
      throw new UnauthorizedException('wrong user name or password');
    }
    if (lock) await this.repository.clearSignInFailures(username);
    const sessionId = newId();
    const refreshToken = `${sessionId}.${randomToken()}`;
    const refreshExpiresAt = new Date(now.getTime() + this.config.AUTH_REFRESH_TOKEN_TTL_S * 1000);
    await this.repository.insertSession({
      id: sessionId,
      userId: user.id,
      refreshHash: sha256(refreshToken),
      expiresAt: refreshExpiresAt,
      ip: caller.ip,
      userAgent: caller.userAgent ?? '',
    });
    await this.repository.markSignedIn(user.id, now);
    await this.recordSignIn(user.username, user.id, caller, 'success', { sessionId });
    this.logger.info({ userId: user.id, username: user.username, ip: caller.ip }, 'signed in');
    return this.pair(toSessionUser(user), sessionId, refreshToken, refreshExpiresAt, now);
  }

  /** Trades a refresh token for a new pair; the old refresh token stops working. */
  async refresh(refreshToken: string, caller: Caller): Promise<TokenPair> {
    const now = new Date();
    const sessionId = refreshToken.split('.')[0] ?? '';
    const session = sessionId ? await this.repository.findSession(sessionId) : undefined;
    const presented = sha256(refreshToken);
    const refused = () => new UnauthorizedException('refresh token is not valid; sign in again');
    if (!session || session.revokedAt || session.expiresAt <= now) throw refused();
    if (session.refreshHash !== presented) {
      const racing =
        session.previousHash === presented && now.getTime() - session.rotatedAt.getTime() < ROTATION_GRACE_MS;
      if (!racing) {
        // A refresh token used twice was copied: end the session for whoever holds it.
        await this.revokeSessions([session.id], session.userId, 'refresh token reused');
        await this.audit.record({
          actor: null,
          action: 'auth.refresh_reused',
          target: `session:${session.id}`,
          details: { userId: session.userId },
          ip: caller.ip,
          outcome: 'failure',
        });
      }
      throw refused();
    }
    const user = await this.repository.liveSessionUser(session.id, now);
    if (!user) throw refused();
    const next = `${session.id}.${randomToken()}`;
    const expiresAt = new Date(now.getTime() + this.config.AUTH_REFRESH_TOKEN_TTL_S * 1000);
    if (!(await this.repository.rotateSession(session.id, presented, sha256(next), expiresAt))) throw refused();
    return this.pair(toSessionUser(user), session.id, next, expiresAt, now);
  }

  /** Ends a session: the one of the refresh token if given, else the one the access token belongs to. */
  async signOut(current: Authenticated, refreshToken: string | undefined, caller: Caller): Promise<void> {
    let sessionId = current.sessionId;
    if (refreshToken) {
      const named = refreshToken.split('.')[0] ?? '';
      const session = named ? await this.repository.findSession(named) : undefined;
      // Only one's own session, and only with its current token.
      if (session && session.userId === current.user.id && session.refreshHash === sha256(refreshToken))
        sessionId = session.id;
    }
    await this.revokeSessions([sessionId], current.user.id, 'signed out');
    await this.audit.record({
      actor: current.user,
      action: 'auth.sign_out',
      target: `session:${sessionId}`,
      details: {},
      ip: caller.ip,
    });
  }

  /** Checks an access token and that its session is still live; the user as stored now (role changes apply). */
  async authenticate(token: string): Promise<Authenticated> {
    let claims;
    try {
      claims = await this.tokens.verify(token);
    } catch (error) {
      throw new UnauthorizedException(error instanceof InvalidTokenError ? error.message : 'access token is not valid');
    }
    const user = await this.sessionUser(claims.sessionId);
    if (!user || user.id !== claims.userId) throw new UnauthorizedException('session ended; sign in again');
    return { user, sessionId: claims.sessionId };
  }

  private async sessionUser(sessionId: string): Promise<SessionUser | undefined> {
    const now = Date.now();
    const cached = this.sessionCache.get(sessionId);
    if (cached && cached.until > now) return cached.user;
    const stored = await this.repository.liveSessionUser(sessionId, new Date(now));
    const user = stored && toSessionUser(stored);
    if (this.sessionCache.size >= SESSION_CACHE_LIMIT) this.sessionCache.clear();
    this.sessionCache.set(sessionId, { user, until: now + SESSION_CACHE_MS });
    return user;
  }

  /** Ends every session of a user (password changed, role changed, disabled, deleted). */
  async revokeUserSessions(userId: string, reason: string): Promise<void> {
    const ids = await this.repository.revokeUserSessions(userId, reason);
    this.forget(ids);
    if (ids.length > 0) this.events.emit('auth.sessions_revoked', { userId, sessionIds: ids, reason });
  }

  private async revokeSessions(ids: string[], userId: string, reason: string): Promise<void> {
    for (const id of ids) await this.repository.revokeSession(id, reason);
    this.forget(ids);
    this.events.emit('auth.sessions_revoked', { userId, sessionIds: ids, reason });
  }

  private forget(ids: string[]): void {
    for (const id of ids) this.sessionCache.delete(id);
  }

  /** The wait after the n-th failure in a row: none up to the limit, then 30 s doubling up to the maximum. */
  lockSeconds(failures: number): number {
    const over = failures - this.config.AUTH_FAILED_SIGN_IN_LIMIT;
    if (over < 0) return 0;
    return Math.min(this.config.AUTH_LOCKOUT_MAX_S, FIRST_LOCK_S * 2 ** Math.min(over, 20));
  }

  private get forgetFailuresAfterS(): number {
    return Math.max(3600, this.config.AUTH_LOCKOUT_MAX_S * 4);
  }

  private async pair(
    user: SessionUser,
    sessionId: string,
    refreshToken: string,
    refreshExpiresAt: Date,
    now: Date,
  ): Promise<TokenPair> {
    const access = await this.tokens.issue(
      { userId: user.id, sessionId, username: user.username, role: user.role, departmentId: user.departmentId },
      now,
    );
    return {
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      refreshToken,
      refreshTokenExpiresAt: refreshExpiresAt.toISOString(),
      user,
    };
  }

  private async recordSignIn(
    username: string,
    userId: string | null,
    caller: Caller,
    outcome: 'success' | 'failure',
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit.record({
      actor: userId ? { id: userId, username } : null,
      action: 'auth.sign_in',
      target: `user:${username.slice(0, 64)}`,
      details: { ...details, userAgent: caller.userAgent?.slice(0, 200) },
      ip: caller.ip,
      outcome,
    });
  }

  /** For a user changing their own password. */
  async verifyOwnPassword(userId: string, password: string): Promise<boolean> {
    const user = await this.repository.findUser(userId);
    return !!user && (await verifyPassword(password, user.passwordHash));
  }
}
