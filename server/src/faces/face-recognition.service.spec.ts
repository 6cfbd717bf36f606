import { describe, expect, it } from 'vitest';
import type { HubConfig } from '../platform/config/hub-config';
import type { Logger } from '../platform/logging/logger';
import type { FaceImageResult, FacePipeline } from './face-pipeline';
import { FaceRecognitionService, FaceRecognitionStoppedError } from './face-recognition.service';

const config = { FACE_RECOGNITION: 'on', FACE_ONNX_THREADS: 1, FACE_BATCH_SIZE: 16 } as HubConfig;
const logger = { info: () => undefined, warn: () => undefined } as unknown as Logger;

const result = { width: 1, height: 1, faces: [], rejected: [], rejectedReasons: [] } as unknown as FaceImageResult;

/** The service with a fake checkpoint pipeline whose runs the test lets finish, and what happened to it, in order. */
function serviceWithFakePipeline() {
  const events: string[] = [];
  const runs: ((value: FaceImageResult[]) => void)[] = [];
  const pipeline = {
    processMany: (images: readonly Buffer[]) => {
      events.push(`run ${images.length}`);
      return new Promise<FaceImageResult[]>((resolve) =>
        runs.push((value) => {
          events.push('run done');
          resolve(value);
        }),
      );
    },
    close: () => {
      events.push('sessions released');
      return Promise.resolve();
    },
  } as unknown as FacePipeline;
  const service = new FaceRecognitionService(config, logger);
  const pipelines = (service as unknown as { pipelines: Map<string, Promise<FacePipeline>> }).pipelines;
  pipelines.set('checkpointCrop', Promise.resolve(pipeline));
  return { service, events, runs };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('FaceRecognitionService.close', () => {
  it('lets the running call finish on live sessions, refuses what waits and what comes, then releases the sessions', async () => {
    const { service, events, runs } = serviceWithFakePipeline();
    const running = service.processCaptures([Buffer.from('a'), Buffer.from('b')]);
    const waiting = service.processCaptures([Buffer.from('c')]).catch((error: unknown) => error);
    await tick();
    expect(events).toEqual(['run 2']);

    let closed = false;
    const closing = service.onModuleDestroy().then(() => (closed = true));
    await expect(service.processCaptures([Buffer.from('d')])).rejects.toBeInstanceOf(FaceRecognitionStoppedError);
    await tick();
    expect(closed).toBe(false);
    expect(events).toEqual(['run 2']);

    runs[0]!([result, result]);
    expect(await running).toEqual([result, result]);
    expect(await waiting).toBeInstanceOf(FaceRecognitionStoppedError);
    await closing;
    expect(events).toEqual(['run 2', 'run done', 'sessions released']);

    // Nothing loads a pipeline again; closing twice releases nothing twice.
    await expect(service.pipeline('scene')).rejects.toBeInstanceOf(FaceRecognitionStoppedError);
    await service.close();
    expect(events.filter((event) => event === 'sessions released')).toHaveLength(1);
  });

  it('answers work refused while stopping with a 503', () => {
    const error = new FaceRecognitionStoppedError();
    expect(error.getStatus()).toBe(503);
    expect(error.message).toBe('face recognition is stopping with the hub');
  });
});
