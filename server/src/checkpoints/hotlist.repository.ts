import { Inject, Injectable } from '@nestjs/common';
import type { HotlistCategory, HotlistEntry } from '@citywatch/protocol';
import { DATABASE, type Database } from '../platform/database/database';

interface HotlistRow {
  id: string;
  plate: string;
  kind: 'exact' | 'pattern';
  category: HotlistCategory;
  priority: number;
  reason: string;
  valid_from: Date;
  valid_until: Date | null;
  tollgate_ids: string[];
  fuzzy: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface HotlistChange {
  entry: HotlistEntry;
  deleted: boolean;
  updatedAt: number;
}

const COLUMNS = `id::text, plate, kind, category, priority, reason, valid_from, valid_until, tollgate_ids, fuzzy,
  created_by, created_at, updated_at, deleted_at`;

export type HotlistWrite = Omit<HotlistEntry, 'id' | 'createdAt' | 'updatedAt' | 'createdBy' | 'validFrom'> & {
  validFrom?: string;
};

function toEntry(row: HotlistRow): HotlistEntry {
  return {
    id: row.id,
    plate: row.plate,
    kind: row.kind,
    category: row.category,
    priority: row.priority,
    reason: row.reason,
    validFrom: new Date(row.valid_from).toISOString(),
    validUntil: row.valid_until ? new Date(row.valid_until).toISOString() : null,
    tollgateIds: row.tollgate_ids ?? [],
    fuzzy: row.fuzzy,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** The vehicle hotlist table. */
@Injectable()
export class HotlistRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async create(entry: HotlistWrite, createdBy: string | null): Promise<HotlistEntry> {
    const result = await this.database.query<HotlistRow>(
      `INSERT INTO vehicle_hotlist (plate, kind, category, priority, reason, valid_from, valid_until, tollgate_ids, fuzzy, created_by)
       VALUES ($1, $2, $3, $4, $5, coalesce($6::timestamptz, now()), $7, $8::text[], $9, $10) RETURNING ${COLUMNS}`,
      [
        entry.plate,
        entry.kind,
        entry.category,
        entry.priority,
        entry.reason,
        entry.validFrom ?? null,
        entry.validUntil,
        entry.tollgateIds,
        entry.fuzzy,
        createdBy,
      ],
    );
    return toEntry(result.rows[0]!);
  }

  /** Inserts many entries in one statement (bulk loads and the benchmark). */
  async createMany(entries: readonly HotlistWrite[], createdBy: string | null): Promise<number> {
    const result = await this.database.query(
      `INSERT INTO vehicle_hotlist (plate, kind, category, priority, reason, valid_from, valid_until, tollgate_ids, fuzzy, created_by)
       SELECT u.plate, u.kind, u.category, u.priority, u.reason, coalesce(u.valid_from, now()), u.valid_until, '{}', u.fuzzy, $9
       FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::boolean[])
         AS u(plate, kind, category, priority, reason, valid_from, valid_until, fuzzy)`,
      [
        entries.map((e) => e.plate),
        entries.map((e) => e.kind),
        entries.map((e) => e.category),
        entries.map((e) => e.priority),
        entries.map((e) => e.reason),
        entries.map((e) => e.validFrom ?? null),
        entries.map((e) => e.validUntil),
        entries.map((e) => e.fuzzy),
        createdBy,
      ],
    );
    return result.rowCount;
  }

  async update(id: string, entry: HotlistWrite): Promise<HotlistEntry | undefined> {
    const result = await this.database.query<HotlistRow>(
      `UPDATE vehicle_hotlist SET plate = $2, kind = $3, category = $4, priority = $5, reason = $6,
         valid_from = coalesce($7::timestamptz, valid_from), valid_until = $8, tollgate_ids = $9::text[], fuzzy = $10,
         updated_at = clock_timestamp()
       WHERE id = $1::bigint AND deleted_at IS NULL RETURNING ${COLUMNS}`,
      [
        id,
        entry.plate,
        entry.kind,
        entry.category,
        entry.priority,
        entry.reason,
        entry.validFrom ?? null,
        entry.validUntil,
        entry.tollgateIds,
        entry.fuzzy,
      ],
    );
    return result.rows[0] && toEntry(result.rows[0]);
  }

  async remove(id: string): Promise<boolean> {
    const result = await this.database.query(
      `UPDATE vehicle_hotlist SET deleted_at = clock_timestamp(), updated_at = clock_timestamp()
       WHERE id = $1::bigint AND deleted_at IS NULL`,
      [id],
    );
    return result.rowCount > 0;
  }

  async find(id: string): Promise<HotlistEntry | undefined> {
    const result = await this.database.query<HotlistRow>(
      `SELECT ${COLUMNS} FROM vehicle_hotlist WHERE id = $1::bigint AND deleted_at IS NULL`,
      [id],
    );
    return result.rows[0] && toEntry(result.rows[0]);
  }

  async list(query: {
    active?: boolean;
    categories?: string[];
    after?: string;
    limit: number;
  }): Promise<HotlistEntry[]> {
    const conditions = ['deleted_at IS NULL'];
    const params: unknown[] = [];
    if (query.active !== undefined) {
      conditions.push(
        `${query.active ? '' : 'NOT '}(valid_from <= now() AND (valid_until IS NULL OR valid_until > now()))`,
      );
    }
    if (query.categories) {
      params.push(query.categories);
      conditions.push(`category = ANY($${params.length}::text[])`);
    }
    if (query.after) {
      params.push(query.after);
      conditions.push(`id > $${params.length}::bigint`);
    }
    params.push(query.limit);
    const result = await this.database.query<HotlistRow>(
      `SELECT ${COLUMNS} FROM vehicle_hotlist WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    return result.rows.map(toEntry);
  }

  /** Every live entry (start-up load). */
  async all(): Promise<{ entries: HotlistEntry[]; newest: number }> {
    const result = await this.database.query<HotlistRow>(
      `SELECT ${COLUMNS} FROM vehicle_hotlist WHERE deleted_at IS NULL`,
    );
    const newest = result.rows.reduce((max, row) => Math.max(max, new Date(row.updated_at).getTime()), 0);
    return { entries: result.rows.map(toEntry), newest };
  }

  /** Entries changed (or removed) since a time, for replicas keeping their index in step. */
  async changedSince(since: number): Promise<HotlistChange[]> {
    const result = await this.database.query<HotlistRow>(
      `SELECT ${COLUMNS} FROM vehicle_hotlist WHERE updated_at > $1::timestamptz ORDER BY updated_at`,
      [new Date(since).toISOString()],
    );
    return result.rows.map((row) => ({
      entry: toEntry(row),
      deleted: row.deleted_at !== null,
      updatedAt: new Date(row.updated_at).getTime(),
    }));
  }
}
