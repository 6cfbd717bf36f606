import { describe, expect, it } from 'vitest';
import type { AlertRecord, RaiseAlertInput } from '@citywatch/protocol';
import { HubEvents } from '../common/hub-events';
import type { HubConfig } from '../platform/config/hub-config';
import type { Logger } from '../platform/logging/logger';
import { HubMetrics } from '../platform/metrics/metrics';
import { FaceCaptureWorker } from './face-capture-worker.service';
import { FaceRecognitionStoppedError, type FaceRecognitionService } from './face-recognition.service';
import type { CaptureResult, ClaimedCapture, FaceCapturesRepository, FaceHitRecord } from './face-captures.repository';
import type { FaceImageResult } from './face-pipeline';
import type { FaceSearchService } from './face-search.service';
import { FacesMetrics } from './faces.metrics';
import type { WatchlistCandidate } from './watchlist-matcher';
import type { WatchlistService } from './watchlist.service';

const DEVICE = '23010800001330000701';

function capture(eventId: string, attempts = 1): ClaimedCapture {
  return { eventId, shotTime: '2026-11-27T10:00:00.000Z', deviceId: DEVICE, faceJpeg: Buffer.from('jpeg'), attempts };
}

function image(): FaceImageResult {
  return {
    width: 160,
    height: 160,
    faces: [
      {
        box: { x: 0, y: 0, width: 100, height: 100 },
        score: 0.9,
        landmarks: {},
        quality: { faceSize: 100, detectionScore: 0.9, sharpness: 50, passed: true, reasons: [] },
        descriptor: new Float32Array(128).fill(1 / Math.sqrt(128)),
        aligned: { pixels: Buffer.alloc(150 * 150 * 3, 128), size: 150 },
      },
    ],
    rejected: [],
    rejectedReasons: [],
    timings: { decodeMs: 1, detectMs: 1, alignMs: 1, embedMs: 1 },
  } as unknown as FaceImageResult;
}

const hit: WatchlistCandidate = {
  person: {
    id: '7',
    name: 'Zhang Wei',
    category: 'wanted',
    priority: 1,
    reason: 'case',
    enabled: true,
    validFrom: 0,
    validUntil: null,
    deviceIds: new Set(),
  },
  photoId: '3',
  similarity: 0.99,
  rank: 1,
  hit: true,
};

/** A worker over fakes: the batch it claims, what recordHit answers per capture, which captures `complete` marks. */
function workerWith(options: {
  batch: ClaimedCapture[];
  alertIdOf?: (eventId: string) => string | null;
  marks?: (results: readonly CaptureResult[]) => string[];
  /** Answers the first claim (default: the batch at once). */
  claim?: () => Promise<ClaimedCapture[]>;
  processCaptures?: (jpegs: Buffer[]) => Promise<(FaceImageResult | Error)[]>;
}) {
  const raised: RaiseAlertInput[] = [];
  const hitAlerts: [string, string, string][] = [];
  const completed: CaptureResult[][] = [];
  const released: { eventIds: string[]; options: unknown }[] = [];
  const logged: { level: string; msg: string }[] = [];
  let claims = 0;
  const captures = {
    claim: () => {
      claims++;
      if (claims > 1) return Promise.resolve([]);
      return options.claim ? options.claim() : Promise.resolve(options.batch);
    },
    release: (batch: readonly ClaimedCapture[], releaseOptions?: unknown) => {
      released.push({ eventIds: batch.map((capture) => capture.eventId), options: releaseOptions });
      return Promise.resolve();
    },
    backlog: () => Promise.resolve({ pending: 0, oldestPendingS: null }),
    complete: (results: readonly CaptureResult[]) => {
      completed.push([...results]);
      return Promise.resolve(new Set(options.marks ? options.marks(results) : results.map((r) => r.eventId)));
    },
    recordHit: (record: Omit<FaceHitRecord, 'dedupeKey'>, proposedKey: string) =>
      Promise.resolve({
        dedupeKey: proposedKey,
        alertId: options.alertIdOf ? options.alertIdOf(record.captureEventId) : null,
      }),
    setHitAlert: (eventId: string, personId: string, alertId: string) => {
      hitAlerts.push([eventId, personId, alertId]);
      return Promise.resolve();
    },
  } as unknown as FaceCapturesRepository;
  const recognition = {
    enabled: true,
    processCaptures: options.processCaptures ?? ((jpegs: Buffer[]) => Promise.resolve(jpegs.map(() => image()))),
  } as unknown as FaceRecognitionService;
  const watchlist = { matcher: { match: () => [hit] } } as unknown as WatchlistService;
  const search = { refreshSoon: () => undefined } as unknown as FaceSearchService;
  const config = {
    FACE_BATCH_SIZE: 16,
    FACE_LEASE_SECONDS: 120,
    FACE_ALERT_MERGE_MINUTES: 10,
    FACE_SYNC_INTERVAL_MS: 60_000,
  } as HubConfig;
  const log =
    (level: string) =>
    (...args: unknown[]) =>
      void logged.push({ level, msg: String(args.find((arg) => typeof arg === 'string')) });
  const logger = {
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    debug: log('debug'),
  } as unknown as Logger;
  const alerts = {
    raise: (input: RaiseAlertInput) => {
      raised.push(input);
      return Promise.resolve({ id: `alert-${raised.length}` } as AlertRecord);
    },
  };
  const metrics = new FacesMetrics(new HubMetrics());
  const worker = new FaceCaptureWorker(
    captures,
    recognition,
    watchlist,
    search,
    metrics,
    new HubEvents(),
    config,
    logger,
    alerts,
  );
  return { worker, raised, hitAlerts, completed, released, logged, metrics, claims: () => claims };
}

/** A promise and its resolve, to hold a fake's answer until the test lets it go. */
function held<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FaceCaptureWorker', () => {
  it('raises an alert per hit and records its id on the hit', async () => {
    const { worker, raised, hitAlerts, completed } = workerWith({ batch: [capture('a'), capture('b')] });
    expect(await worker.drain()).toBe(2);
    expect(raised.map((input) => input.sourceEventIds)).toEqual([['a'], ['b']]);
    expect(hitAlerts).toEqual([
      ['a', '7', 'alert-1'],
      ['b', '7', 'alert-2'],
    ]);
    expect(completed[0].map((result) => [result.eventId, result.attempts, result.outcome])).toEqual([
      ['a', 1, 'matched'],
      ['b', 1, 'matched'],
    ]);
  });

  it('raises nothing more for a hit whose alert was raised before (processed again after a crash)', async () => {
    const { worker, raised, completed } = workerWith({
      batch: [capture('a', 2), capture('b', 2)],
      alertIdOf: (eventId) => (eventId === 'a' ? 'alert-0' : null),
    });
    expect(await worker.drain()).toBe(2);
    expect(raised.map((input) => input.sourceEventIds)).toEqual([['b']]);
    // Still marked matched, with this claim's token.
    expect(completed[0].map((result) => [result.eventId, result.attempts, result.outcome])).toEqual([
      ['a', 2, 'matched'],
      ['b', 2, 'matched'],
    ]);
  });

  it('counts only the captures its claim marked (the others were claimed again after its lease lapsed)', async () => {
    const { worker, metrics } = workerWith({
      batch: [capture('a'), capture('b'), capture('c')],
      marks: () => ['b'],
    });
    await worker.drain();
    expect(worker.processed).toBe(1);
    const processed = await metrics.processed.get();
    expect(processed.values.map((value) => [value.labels.outcome, value.value])).toEqual([['matched', 1]]);
  });

  describe('when the hub stops', () => {
    it('finishes the batch in hand, marks it, and takes no more', async () => {
      const recognising = held<(FaceImageResult | Error)[]>();
      const started = held<void>();
      const { worker, completed, released, logged, claims } = workerWith({
        batch: [capture('a'), capture('b')],
        processCaptures: () => {
          started.resolve();
          return recognising.promise;
        },
      });
      worker.onApplicationBootstrap();
      await started.promise;
      let stopped = false;
      const stopping = worker.onModuleDestroy().then(() => (stopped = true));
      await tick();
      expect(stopped).toBe(false);
      recognising.resolve([image(), image()]);
      await stopping;
      expect(completed.map((results) => results.map((result) => [result.eventId, result.outcome]))).toEqual([
        [
          ['a', 'matched'],
          ['b', 'matched'],
        ],
      ]);
      expect(released).toEqual([]);
      expect(claims()).toBe(1);
      expect(logged.filter((line) => line.level !== 'info')).toEqual([]);
    });

    it('gives a batch claimed as the hub stops back unprocessed and uncounted, without a warning', async () => {
      const claimed = held<ClaimedCapture[]>();
      let recognised = 0;
      const { worker, completed, released, logged } = workerWith({
        batch: [],
        claim: () => claimed.promise,
        processCaptures: (jpegs) => {
          recognised++;
          return Promise.resolve(jpegs.map(() => image()));
        },
      });
      worker.onApplicationBootstrap();
      await tick();
      const stopping = worker.onModuleDestroy();
      claimed.resolve([capture('a', 3), capture('b', 3)]);
      await stopping;
      expect(recognised).toBe(0);
      expect(completed).toEqual([]);
      expect(released).toEqual([{ eventIds: ['a', 'b'], options: { countAttempt: false } }]);
      expect(logged.filter((line) => line.level !== 'info')).toEqual([]);
    });

    it('gives the batch back when recognition stopped before it (no warning, no failed capture)', async () => {
      const { worker, completed, released, logged } = workerWith({
        batch: [capture('a'), capture('b')],
        processCaptures: () => Promise.reject(new FaceRecognitionStoppedError()),
      });
      expect(await worker.drain()).toBe(0);
      expect(completed).toEqual([]);
      expect(released).toEqual([{ eventIds: ['a', 'b'], options: { countAttempt: false } }]);
      expect(logged.filter((line) => line.level !== 'info')).toEqual([]);
    });
  });
});
