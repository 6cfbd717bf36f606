import { Inject, Injectable } from '@nestjs/common';
import type { FaceQualityReport, WatchlistCategory, WatchlistPerson, WatchlistPhoto } from '@citywatch/protocol';
import { DATABASE, type Database, type Queryable } from '../platform/database/database';
import { descriptorFromBytes } from './face-descriptor-codec';

interface PersonRow {
  id: string;
  name: string;
  id_number: string | null;
  category: WatchlistCategory;
  priority: number;
  reason: string;
  valid_from: Date;
  valid_until: Date | null;
  device_ids: string[];
  enabled: boolean;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

interface PhotoRow {
  id: string;
  person_id: string;
  box: WatchlistPhoto['box'];
  quality: FaceQualityReport;
  created_at: Date;
}

export interface PersonWrite {
  name: string;
  idNumber: string | null;
  category: WatchlistCategory;
  priority: number;
  reason: string;
  validFrom: string | null;
  validUntil: string | null;
  deviceIds: string[];
  enabled: boolean;
}

export interface PhotoWrite {
  imageJpeg: Buffer;
  thumbnailJpeg: Buffer;
  descriptor: Buffer;
  box: WatchlistPhoto['box'];
  quality: FaceQualityReport;
}

export interface PersonChange {
  person: WatchlistPerson;
  deleted: boolean;
  updatedAt: number;
}

const PERSON_COLUMNS = `id::text, name, id_number, category, priority, reason, valid_from, valid_until, device_ids,
  enabled, created_by, created_at, updated_at, deleted_at`;
const PHOTO_COLUMNS = `id::text, person_id::text, box, quality, created_at`;

function toPhoto(row: PhotoRow): WatchlistPhoto {
  return {
    id: row.id,
    personId: row.person_id,
    imageUrl: `/api/faces/watchlist/photos/${row.id}/image`,
    thumbnailUrl: `/api/faces/watchlist/photos/${row.id}/thumbnail`,
    box: row.box,
    quality: row.quality,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function toPerson(row: PersonRow, photos: WatchlistPhoto[], now = Date.now()): WatchlistPerson {
  const validFrom = new Date(row.valid_from).getTime();
  const validUntil = row.valid_until ? new Date(row.valid_until).getTime() : null;
  return {
    id: row.id,
    name: row.name,
    idNumber: row.id_number,
    category: row.category,
    priority: Number(row.priority),
    reason: row.reason,
    validFrom: new Date(validFrom).toISOString(),
    validUntil: validUntil === null ? null : new Date(validUntil).toISOString(),
    deviceIds: row.device_ids ?? [],
    enabled: row.enabled,
    active: row.enabled && row.deleted_at === null && validFrom <= now && (validUntil === null || now < validUntil),
    photos,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

/** watchlist_people and watchlist_photos. Photo changes bump the person's updated_at, which replicas poll. */
@Injectable()
export class WatchlistRepository {
  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Creates a person with their photos, in one transaction. */
  async create(person: PersonWrite, photos: readonly PhotoWrite[], createdBy: string | null): Promise<WatchlistPerson> {
    const id = await this.database.transaction(async (tx) => {
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO watchlist_people (name, id_number, category, priority, reason, valid_from, valid_until, device_ids, enabled, created_by)
         VALUES ($1, $2, $3, $4, $5, coalesce($6::timestamptz, now()), $7, $8::text[], $9, $10) RETURNING id::text`,
        [
          person.name,
          person.idNumber,
          person.category,
          person.priority,
          person.reason,
          person.validFrom,
          person.validUntil,
          person.deviceIds,
          person.enabled,
          createdBy,
        ],
      );
      const personId = inserted.rows[0]!.id;
      await this.insertPhotos(tx, personId, photos, createdBy);
      return personId;
    });
    return (await this.find(id))!;
  }

  async update(id: string, person: PersonWrite): Promise<WatchlistPerson | undefined> {
    const result = await this.database.query<{ id: string }>(
      `UPDATE watchlist_people SET name = $2, id_number = $3, category = $4, priority = $5, reason = $6,
              valid_from = coalesce($7::timestamptz, valid_from), valid_until = $8, device_ids = $9::text[], enabled = $10,
              updated_at = clock_timestamp()
       WHERE id = $1 AND deleted_at IS NULL RETURNING id::text`,
      [
        id,
        person.name,
        person.idNumber,
        person.category,
        person.priority,
        person.reason,
        person.validFrom,
        person.validUntil,
        person.deviceIds,
        person.enabled,
      ],
    );
    return result.rows.length === 0 ? undefined : this.find(id);
  }

  /** Marks the person deleted and deletes their photos. */
  async remove(id: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const result = await tx.query(
        `UPDATE watchlist_people SET deleted_at = now(), enabled = false, updated_at = clock_timestamp()
         WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
        [id],
      );
      if (result.rows.length === 0) return false;
      await tx.query(`DELETE FROM watchlist_photos WHERE person_id = $1`, [id]);
      return true;
    });
  }

  async addPhotos(personId: string, photos: readonly PhotoWrite[], createdBy: string | null): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const touched = await tx.query(
        `UPDATE watchlist_people SET updated_at = clock_timestamp() WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
        [personId],
      );
      if (touched.rows.length === 0) return false;
      await this.insertPhotos(tx, personId, photos, createdBy);
      return true;
    });
  }

  async removePhoto(personId: string, photoId: string): Promise<boolean> {
    return this.database.transaction(async (tx) => {
      const removed = await tx.query(`DELETE FROM watchlist_photos WHERE id = $1 AND person_id = $2 RETURNING id`, [
        photoId,
        personId,
      ]);
      if (removed.rows.length === 0) return false;
      await tx.query(`UPDATE watchlist_people SET updated_at = clock_timestamp() WHERE id = $1`, [personId]);
      return true;
    });
  }

  async find(id: string): Promise<WatchlistPerson | undefined> {
    const result = await this.database.query<PersonRow>(
      `SELECT ${PERSON_COLUMNS} FROM watchlist_people WHERE id = $1 AND deleted_at IS NULL`,
      [id],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    return toPerson(row, (await this.photosOf([row.id])).get(row.id) ?? []);
  }

  async list(filter: {
    category?: WatchlistCategory;
    enabled?: boolean;
    q?: string;
    after?: string;
    limit: number;
  }): Promise<WatchlistPerson[]> {
    const conditions = ['deleted_at IS NULL'];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.category) add('category = ?', filter.category);
    if (filter.enabled !== undefined) add('enabled = ?', filter.enabled);
    if (filter.q) {
      params.push(`%${filter.q.replace(/[\\%_]/g, '\\$&')}%`);
      conditions.push(`(name ILIKE $${params.length} OR id_number ILIKE $${params.length})`);
    }
    if (filter.after) add('id > ?::bigint', filter.after);
    params.push(filter.limit);
    const result = await this.database.query<PersonRow>(
      `SELECT ${PERSON_COLUMNS} FROM watchlist_people WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    const photos = await this.photosOf(result.rows.map((row) => row.id));
    return result.rows.map((row) => toPerson(row, photos.get(row.id) ?? []));
  }

  /** People changed after `since` (ms), deleted ones included, with their photos' descriptors. */
  async changedSince(
    since: number,
  ): Promise<(PersonChange & { descriptors: { id: string; descriptor: Float32Array }[] })[]> {
    const result = await this.database.query<PersonRow>(
      `SELECT ${PERSON_COLUMNS} FROM watchlist_people WHERE updated_at > $1 ORDER BY updated_at`,
      [new Date(since).toISOString()],
    );
    const live = result.rows.filter((row) => row.deleted_at === null).map((row) => row.id);
    const descriptors = await this.descriptorsOf(live);
    return result.rows.map((row) => ({
      person: toPerson(row, []),
      deleted: row.deleted_at !== null,
      updatedAt: new Date(row.updated_at).getTime(),
      descriptors: descriptors.get(row.id) ?? [],
    }));
  }

  async photoImage(photoId: string, which: 'image' | 'thumbnail'): Promise<Buffer | null> {
    const column = which === 'image' ? 'image_jpeg' : 'thumbnail_jpeg';
    const result = await this.database.query<{ image: Uint8Array }>(
      `SELECT ${column} AS image FROM watchlist_photos WHERE id = $1`,
      [photoId],
    );
    const image = result.rows[0]?.image;
    return image ? Buffer.from(image.buffer, image.byteOffset, image.byteLength) : null;
  }

  private async insertPhotos(
    tx: Queryable,
    personId: string,
    photos: readonly PhotoWrite[],
    createdBy: string | null,
  ): Promise<void> {
    if (photos.length === 0) return;
    await tx.query(
      `INSERT INTO watchlist_photos (person_id, image_jpeg, thumbnail_jpeg, descriptor, box, quality, created_by)
       SELECT $1, decode(u.image, 'base64'), decode(u.thumbnail, 'base64'), decode(u.descriptor, 'base64'),
              u.box::jsonb, u.quality::jsonb, $2
       FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) AS u(image, thumbnail, descriptor, box, quality)`,
      [
        personId,
        createdBy,
        photos.map((p) => p.imageJpeg.toString('base64')),
        photos.map((p) => p.thumbnailJpeg.toString('base64')),
        photos.map((p) => p.descriptor.toString('base64')),
        photos.map((p) => JSON.stringify(p.box)),
        photos.map((p) => JSON.stringify(p.quality)),
      ],
    );
  }

  private async photosOf(personIds: readonly string[]): Promise<Map<string, WatchlistPhoto[]>> {
    const photos = new Map<string, WatchlistPhoto[]>();
    if (personIds.length === 0) return photos;
    const result = await this.database.query<PhotoRow>(
      `SELECT ${PHOTO_COLUMNS} FROM watchlist_photos WHERE person_id = ANY($1::bigint[]) ORDER BY id`,
      [personIds],
    );
    for (const row of result.rows) {
      const list = photos.get(row.person_id) ?? [];
      list.push(toPhoto(row));
      photos.set(row.person_id, list);
    }
    return photos;
  }

  private async descriptorsOf(
    personIds: readonly string[],
  ): Promise<Map<string, { id: string; descriptor: Float32Array }[]>> {
    const descriptors = new Map<string, { id: string; descriptor: Float32Array }[]>();
    if (personIds.length === 0) return descriptors;
    const result = await this.database.query<{ id: string; person_id: string; descriptor: Uint8Array }>(
      `SELECT id::text, person_id::text, descriptor FROM watchlist_photos WHERE person_id = ANY($1::bigint[])`,
      [personIds],
    );
    for (const row of result.rows) {
      const list = descriptors.get(row.person_id) ?? [];
      list.push({ id: row.id, descriptor: descriptorFromBytes(row.descriptor) });
      descriptors.set(row.person_id, list);
    }
    return descriptors;
  }
}
