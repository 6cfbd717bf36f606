import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../platform/database/database';

export type ReplicaState = 'member' | 'adopting' | 'left';

export interface ReplicaRow {
  hubId: string;
  clientId: string;
  shareGroup: string;
  state: ReplicaState;
  seenAt: string;
  adoptedBy: string | null;
  adoptedAt: string | null;
}

/** A session claimed for takeover: the replica that owned it and its MQTT client id. */
export interface ClaimedSession {
  hubId: string;
  clientId: string;
}

/**
 * The `hub_replicas` table. Times come from the database's clock, so replicas on machines whose clocks
 * disagree still agree on who is silent.
 */
@Injectable()
export class ReplicaRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Records that this replica is alive and in its group (and ends any takeover of its session). */
  async heartbeat(hubId: string, clientId: string, shareGroup: string): Promise<void> {
    await this.database.query(
      `INSERT INTO hub_replicas (hub_id, client_id, share_group, state, seen_at) VALUES ($1, $2, $3, 'member', now())
       ON CONFLICT (hub_id) DO UPDATE SET client_id = EXCLUDED.client_id, share_group = EXCLUDED.share_group,
         state = 'member', seen_at = EXCLUDED.seen_at, adopted_by = NULL, adopted_at = NULL`,
      [hubId, clientId, shareGroup],
    );
  }

  /**
   * Claims the session of one replica of the group that has been silent for `timeoutS` (or whose takeover
   * by another has itself gone silent for `timeoutS`). At most one replica gets each claim.
   */
  async claimSilent(adopter: string, shareGroup: string, timeoutS: number): Promise<ClaimedSession | undefined> {
    const result = await this.database.query<{ hub_id: string; client_id: string }>(
      `UPDATE hub_replicas SET state = 'adopting', adopted_by = $1, adopted_at = now()
       WHERE hub_id = (
         SELECT hub_id FROM hub_replicas
         WHERE share_group = $2 AND hub_id <> $1
           AND ((state = 'member' AND seen_at < now() - make_interval(secs => $3::float8))
             OR (state = 'adopting' AND adopted_at < now() - make_interval(secs => $3::float8)))
         ORDER BY seen_at
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
       RETURNING hub_id, client_id`,
      [adopter, shareGroup, timeoutS],
    );
    const row = result.rows[0];
    return row && { hubId: row.hub_id, clientId: row.client_id };
  }

  /** Keeps a takeover in progress from looking abandoned. */
  async renewClaim(hubId: string, adopter: string): Promise<void> {
    await this.database.query(
      `UPDATE hub_replicas SET adopted_at = now() WHERE hub_id = $1 AND state = 'adopting' AND adopted_by = $2`,
      [hubId, adopter],
    );
  }

  /** The session is drained and out of the group; false when its replica came back meanwhile. */
  async finishClaim(hubId: string, adopter: string): Promise<boolean> {
    const result = await this.database.query(
      `UPDATE hub_replicas SET state = 'left' WHERE hub_id = $1 AND state = 'adopting' AND adopted_by = $2`,
      [hubId, adopter],
    );
    return result.rowCount === 1;
  }

  /**
   * Marks this replica as leaving its group, but only while another member seen within `timeoutS` stays:
   * the group's rows are locked in one order, so replicas stopping together leave one at a time and the
   * last keeps its session (the broker then queues the stream for it instead of dropping it).
   */
  async leaveUnlessLast(hubId: string, shareGroup: string, timeoutS: number): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const members = await tx.query<{ hub_id: string; alive: boolean }>(
        `SELECT hub_id, (state = 'member' AND seen_at >= now() - make_interval(secs => $2::float8)) AS alive
         FROM hub_replicas WHERE share_group = $1 ORDER BY hub_id FOR UPDATE`,
        [shareGroup, timeoutS],
      );
      if (!members.rows.some((row) => row.hub_id !== hubId && row.alive)) return false;
      await tx.query(`UPDATE hub_replicas SET state = 'left', seen_at = now() WHERE hub_id = $1`, [hubId]);
      return true;
    });
  }

  /**
   * A leave that did not finish draining: the replica stays a member, seen now, so that once it has been
   * silent for the timeout another replica takes its session over and stores what is left in it.
   */
  async rejoin(hubId: string): Promise<void> {
    await this.database.query(`UPDATE hub_replicas SET state = 'member', seen_at = now() WHERE hub_id = $1`, [hubId]);
  }

  async list(): Promise<ReplicaRow[]> {
    const result = await this.database.query<{
      hub_id: string;
      client_id: string;
      share_group: string;
      state: ReplicaState;
      seen_at: Date;
      adopted_by: string | null;
      adopted_at: Date | null;
    }>(`SELECT * FROM hub_replicas ORDER BY share_group, hub_id`);
    return result.rows.map((row) => ({
      hubId: row.hub_id,
      clientId: row.client_id,
      shareGroup: row.share_group,
      state: row.state,
      seenAt: new Date(row.seen_at).toISOString(),
      adoptedBy: row.adopted_by,
      adoptedAt: row.adopted_at && new Date(row.adopted_at).toISOString(),
    }));
  }
}
