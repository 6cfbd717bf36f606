import type { SessionUser } from '@citywatch/protocol';
import type { Queryable } from '../platform/database/database';

/** One audited action: who, when, from where, what (the filter or the object). */
export interface AuditEntry {
  /** The user, or null for the system or a device. */
  actor: Pick<SessionUser, 'id' | 'username'> | null;
  /** Dotted verb, e.g. `auth.sign_in`, `checkpoints.search`, `checkpoints.export`, `faces.search`,
   *  `watchlist.person.create`, `alerts.claim`, `devices.rotate_secret`. */
  action: string;
  /** The object acted on, e.g. `alert:123`, `device:2301...`; null for searches. */
  target: string | null;
  /** The filter, the change, or other facts (kept as JSON). */
  details: Record<string, unknown>;
  /** Client address. */
  ip: string;
  /** Whether the action succeeded (sign-in failures are audited too). */
  outcome?: 'success' | 'failure';
}

/**
 * The append-only audit log. Provided globally by the audit module. A record that cannot be written fails
 * the action: `record` rejects, and the caller must let that reach the caller of the action. Pass the
 * action's transaction as `tx` where there is one, so the record and the change commit or fail together.
 */
export interface AuditLog {
  record(entry: AuditEntry, tx?: Queryable): Promise<void>;
}

export const AUDIT_LOG = Symbol('AUDIT_LOG');
