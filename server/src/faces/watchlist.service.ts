import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import sharp from 'sharp';
import type {
  SessionUser,
  WatchlistListQuery,
  WatchlistPage,
  WatchlistPerson,
  WatchlistPersonBody,
  WatchlistPersonPatch,
} from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { DevicesService } from '../devices/devices.service';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { descriptorToBytes } from './face-descriptor-codec';
import { FaceRecognitionService, FaceRecognitionStoppedError, thumbnailOf } from './face-recognition.service';
import { FaceUploadException, looksLikeImage, report, singleFaceOf } from './face-upload';
import { WatchlistRepository, type PersonWrite, type PhotoWrite } from './watchlist.repository';
import { WatchlistMatcher, parseCategoryThresholds, type WatchlistTarget } from './watchlist-matcher';

/** Changes are re-read with this overlap, so a write that committed late is never missed. */
const SYNC_OVERLAP_MS = 10_000;
const MAX_PHOTOS = 10;

/** An uploaded file as multer hands it over (memory storage). */
export interface UploadedPhoto {
  buffer: Buffer;
  mimetype?: string;
  originalname?: string;
  size?: number;
}

export interface Requester {
  user: SessionUser | undefined;
  ip: string;
}

/**
 * The person watchlist (布控): enrolment from uploaded photos, edits, and the in-memory gallery every
 * capture is matched against. The gallery follows the database: changes through this replica apply at
 * once, others' within FACE_SYNC_INTERVAL_MS (people rows are never deleted, only marked, so removals
 * are seen too).
 */
@Injectable()
export class WatchlistService implements OnModuleInit, OnModuleDestroy {
  readonly matcher: WatchlistMatcher;
  private readonly versions = new Map<string, number>();
  private syncedUpTo = 0;
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;

  constructor(
    private readonly repository: WatchlistRepository,
    private readonly recognition: FaceRecognitionService,
    private readonly devices: DevicesService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(AUDIT_LOG) private readonly audit?: AuditLog,
  ) {
    this.matcher = new WatchlistMatcher({
      unknown: config.FACE_UNKNOWN_THRESHOLD,
      byCategory: parseCategoryThresholds(config.FACE_MATCH_THRESHOLDS, 0.97),
    });
  }

  async onModuleInit(): Promise<void> {
    await this.sync();
    this.logger.info({ people: this.matcher.peopleCount, photos: this.matcher.photoCount }, 'face watchlist loaded');
    this.timer = setInterval(() => void this.sync(), this.config.FACE_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.syncing;
  }

  /** Picks up changes made through any replica since the last sync. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const changes = await this.repository.changedSince(this.syncedUpTo - SYNC_OVERLAP_MS);
        for (const change of changes) {
          const known = this.versions.get(change.person.id) ?? -1;
          if (change.updatedAt > known) {
            if (change.deleted) this.matcher.remove(change.person.id);
            else this.matcher.upsert(toTarget(change.person), change.descriptors);
            this.versions.set(change.person.id, change.updatedAt);
          }
          this.syncedUpTo = Math.max(this.syncedUpTo, change.updatedAt);
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'watchlist sync failed; will try again');
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  async create(body: WatchlistPersonBody, files: UploadedPhoto[], by: Requester): Promise<WatchlistPerson> {
    const write = this.toWrite(body);
    await this.checkScope(write.deviceIds);
    if (files.length === 0)
      throw new FaceUploadException('no_photo', 'enrolment needs at least one photo (file part "photo")');
    const photos = await this.preparePhotos(files);
    const person = await this.repository.create(write, photos, by.user?.username ?? null);
    await this.refresh();
    await this.record(by, 'watchlist.person.create', person.id, { ...body, photos: person.photos.map((p) => p.id) });
    this.logger.info(
      { watchlistPersonId: person.id, category: person.category, user: by.user?.username },
      'watchlist person enrolled',
    );
    return person;
  }

  async update(id: string, patch: WatchlistPersonPatch, by: Requester): Promise<WatchlistPerson> {
    const current = await this.get(id);
    const merged: WatchlistPersonBody = {
      name: patch.name ?? current.name,
      idNumber: patch.idNumber === null ? undefined : (patch.idNumber ?? current.idNumber ?? undefined),
      category: patch.category ?? current.category,
      priority: patch.priority ?? current.priority,
      reason: patch.reason ?? current.reason,
      validFrom: patch.validFrom ?? current.validFrom,
      validUntil: patch.validUntil === null ? undefined : (patch.validUntil ?? current.validUntil ?? undefined),
      deviceIds: patch.deviceIds ?? current.deviceIds,
      enabled: patch.enabled ?? current.enabled,
    };
    const write = this.toWrite(merged, true);
    if (patch.deviceIds) await this.checkScope(write.deviceIds);
    const person = await this.repository.update(id, write);
    if (!person) throw new NotFoundException(`no watchlist person ${id}`);
    await this.refresh();
    await this.record(by, patch.enabled === false ? 'watchlist.person.disable' : 'watchlist.person.update', id, {
      ...patch,
    });
    return person;
  }

  async remove(id: string, by: Requester): Promise<void> {
    if (!(await this.repository.remove(id))) throw new NotFoundException(`no watchlist person ${id}`);
    await this.refresh();
    await this.record(by, 'watchlist.person.delete', id, {});
  }

  async addPhotos(id: string, files: UploadedPhoto[], by: Requester): Promise<WatchlistPerson> {
    const current = await this.get(id);
    if (files.length === 0) throw new FaceUploadException('no_photo', 'no photo uploaded (file part "photo")');
    if (current.photos.length + files.length > MAX_PHOTOS) {
      throw new BadRequestException(`a person has at most ${MAX_PHOTOS} photos (${current.photos.length} now)`);
    }
    const photos = await this.preparePhotos(files);
    if (!(await this.repository.addPhotos(id, photos, by.user?.username ?? null))) {
      throw new NotFoundException(`no watchlist person ${id}`);
    }
    await this.refresh();
    const person = await this.get(id);
    await this.record(by, 'watchlist.photo.add', id, {
      photos: person.photos.filter((p) => !current.photos.some((c) => c.id === p.id)).map((p) => p.id),
    });
    return person;
  }

  async removePhoto(id: string, photoId: string, by: Requester): Promise<WatchlistPerson> {
    if (!(await this.repository.removePhoto(id, photoId)))
      throw new NotFoundException(`no photo ${photoId} of person ${id}`);
    await this.refresh();
    await this.record(by, 'watchlist.photo.delete', id, { photoId });
    return this.get(id);
  }

  async get(id: string): Promise<WatchlistPerson> {
    const person = await this.repository.find(id);
    if (!person) throw new NotFoundException(`no watchlist person ${id}`);
    return person;
  }

  async list(query: WatchlistListQuery): Promise<WatchlistPage> {
    const items = await this.repository.list(query);
    return { items, nextAfter: items.length === query.limit ? items[items.length - 1]!.id : null };
  }

  async photoImage(photoId: string, which: 'image' | 'thumbnail'): Promise<Buffer> {
    const image = await this.repository.photoImage(photoId, which);
    if (!image) throw new NotFoundException(`no watchlist photo ${photoId}`);
    return image;
  }

  /** Every photo must show exactly one usable face; the first that does not refuses the whole upload. */
  private async preparePhotos(files: UploadedPhoto[]): Promise<PhotoWrite[]> {
    if (!this.recognition.enabled) throw new BadRequestException('face recognition is off (FACE_RECOGNITION=off)');
    if (files.length > MAX_PHOTOS) throw new BadRequestException(`at most ${MAX_PHOTOS} photos at a time`);
    const photos: PhotoWrite[] = [];
    for (const [index, file] of files.entries()) {
      const which = files.length > 1 ? index : undefined;
      if (!looksLikeImage(file.buffer)) {
        throw new FaceUploadException(
          'not_an_image',
          `${which === undefined ? 'the upload' : `file ${index + 1}`} is not a JPEG, PNG or WebP image`,
          { file: which },
        );
      }
      let result;
      try {
        result = await this.recognition.processUpload(file.buffer);
      } catch (error) {
        if (error instanceof FaceRecognitionStoppedError) throw error;
        throw new FaceUploadException('not_an_image', `the image could not be read: ${(error as Error).message}`, {
          file: which,
        });
      }
      const face = singleFaceOf(result, which);
      const imageJpeg = await sharp(file.buffer)
        .rotate()
        .resize({ width: 1024, height: 1024, fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: 85 })
        .toBuffer();
      photos.push({
        imageJpeg,
        thumbnailJpeg: await thumbnailOf(face.aligned),
        descriptor: descriptorToBytes(face.descriptor),
        box: roundBox(face.box),
        quality: report(face.quality),
      });
    }
    return photos;
  }

  /** Applies this replica's own write at once (the sync reads it back). */
  private refresh(): Promise<void> {
    return this.syncing ? this.syncing.then(() => this.sync()) : this.sync();
  }

  /** Checks what the schema cannot: the validity window. */
  private toWrite(body: WatchlistPersonBody, editing = false): PersonWrite {
    const from = body.validFrom === undefined ? undefined : Date.parse(body.validFrom);
    const until = body.validUntil === undefined ? undefined : Date.parse(body.validUntil);
    if (Number.isNaN(from) || Number.isNaN(until))
      throw new BadRequestException('validFrom/validUntil: not a real date');
    if (until !== undefined && until <= (from ?? Date.now()) && !(editing && from !== undefined && until > from)) {
      throw new BadRequestException('validUntil must be after validFrom (or after now)');
    }
    return {
      name: body.name.trim(),
      idNumber: body.idNumber?.trim() || null,
      category: body.category,
      priority: body.priority,
      reason: body.reason,
      validFrom: from === undefined ? null : new Date(from).toISOString(),
      validUntil: until === undefined ? null : new Date(until).toISOString(),
      deviceIds: [...new Set(body.deviceIds ?? [])],
      enabled: body.enabled ?? true,
    };
  }

  /** A person's scope names face checkpoints that are registered; anything else is a 400 naming it. */
  private async checkScope(deviceIds: readonly string[]): Promise<void> {
    const devices = await Promise.all(deviceIds.map((id) => this.devices.find(id)));
    const wrong = deviceIds.flatMap((id, i) => {
      const device = devices[i];
      if (!device) return [`${id} is not a registered device`];
      return device.kind === 'face_checkpoint' ? [] : [`${id} is a ${device.kind}, not a face checkpoint`];
    });
    if (wrong.length > 0) throw new BadRequestException(`deviceIds: ${wrong.join('; ')}`);
  }

  private async record(by: Requester, action: string, id: string, details: Record<string, unknown>): Promise<void> {
    await this.audit?.record({
      actor: by.user ? { id: by.user.id, username: by.user.username } : null,
      action,
      target: `watchlist_person:${id}`,
      details,
      ip: by.ip,
    });
  }
}

export function toTarget(person: WatchlistPerson): WatchlistTarget {
  return {
    id: person.id,
    name: person.name,
    category: person.category,
    priority: person.priority,
    reason: person.reason,
    enabled: person.enabled,
    validFrom: Date.parse(person.validFrom),
    validUntil: person.validUntil === null ? null : Date.parse(person.validUntil),
    deviceIds: new Set(person.deviceIds),
  };
}

function roundBox(box: { x: number; y: number; width: number; height: number }) {
  return { x: Math.round(box.x), y: Math.round(box.y), width: Math.round(box.width), height: Math.round(box.height) };
}
