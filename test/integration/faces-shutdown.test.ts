import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { TopicScheme, encodeMessage } from '@citywatch/protocol';
import { FaceCaptureWorker } from '../../server/src/faces/face-capture-worker.service';
import { FaceCapturesRepository } from '../../server/src/faces/face-captures.repository';
import { FaceRecognitionService } from '../../server/src/faces/face-recognition.service';
import { startHub, type RunningHub } from '../../server/src/hub';
import { IngestService } from '../../server/src/ingest/ingest.service';
import { loadHubConfig } from '../../server/src/platform/config/hub-config';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { openDatabase } from '../../server/src/platform/database/open-database';
import { BACKENDS } from '../support/backends';
import { TEST_ADMIN, registerEstate, startInProcessHub } from '../support/hub';
import {
  FACE_CAMERAS,
  faceCameraRegistrations,
  faceEvent,
  otherCaptures,
  targetCaptures,
  waitProcessed,
} from './faces-support';

interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

interface CaptureRow {
  event_id: string;
  processed: boolean;
  claimed_until: Date | null;
  attempts: number;
  outcome: string | null;
}

const CAPTURES = 40;
/** The detector run the test holds (one a capture): in the third batch of four or so. */
const HELD_RUN = 10;

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((yes) => (resolve = yes));
  return { promise, resolve };
}

/** A hub in the test process whose log lines the test reads (JSON, info and up). */
async function startLoggedHub(env: Record<string, string>): Promise<{ hub: RunningHub; lines: LogLine[] }> {
  const config = loadHubConfig({
    EMBEDDED_MQTT_PORT: '0',
    EMBEDDED_MQTT_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    HOST: '127.0.0.1',
    ADMIN_PASSWORD: TEST_ADMIN.password,
    DEVICE_AUTH: 'optional',
    LOG_LEVEL: 'info',
    ...env,
  });
  const lines: LogLine[] = [];
  const logger = pino(
    { level: 'info', base: { hub: config.hubId } },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { hub: await startHub(config, logger), lines };
}

/**
 * Closing a hub while its face worker is in the middle of a batch. The ONNX sessions used to be released
 * while the batch still ran on them: "Session already disposed" warnings, and the batch's captures marked
 * failed. Now the batch finishes first and is marked, nothing else is claimed, and another hub takes the
 * rest at once (the lease here is ten minutes, so a capture left claimed would hold the test up).
 */
describe.each(BACKENDS)('face worker shutdown on $name', (backend) => {
  it('finishes the batch in hand before the sessions go, logs no warning, and leaves no capture claimed or failed', async () => {
    const prepared = await backend.prepare();
    const dataDir = prepared.env.DATA_DIR ? undefined : mkdtempSync(join(tmpdir(), 'citywatch-hub-'));
    const env = {
      ...prepared.env,
      ...(dataDir ? { DATA_DIR: dataDir } : {}),
      FACE_BATCH_SIZE: '4',
      FACE_LEASE_SECONDS: '600',
      FACE_SYNC_INTERVAL_MS: '100',
      FACE_ONNX_THREADS: '1',
    };
    let first: { hub: RunningHub; lines: LogLine[] } | undefined;
    let closed = false;
    try {
      first = await startLoggedHub(env);
      const { hub, lines } = first;
      await registerEstate(hub.httpUrl, { tollgates: [], devices: faceCameraRegistrations });
      const recognition = hub.app.get(FaceRecognitionService);
      const captures = hub.app.get(FaceCapturesRepository);
      const worker = hub.app.get(FaceCaptureWorker);

      // Which captures each claim took.
      const claimed: string[][] = [];
      const claim = captures.claim.bind(captures);
      captures.claim = async (limit, leaseSeconds) => {
        const batch = await claim(limit, leaseSeconds);
        if (batch.length > 0) claimed.push(batch.map((capture) => capture.eventId));
        return batch;
      };
      // One detector run waits, on the sessions, until the hub has begun to stop, and a while longer.
      const stopBegan = deferred();
      const held = deferred();
      const destroy = recognition.onModuleDestroy.bind(recognition);
      recognition.onModuleDestroy = () => {
        stopBegan.resolve();
        return destroy();
      };
      const pipeline = await recognition.pipeline('checkpointCrop');
      const detect = pipeline.detector.detect.bind(pipeline.detector);
      let runs = 0;
      pipeline.detector.detect = async (image) => {
        if (++runs === HELD_RUN) {
          held.resolve();
          await stopBegan.promise;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
        return detect(image);
      };

      const crops = [...Object.values(await targetCaptures()), ...(await otherCaptures())];
      const now = Date.now();
      const events = Array.from({ length: CAPTURES }, (_, index) =>
        faceEvent(FACE_CAMERAS[index % 2]!, crops[index % crops.length]!, new Date(now - (CAPTURES - index) * 1_000)),
      );
      const ingest = hub.app.get(IngestService);
      const topics = new TopicScheme(hub.config.TOPIC_ROOT);
      await Promise.all(
        events.map(
          (event) => ingest.ingest(topics.event(event.deviceId, 'face'), encodeMessage('face', event)).committed,
        ),
      );

      await held.promise;
      // Batches before the held one are done; the held one is claimed and half recognised.
      const claimsAtStop = claimed.length;
      expect(worker.processed).toBe(claimed.slice(0, -1).flat().length);
      expect(worker.processed).toBeGreaterThan(0);
      const fromStop = lines.length;
      await hub.close();
      closed = true;

      const stopLines = lines.slice(fromStop);
      expect(stopLines.map((line) => line.msg)).toContain('hub stopped');
      const complaints = stopLines.filter(
        (line) => line.level >= 40 && /face|session|dispos/i.test(JSON.stringify(line)),
      );
      expect(complaints).toEqual([]);
      expect(JSON.stringify(lines)).not.toMatch(/already disposed/i);
      // Nothing was claimed after the stop began.
      expect(claimed).toHaveLength(claimsAtStop);

      const database = await openDatabase(hub.config, pino({ level: 'silent' }));
      let rows: CaptureRow[];
      try {
        rows = (
          await database.query<CaptureRow>(
            `SELECT event_id, processed_at IS NOT NULL AS processed, claimed_until, attempts, outcome
             FROM face_captures WHERE event_id = ANY($1::text[])`,
            [events.map((event) => event.eventId)],
          )
        ).rows;
      } finally {
        await database.close();
      }
      expect(rows).toHaveLength(CAPTURES);
      const processed = rows.filter((row) => row.processed);
      // The batches claimed, the held one included, done and marked with real outcomes.
      expect(processed.map((row) => row.event_id).sort()).toEqual(claimed.flat().sort());
      expect(processed.filter((row) => row.outcome === 'failed' || Number(row.attempts) !== 1)).toEqual([]);
      // The rest untouched: not claimed, not counted.
      expect(
        rows.filter((row) => !row.processed && (row.claimed_until !== null || Number(row.attempts) !== 0)),
      ).toEqual([]);

      // Another hub takes the rest straight away.
      const second = await startInProcessHub({ ...env, FACE_LEASE_SECONDS: '600' });
      try {
        const outcomes = await waitProcessed(
          second.hub.app.get<Database>(DATABASE),
          events.map((event) => event.eventId),
          60_000,
        );
        expect([...outcomes.values()].filter((outcome) => outcome === 'failed')).toEqual([]);
      } finally {
        await second.stop();
      }
    } finally {
      if (first && !closed) await first.hub.close().catch(() => undefined);
      await prepared.cleanup();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
