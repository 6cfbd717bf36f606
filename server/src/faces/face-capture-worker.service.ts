import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { AlertSeverity, RaiseAlertInput } from '@citywatch/protocol';
import { ALERT_RAISER, type AlertRaiser } from '../common/alert-raiser';
import { HubEvents } from '../common/hub-events';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { descriptorToBytes } from './face-descriptor-codec';
import { FaceCapturesRepository, type CaptureResult, type ClaimedCapture } from './face-captures.repository';
import type { FaceImageResult } from './face-pipeline';
import { FaceRecognitionService, FaceRecognitionStoppedError, thumbnailOf } from './face-recognition.service';
import { report } from './face-upload';
import { FaceSearchService } from './face-search.service';
import { FacesMetrics } from './faces.metrics';
import { WatchlistService } from './watchlist.service';
import type { WatchlistCandidate } from './watchlist-matcher';

/** A capture that failed this many whole-batch attempts is marked failed rather than retried for ever. */
const MAX_ATTEMPTS = 5;
const SEVERITY_BY_PRIORITY: Record<number, AlertSeverity> = { 1: 'critical', 2: 'major', 3: 'minor' };

/**
 * Recognises stored face captures. face_captures is the work queue (rows with processed_at NULL): the
 * worker leases a batch, runs the checkpoint-crop pipeline over it (one batched network run), matches each
 * face against the watchlist, raises an alert per hit, stores descriptor, quality and thumbnail, and marks
 * the batch processed. A crash before the mark leaves the lease (FACE_LEASE_SECONDS) to lapse and the
 * batch is done again: its hits keep their recorded dedupe keys, and a hit whose alert was raised already
 * raises nothing more, so each hit counts once in its alert. Only the latest claim of a capture marks it
 * (a batch that outlived its lease leaves its captures to the worker that claimed them again). Hits of a
 * person at a device merge by shot time whatever order they are processed in (FaceCapturesRepository.recordHit).
 * Woken by `face.stored`, and polls every FACE_SYNC_INTERVAL_MS for captures other replicas stored.
 * Stopping takes no more work: the batch in hand finishes (FaceRecognitionService releases its sessions
 * only after the running call), or, claimed after recognition stopped, is given back at once, its claim
 * not counted, so another hub takes it without waiting for the lease.
 */
@Injectable()
export class FaceCaptureWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private running = false;
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private processedTotal = 0;

  constructor(
    private readonly captures: FaceCapturesRepository,
    private readonly recognition: FaceRecognitionService,
    private readonly watchlist: WatchlistService,
    private readonly search: FaceSearchService,
    private readonly metrics: FacesMetrics,
    private readonly hubEvents: HubEvents,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(ALERT_RAISER) private readonly alerts?: AlertRaiser,
  ) {}

  get processed(): number {
    return this.processedTotal;
  }

  onApplicationBootstrap(): void {
    if (!this.recognition.enabled) return;
    if (!this.alerts) this.logger.warn('no alert raiser: face hits are recorded but raise no alert');
    this.running = true;
    this.unsubscribe = this.hubEvents.on('face.stored', () => this.wake?.());
    this.timer = setInterval(() => this.wake?.(), this.config.FACE_SYNC_INTERVAL_MS);
    this.timer.unref();
    this.loop = this.run();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    this.running = false;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    this.wake?.();
    await this.loop;
  }

  /** Processes batches until none is left; resolves with how many captures it finished (tests, bench). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const done = await this.processBatch();
      if (done === 0) return total;
      total += done;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      let done = 0;
      try {
        done = await this.processBatch();
        failures = 0;
      } catch (error) {
        failures++;
        this.logger.warn({ err: error, attempt: failures }, 'face capture batch failed; retrying');
      }
      if (!this.running) break;
      if (done > 0 && failures === 0) continue;
      const delay = failures > 0 ? Math.min(30_000, 500 * 2 ** failures) : this.config.FACE_SYNC_INTERVAL_MS;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
  }

  /** One batch: lease, recognise, match, alert, store. Returns how many captures it finished. */
  async processBatch(): Promise<number> {
    if (this.stopping) return 0;
    const batch = await this.captures.claim(this.config.FACE_BATCH_SIZE, this.config.FACE_LEASE_SECONDS);
    if (batch.length === 0) {
      void this.sampleBacklog();
      return 0;
    }
    if (this.stopping) return this.giveBack(batch);
    this.metrics.batchSize.observe(batch.length);
    try {
      const results = await this.recognise(batch);
      const started = performance.now();
      const marked = await this.captures.complete(results);
      this.metrics.stageSeconds.observe({ stage: 'store' }, (performance.now() - started) / 1000 / batch.length);
      const done = results.filter((result) => marked.has(result.eventId));
      if (done.length < results.length) {
        // The lease lapsed while this batch ran and another worker claimed those captures: theirs to mark.
        this.logger.warn(
          { eventIds: results.filter((result) => !marked.has(result.eventId)).map((result) => result.eventId) },
          'face captures claimed again before this batch was marked; left to the later claim',
        );
      }
      for (const result of done) this.metrics.processed.inc({ outcome: result.outcome });
      this.metrics.finished(done.length);
      this.processedTotal += done.length;
      this.search.refreshSoon();
      return results.length;
    } catch (error) {
      if (error instanceof FaceRecognitionStoppedError) return this.giveBack(batch);
      await this.captures.release(batch).catch(() => undefined);
      throw error;
    }
  }

  /** The hub is stopping: the claim goes back unprocessed and uncounted, for this or another hub to take. */
  private async giveBack(batch: readonly ClaimedCapture[]): Promise<number> {
    try {
      await this.captures.release(batch, { countAttempt: false });
      this.logger.info({ captures: batch.length }, 'hub stopping: face captures given back unprocessed');
    } catch (error) {
      this.logger.warn(
        { err: error, eventIds: batch.map((capture) => capture.eventId) },
        'hub stopping: face captures not given back; they wait for their lease to lapse',
      );
    }
    return 0;
  }

  private async recognise(batch: ClaimedCapture[]): Promise<CaptureResult[]> {
    const fresh = batch.filter((capture) => capture.attempts <= MAX_ATTEMPTS);
    const images = await this.recognition.processCaptures(fresh.map((capture) => capture.faceJpeg));
    const byEvent = new Map(fresh.map((capture, index) => [capture.eventId, images[index]]));
    const results: CaptureResult[] = [];
    for (const capture of batch) {
      const image = byEvent.get(capture.eventId);
      if (image === undefined || image instanceof Error) {
        if (image)
          this.logger.warn(
            { eventId: capture.eventId, deviceId: capture.deviceId, err: image },
            'face capture unreadable',
          );
        results.push(failed(capture));
        continue;
      }
      this.observeStages(image);
      results.push(await this.resultOf(capture, image));
    }
    return results;
  }

  private async resultOf(capture: ClaimedCapture, image: FaceImageResult): Promise<CaptureResult> {
    const face = image.faces[0];
    if (!face) {
      const best = [...image.rejected].sort((a, b) => b.quality.faceSize - a.quality.faceSize)[0];
      return {
        ...failed(capture),
        outcome: 'rejected',
        quality: best
          ? report(best.quality)
          : { faceSize: 0, detectionScore: 0, passed: false, reasons: [...image.rejectedReasons] },
      };
    }
    const started = performance.now();
    const candidates = this.watchlist.matcher.match(face.descriptor, capture.deviceId, Date.parse(capture.shotTime));
    this.metrics.stageSeconds.observe({ stage: 'match' }, (performance.now() - started) / 1000);
    const hits = candidates.filter((candidate) => candidate.hit);
    const thumbnailJpeg = await thumbnailOf(face.aligned);
    for (const hit of hits) await this.raise(capture, hit);
    return {
      eventId: capture.eventId,
      shotTime: capture.shotTime,
      attempts: capture.attempts,
      outcome: hits.length > 0 ? 'matched' : 'unmatched',
      descriptor: descriptorToBytes(face.descriptor),
      quality: report(face.quality),
      thumbnailJpeg,
      matched: hits.length > 0,
      bestPersonId: candidates[0]?.person.id ?? null,
      bestSimilarity: candidates[0]?.similarity ?? null,
    };
  }

  private async raise(capture: ClaimedCapture, hit: WatchlistCandidate): Promise<void> {
    const person = hit.person;
    const { dedupeKey, alertId } = await this.captures.recordHit(
      {
        captureEventId: capture.eventId,
        shotTime: capture.shotTime,
        deviceId: capture.deviceId,
        personId: person.id,
        photoId: hit.photoId,
        similarity: hit.similarity,
        rank: hit.rank,
      },
      `face:${person.id}:${capture.deviceId}:${capture.eventId}`.slice(0, 200),
      this.config.FACE_ALERT_MERGE_MINUTES * 60_000,
    );
    if (alertId !== null) {
      // Processed before (a crash or a lapsed lease after the alert was raised): counted once already.
      this.logger.info(
        { eventId: capture.eventId, deviceId: capture.deviceId, watchlistPersonId: person.id, alertId },
        'watchlist face hit already raised',
      );
      return;
    }
    this.logger.info(
      {
        eventId: capture.eventId,
        deviceId: capture.deviceId,
        watchlistPersonId: person.id,
        similarity: hit.similarity,
      },
      'watchlist face hit',
    );
    if (!this.alerts) return;
    const input: RaiseAlertInput = {
      type: 'watchlist_face',
      severity: SEVERITY_BY_PRIORITY[person.priority] ?? 'major',
      title: `Watchlist (${person.category.replace('_', ' ')}): ${person.name}`,
      dedupeKey,
      ruleId: `faces.watchlist.${person.category}`,
      deviceId: capture.deviceId,
      sourceEventIds: [capture.eventId],
      occurredAt: capture.shotTime,
      evidence: {
        // The console's alert detail shows the capture beside the enrolled photo (ALERT_IMAGE_LABELS).
        images: [
          { label: 'capture', url: `/api/faces/captures/${encodeURIComponent(capture.eventId)}/image` },
          { label: 'enrolled', url: `/api/faces/watchlist/photos/${hit.photoId}/image` },
        ],
        similarity: Math.round(hit.similarity * 10_000) / 10_000,
        rank: hit.rank,
        watchlistPersonId: person.id,
        watchlistPersonName: person.name,
        facts: { category: person.category, priority: person.priority, reason: person.reason },
      },
    };
    const alert = await this.alerts.raise(input);
    await this.captures.setHitAlert(capture.eventId, person.id, alert.id);
  }

  private observeStages(image: FaceImageResult): void {
    const { decodeMs, detectMs, alignMs, embedMs } = image.timings;
    this.metrics.stageSeconds.observe({ stage: 'decode' }, decodeMs / 1000);
    this.metrics.stageSeconds.observe({ stage: 'detect' }, detectMs / 1000);
    this.metrics.stageSeconds.observe({ stage: 'align' }, alignMs / 1000);
    if (image.faces.length > 0) this.metrics.stageSeconds.observe({ stage: 'embed' }, embedMs / 1000);
  }

  private async sampleBacklog(): Promise<void> {
    try {
      this.metrics.pending.set((await this.captures.backlog()).pending);
    } catch {
      // a metric sample; the next one will do
    }
  }
}

function failed(capture: ClaimedCapture): CaptureResult {
  return {
    eventId: capture.eventId,
    shotTime: capture.shotTime,
    attempts: capture.attempts,
    outcome: 'failed',
    descriptor: null,
    quality: null,
    thumbnailJpeg: null,
    matched: false,
    bestPersonId: null,
    bestSimilarity: null,
  };
}
