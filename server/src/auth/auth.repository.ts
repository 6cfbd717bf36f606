import { Inject, Injectable } from '@nestjs/common';
import type { Role, SessionUser, UserRecord } from '@citywatch/protocol';
import { DATABASE, type Database } from '../platform/database/database';

export interface StoredUser extends UserRecord {
  passwordHash: string;
}

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  department_id: string | null;
  password_hash: string;
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
  last_sign_in_at: Date | null;
}

export interface StoredSession {
  id: string;
  userId: string;
  refreshHash: string;
  previousHash: string | null;
  rotatedAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

const USER_COLUMNS =
  'id, username, display_name, role, department_id, password_hash, disabled, created_at, updated_at, last_sign_in_at';
const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

function toUser(row: UserRow): StoredUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    departmentId: row.department_id,
    passwordHash: row.password_hash,
    disabled: row.disabled,
    createdAt: iso(row.created_at)!,
    updatedAt: iso(row.updated_at)!,
    lastSignInAt: iso(row.last_sign_in_at),
  };
}

export function toSessionUser(user: UserRecord): SessionUser {
  return {
    id: user.id,
    username: user.username,
    displayName: user.displayName,
    role: user.role,
    departmentId: user.departmentId,
  };
}

/** Users, their sessions, sign-in failures and the hub's generated secrets. */
@Injectable()
export class AuthRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async countUsers(): Promise<number> {
    const result = await this.database.query<{ count: string }>('SELECT count(*)::text AS count FROM users');
    return Number(result.rows[0]!.count);
  }

  async findUserByName(username: string): Promise<StoredUser | undefined> {
    const result = await this.database.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE lower(username) = lower($1)`,
      [username],
    );
    return result.rows[0] && toUser(result.rows[0]);
  }

  async findUser(id: string): Promise<StoredUser | undefined> {
    const result = await this.database.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return result.rows[0] && toUser(result.rows[0]);
  }

  async listUsers(): Promise<StoredUser[]> {
    const result = await this.database.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY lower(username)`);
    return result.rows.map(toUser);
  }

  /** Inserts a user; returns undefined when the user name is taken. */
  async insertUser(user: {
    id: string;
    username: string;
    displayName: string;
    role: Role;
    departmentId: string | null;
    passwordHash: string;
  }): Promise<StoredUser | undefined> {
    const result = await this.database.query<UserRow>(
      `INSERT INTO users (id, username, display_name, role, department_id, password_hash)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
      [user.id, user.username, user.displayName, user.role, user.departmentId, user.passwordHash],
    );
    return result.rows[0] && toUser(result.rows[0]);
  }

  async updateUser(
    id: string,
    change: Partial<{
      displayName: string;
      role: Role;
      departmentId: string | null;
      passwordHash: string;
      disabled: boolean;
    }>,
  ): Promise<StoredUser | undefined> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (change.displayName !== undefined) set('display_name', change.displayName);
    if (change.role !== undefined) set('role', change.role);
    if (change.departmentId !== undefined) set('department_id', change.departmentId);
    if (change.disabled !== undefined) set('disabled', change.disabled);
    if (change.passwordHash !== undefined) {
      set('password_hash', change.passwordHash);
      sets.push('password_changed_at = now()');
    }
    sets.push('updated_at = now()');
    const result = await this.database.query<UserRow>(
      `UPDATE users SET ${sets.join(', ')} WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      params,
    );
    return result.rows[0] && toUser(result.rows[0]);
  }

  async deleteUser(id: string): Promise<boolean> {
    return (await this.database.query('DELETE FROM users WHERE id = $1', [id])).rowCount > 0;
  }

  async countActiveAdmins(): Promise<number> {
    const result = await this.database.query<{ count: string }>(
      `SELECT count(*)::text AS count FROM users WHERE role = 'admin' AND NOT disabled`,
    );
    return Number(result.rows[0]!.count);
  }

  async markSignedIn(userId: string, at: Date): Promise<void> {
    await this.database.query('UPDATE users SET last_sign_in_at = $2 WHERE id = $1', [userId, at.toISOString()]);
  }

  // --- sessions ---

  async insertSession(session: {
    id: string;
    userId: string;
    refreshHash: string;
    expiresAt: Date;
    ip: string;
    userAgent: string;
  }): Promise<void> {
    await this.database.query(
      `INSERT INTO auth_sessions (id, user_id, refresh_hash, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        session.id,
        session.userId,
        session.refreshHash,
        session.expiresAt.toISOString(),
        session.ip,
        session.userAgent.slice(0, 300),
      ],
    );
  }

  async findSession(id: string): Promise<StoredSession | undefined> {
    const result = await this.database.query<{
      id: string;
      user_id: string;
      refresh_hash: string;
      previous_hash: string | null;
      rotated_at: Date;
      expires_at: Date;
      revoked_at: Date | null;
    }>(
      `SELECT id, user_id, refresh_hash, previous_hash, rotated_at, expires_at, revoked_at FROM auth_sessions WHERE id = $1`,
      [id],
    );
    const row = result.rows[0];
    return (
      row && {
        id: row.id,
        userId: row.user_id,
        refreshHash: row.refresh_hash,
        previousHash: row.previous_hash,
        rotatedAt: new Date(row.rotated_at),
        expiresAt: new Date(row.expires_at),
        revokedAt: row.revoked_at && new Date(row.revoked_at),
      }
    );
  }

  /** Replaces the refresh token if `currentHash` is still the current one (one winner among racing refreshes). */
  async rotateSession(id: string, currentHash: string, nextHash: string, expiresAt: Date): Promise<boolean> {
    const result = await this.database.query(
      `UPDATE auth_sessions SET previous_hash = refresh_hash, refresh_hash = $3, rotated_at = now(), expires_at = $4
       WHERE id = $1 AND refresh_hash = $2 AND revoked_at IS NULL`,
      [id, currentHash, nextHash, expiresAt.toISOString()],
    );
    return result.rowCount > 0;
  }

  async revokeSession(id: string, reason: string): Promise<boolean> {
    const result = await this.database.query(
      `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
      [id, reason],
    );
    return result.rowCount > 0;
  }

  /** Revokes every live session of a user; returns their ids. */
  async revokeUserSessions(userId: string, reason: string): Promise<string[]> {
    const result = await this.database.query<{ id: string }>(
      `UPDATE auth_sessions SET revoked_at = now(), revoked_reason = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id`,
      [userId, reason],
    );
    return result.rows.map((row) => row.id);
  }

  /** The user of a live session, or undefined when it is revoked, expired or the user is disabled. */
  async liveSessionUser(sessionId: string, now: Date): Promise<StoredUser | undefined> {
    const result = await this.database.query<UserRow>(
      `SELECT ${USER_COLUMNS.split(', ')
        .map((column) => `u.${column}`)
        .join(', ')}
       FROM auth_sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND NOT u.disabled`,
      [sessionId, now.toISOString()],
    );
    return result.rows[0] && toUser(result.rows[0]);
  }

  async deleteExpiredSessions(olderThan: Date): Promise<number> {
    const result = await this.database.query(`DELETE FROM auth_sessions WHERE expires_at < $1 OR revoked_at < $1`, [
      olderThan.toISOString(),
    ]);
    return result.rowCount;
  }

  // --- sign-in back-off ---

  async signInLock(username: string): Promise<{ failures: number; lockedUntil: Date | null } | undefined> {
    const result = await this.database.query<{ failures: number; locked_until: Date | null }>(
      'SELECT failures, locked_until FROM sign_in_failures WHERE username = $1',
      [username.toLowerCase()],
    );
    const row = result.rows[0];
    return row && { failures: row.failures, lockedUntil: row.locked_until && new Date(row.locked_until) };
  }

  /**
   * Counts a failure (failures older than `forgetAfter` start the count again) and returns the new count.
   * `lockFor` turns the count into a wait in seconds (0 = none).
   */
  async recordSignInFailure(
    username: string,
    now: Date,
    forgetAfterS: number,
    lockFor: (failures: number) => number,
  ): Promise<{ failures: number; lockedUntil: Date | null }> {
    return this.database.transaction(async (tx) => {
      const counted = await tx.query<{ failures: number }>(
        `INSERT INTO sign_in_failures (username, failures, last_failure_at) VALUES ($1, 1, $2)
         ON CONFLICT (username) DO UPDATE SET
           failures = CASE WHEN sign_in_failures.last_failure_at < $2::timestamptz - make_interval(secs => $3::float8)
                           THEN 1 ELSE sign_in_failures.failures + 1 END,
           last_failure_at = $2
         RETURNING failures`,
        [username.toLowerCase(), now.toISOString(), forgetAfterS],
      );
      const failures = counted.rows[0]!.failures;
      const waitS = lockFor(failures);
      const lockedUntil = waitS > 0 ? new Date(now.getTime() + waitS * 1000) : null;
      await tx.query('UPDATE sign_in_failures SET locked_until = $2 WHERE username = $1', [
        username.toLowerCase(),
        lockedUntil?.toISOString() ?? null,
      ]);
      return { failures, lockedUntil };
    });
  }

  async clearSignInFailures(username: string): Promise<void> {
    await this.database.query('DELETE FROM sign_in_failures WHERE username = $1', [username.toLowerCase()]);
  }

  // --- generated secrets ---

  /** Returns the stored secret of this name, storing `candidate` first if there is none (first replica wins). */
  async secret(name: string, candidate: string): Promise<string> {
    await this.database.query('INSERT INTO hub_secrets (name, value) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      name,
      candidate,
    ]);
    const result = await this.database.query<{ value: string }>('SELECT value FROM hub_secrets WHERE name = $1', [
      name,
    ]);
    return result.rows[0]!.value;
  }
}
