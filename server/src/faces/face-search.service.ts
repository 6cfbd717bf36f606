import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { FaceSearchQuery, FaceSearchResult } from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { CaptureSearchIndex, type IndexedCapture } from './capture-search-index';
import { FaceCapturesRepository } from './face-captures.repository';
import { FaceRecognitionService, FaceRecognitionStoppedError } from './face-recognition.service';
import { FaceUploadException, looksLikeImage, report, singleFaceOf } from './face-upload';
import { FacesMetrics } from './faces.metrics';
import type { Requester, UploadedPhoto } from './watchlist.service';

const DAY_MS = 86_400_000;
/** Re-read with this overlap, so captures committed late by another replica are not missed. */
const FOLLOW_OVERLAP_MS = 1_000;
const FOLLOW_PAGE = 5_000;
const MAX_WINDOW_DAYS = 31;

/**
 * Search by face (以脸搜脸) over stored captures, and the capture images. Descriptors are searched in
 * memory (CaptureSearchIndex): a day is loaded from the database the first time a search needs it, and
 * loaded days follow the captures any replica processes (polled by processed_at).
 */
@Injectable()
export class FaceSearchService implements OnModuleInit, OnModuleDestroy {
  readonly index: CaptureSearchIndex;
  private followedUpTo: Date;
  private readonly watchingSince = Date.now();
  private loading = new Map<number, Promise<void>>();
  private following?: Promise<void>;
  private followTimer?: NodeJS.Timeout;
  private pollTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly captures: FaceCapturesRepository,
    private readonly recognition: FaceRecognitionService,
    private readonly metrics: FacesMetrics,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(AUDIT_LOG) private readonly audit?: AuditLog,
  ) {
    this.index = new CaptureSearchIndex(config.FACE_SEARCH_CACHE_DAYS);
    this.followedUpTo = new Date(this.watchingSince - FOLLOW_OVERLAP_MS);
  }

  /** Follows other replicas' processing too, and keeps today loaded. */
  onModuleInit(): void {
    this.pollTimer = setInterval(() => void this.follow(), this.config.FACE_SYNC_INTERVAL_MS);
    this.pollTimer.unref();
  }

  onModuleDestroy(): Promise<void> | undefined {
    this.closed = true;
    if (this.followTimer) clearTimeout(this.followTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    return this.following;
  }

  async search(file: UploadedPhoto | undefined, query: FaceSearchQuery, by: Requester): Promise<FaceSearchResult> {
    const started = performance.now();
    const from = Date.parse(query.from);
    const to = Date.parse(query.to);
    if (Number.isNaN(from) || Number.isNaN(to)) throw new BadRequestException('from/to: not a real date');
    if (to <= from) throw new BadRequestException('to must be after from');
    if (to - from > MAX_WINDOW_DAYS * DAY_MS)
      throw new BadRequestException(`the window may span at most ${MAX_WINDOW_DAYS} days`);
    if (!file) throw new FaceUploadException('no_photo', 'search by face needs a photo (file part "photo")');
    if (!this.recognition.enabled) throw new BadRequestException('face recognition is off (FACE_RECOGNITION=off)');
    if (!looksLikeImage(file.buffer))
      throw new FaceUploadException('not_an_image', 'the upload is not a JPEG, PNG or WebP image');
    let image;
    try {
      image = await this.recognition.processUpload(file.buffer);
    } catch (error) {
      if (error instanceof FaceRecognitionStoppedError) throw error;
      throw new FaceUploadException('not_an_image', `the image could not be read: ${(error as Error).message}`);
    }
    const face = singleFaceOf(image);
    const deviceIds = query.deviceIds ? new Set(query.deviceIds.split(',')) : undefined;

    const days = CaptureSearchIndex.daysOf(from, to);
    const found: ReturnType<CaptureSearchIndex['search']>['matches'] = [];
    let searched = 0;
    // Days beyond what memory holds are loaded and searched a few at a time.
    for (let start = 0; start < days.length; start += this.config.FACE_SEARCH_CACHE_DAYS) {
      const group = days.slice(start, start + this.config.FACE_SEARCH_CACHE_DAYS);
      await Promise.all(group.map((day) => this.ensureDay(day)));
      const part = this.index.search(face.descriptor, {
        from: Math.max(from, group[0]),
        to: Math.min(to, group[group.length - 1] + DAY_MS - 1),
        deviceIds,
        limit: query.limit,
        minSimilarity: query.minSimilarity,
      });
      searched += part.searched;
      found.push(...part.matches);
    }
    const unique = new Map<string, (typeof found)[number]>();
    for (const match of found.sort((a, b) => b.similarity - a.similarity))
      if (!unique.has(match.eventId)) unique.set(match.eventId, match);
    const best = [...unique.values()].slice(0, query.limit);
    const details = await this.captures.details(best.map((match) => match.eventId));
    const hits = best
      .filter((match) => details.has(match.eventId))
      .map((match, position) => {
        const detail = details.get(match.eventId)!;
        const id = encodeURIComponent(match.eventId);
        return {
          rank: position + 1,
          similarity: Math.round(match.similarity * 10_000) / 10_000,
          eventId: match.eventId,
          deviceId: detail.deviceId,
          shotTime: detail.shotTime,
          thumbnailUrl: `/api/faces/captures/${id}/thumbnail`,
          imageUrl: `/api/faces/captures/${id}/image`,
          quality: detail.quality,
          matched: detail.matched,
        };
      });
    const tookMs = Math.round((performance.now() - started) * 10) / 10;
    this.metrics.searchSeconds.observe(tookMs / 1000);
    await this.audit?.record({
      actor: by.user ? { id: by.user.id, username: by.user.username } : null,
      action: 'faces.search',
      target: null,
      details: {
        from: query.from,
        to: query.to,
        deviceIds: query.deviceIds ?? null,
        limit: query.limit,
        minSimilarity: query.minSimilarity,
        results: hits.length,
        topEventIds: hits.slice(0, 10).map((hit) => hit.eventId),
      },
      ip: by.ip,
    });
    return {
      hits,
      searched,
      tookMs,
      queryFace: { box: face.box, quality: report(face.quality) },
    };
  }

  /** Loads one day of descriptors into memory, once, however many searches ask at the same time. */
  ensureDay(day: number): Promise<void> {
    if (this.index.has(day)) return Promise.resolve();
    let loading = this.loading.get(day);
    if (!loading) {
      loading = (async () => {
        const started = performance.now();
        // A day that began after this replica started following has nothing to load: every capture in it
        // is picked up as it is processed.
        const captures = day > this.watchingSince ? [] : await this.captures.descriptorsOfDay(day);
        this.index.open(day, captures);
        this.index.dropBefore(Date.now() - this.config.RETENTION_UNMATCHED_FACES_DAYS * DAY_MS - DAY_MS);
        this.logger.info(
          {
            day: new Date(day).toISOString().slice(0, 10),
            captures: captures.length,
            ms: Math.round(performance.now() - started),
          },
          'face search day loaded',
        );
      })().finally(() => this.loading.delete(day));
      this.loading.set(day, loading);
    }
    return loading;
  }

  /** Asks for the processed captures to be picked up soon (the worker calls it after each batch). */
  refreshSoon(): void {
    if (this.followTimer || this.closed) return;
    this.followTimer = setTimeout(() => {
      this.followTimer = undefined;
      void this.follow();
    }, 500);
    this.followTimer.unref();
  }

  /** Adds captures processed by any replica since the last look to the loaded days. */
  follow(): Promise<void> {
    this.following ??= (async () => {
      try {
        for (;;) {
          const rows = await this.captures.processedSince(this.followedUpTo, FOLLOW_PAGE);
          for (const row of rows) this.place(row);
          if (rows.length > 0) {
            const newest = rows[rows.length - 1].processedAt;
            this.followedUpTo = new Date(Math.max(this.followedUpTo.getTime(), newest - FOLLOW_OVERLAP_MS));
            if (rows.length === FOLLOW_PAGE) {
              this.followedUpTo = new Date(newest);
              continue;
            }
          }
          return;
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'face search index follow failed; will try again');
      } finally {
        this.following = undefined;
      }
    })();
    return this.following;
  }

  /** A processed capture into its day: now if loaded, after the load if loading, or a day begun since following. */
  private place(capture: IndexedCapture): void {
    if (this.index.add(capture)) return;
    const day = CaptureSearchIndex.dayOf(capture.shotTime);
    const loading = this.loading.get(day);
    if (loading) void loading.then(() => this.index.add(capture));
    else if (day > this.watchingSince) this.index.open(day, [capture]);
  }

  async captureImage(eventId: string, which: 'face' | 'thumbnail'): Promise<Buffer> {
    const image = await this.captures.image(eventId, which);
    if (!image) throw new NotFoundException(`no ${which === 'face' ? 'image' : 'thumbnail'} of capture ${eventId}`);
    return image;
  }
}
