import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../platform/database/database';
import { confusionKeySql } from './plate-matching';

/** How far last_seen may lag: a plate's row is touched at most once an hour. */
export const LAST_SEEN_SLACK_MS = 3_600_000;

/**
 * The plate dictionary (checkpoint_plates): every plate read, its confusion key and when it was seen.
 * Wildcard and fuzzy searches resolve here, over a few hundred thousand plates instead of the passages.
 */
@Injectable()
export class PlatesRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Records plates seen at times (one row per plate; first/last seen only widen). */
  async record(sightings: readonly { plateNo: string; at: string }[]): Promise<void> {
    if (sightings.length === 0) return;
    await this.database.query(
      `INSERT INTO checkpoint_plates (plate_no, norm_key, first_seen, last_seen)
       SELECT plate_no, ${confusionKeySql('plate_no')}, min(at), max(at)
       FROM unnest($1::text[], $2::timestamptz[]) AS u(plate_no, at)
       GROUP BY plate_no
       ON CONFLICT (plate_no) DO UPDATE SET
         first_seen = least(checkpoint_plates.first_seen, EXCLUDED.first_seen),
         last_seen = greatest(checkpoint_plates.last_seen, EXCLUDED.last_seen)
       WHERE EXCLUDED.first_seen < checkpoint_plates.first_seen OR EXCLUDED.last_seen > checkpoint_plates.last_seen`,
      [sightings.map((s) => s.plateNo), sightings.map((s) => s.at)],
    );
  }

  /** Adds what passages since `since` hold (start-up backfill and the periodic reconciliation). */
  async backfill(since?: string): Promise<number> {
    const result = await this.database.query(
      `INSERT INTO checkpoint_plates (plate_no, norm_key, first_seen, last_seen)
       SELECT plate_no, ${confusionKeySql('plate_no')}, min(pass_time), max(pass_time)
       FROM passages ${since ? 'WHERE pass_time >= $1::timestamptz' : ''}
       GROUP BY plate_no
       ON CONFLICT (plate_no) DO UPDATE SET
         first_seen = least(checkpoint_plates.first_seen, EXCLUDED.first_seen),
         last_seen = greatest(checkpoint_plates.last_seen, EXCLUDED.last_seen)
       WHERE EXCLUDED.first_seen < checkpoint_plates.first_seen OR EXCLUDED.last_seen > checkpoint_plates.last_seen`,
      since ? [since] : [],
    );
    return result.rowCount;
  }

  async isEmpty(): Promise<boolean> {
    const result = await this.database.query(`SELECT 1 FROM checkpoint_plates LIMIT 1`);
    return result.rowCount === 0;
  }

  async passagesExist(): Promise<boolean> {
    const result = await this.database.query(`SELECT 1 FROM passages LIMIT 1`);
    return result.rowCount > 0;
  }

  /** Plates matching a LIKE pattern, seen within the range. */
  async matchingPattern(like: string, range: { from?: string; to?: string }, limit: number): Promise<string[]> {
    const params: unknown[] = [like];
    const where = [`plate_no LIKE $1`, ...this.rangeConditions(range, params)];
    params.push(limit);
    const result = await this.database.query<{ plate_no: string }>(
      `SELECT plate_no FROM checkpoint_plates WHERE ${where.join(' AND ')} ORDER BY plate_no LIMIT $${params.length}`,
      params,
    );
    return result.rows.map((row) => row.plate_no);
  }

  /** Plates whose confusion key is one of `keys`, seen within the range. */
  async withKeys(keys: readonly string[], range: { from?: string; to?: string }, limit: number): Promise<string[]> {
    const params: unknown[] = [keys];
    const where = [`norm_key = ANY($1::text[])`, ...this.rangeConditions(range, params)];
    params.push(limit);
    const result = await this.database.query<{ plate_no: string }>(
      `SELECT plate_no FROM checkpoint_plates WHERE ${where.join(' AND ')} ORDER BY plate_no LIMIT $${params.length}`,
      params,
    );
    return result.rows.map((row) => row.plate_no);
  }

  private rangeConditions(range: { from?: string; to?: string }, params: unknown[]): string[] {
    const conditions: string[] = [];
    if (range.from) {
      params.push(new Date(Date.parse(range.from) - LAST_SEEN_SLACK_MS).toISOString());
      conditions.push(`last_seen >= $${params.length}::timestamptz`);
    }
    if (range.to) {
      params.push(new Date(Date.parse(range.to) + LAST_SEEN_SLACK_MS).toISOString());
      conditions.push(`first_seen < $${params.length}::timestamptz`);
    }
    return conditions;
  }
}
