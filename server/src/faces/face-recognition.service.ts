import { Inject, Injectable, ServiceUnavailableException, type OnModuleDestroy } from '@nestjs/common';
import sharp from 'sharp';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import type { AlignedFace } from './face-aligner';
import { defaultIntraOpThreads } from './face-model-loader';
import { FACE_PIPELINE_PRESETS, FacePipeline, type FaceImageResult, type FacePipelineOptions } from './face-pipeline';

export type PipelineKind = 'checkpointCrop' | 'scene';

/** Work asked of the pipelines once the hub has begun to stop (a 503 where it reaches a request). */
export class FaceRecognitionStoppedError extends ServiceUnavailableException {
  constructor() {
    super('face recognition is stopping with the hub');
    this.name = 'FaceRecognitionStoppedError';
  }
}

/**
 * The ONNX face pipelines of this hub, each created once on first use (so a hub that never sees a face
 * never loads the models): `checkpointCrop` (BlazeFace front-128, one face) for the crops face checkpoints
 * send, `scene` (back-256) for uploaded photos. Work runs one call at a time: on two cores concurrent
 * ONNX runs were slower than the same runs in turn. Closing refuses new and waiting work
 * (FaceRecognitionStoppedError), lets the running call finish, and only then releases the ONNX sessions.
 */
@Injectable()
export class FaceRecognitionService implements OnModuleDestroy {
  private readonly pipelines = new Map<PipelineKind, Promise<FacePipeline>>();
  private queue: Promise<unknown> = Promise.resolve();
  private stopping = false;
  private released = false;
  private closed?: Promise<void>;
  readonly threads: number;

  constructor(
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.threads = config.FACE_ONNX_THREADS || defaultIntraOpThreads();
  }

  get enabled(): boolean {
    return this.config.FACE_RECOGNITION === 'on';
  }

  pipeline(kind: PipelineKind): Promise<FacePipeline> {
    // The call running when closing began may still load a pipeline; nothing after it may.
    if (this.released) return Promise.reject(new FaceRecognitionStoppedError());
    let pipeline = this.pipelines.get(kind);
    if (!pipeline) {
      const options: FacePipelineOptions = {
        ...FACE_PIPELINE_PRESETS[kind],
        models: { intraOpThreads: this.threads },
        embedder: { maxBatchSize: Math.max(16, this.config.FACE_BATCH_SIZE) },
      };
      pipeline = FacePipeline.create(options);
      pipeline.then(
        () => this.logger.info({ pipeline: kind, threads: this.threads }, 'face pipeline ready'),
        () => this.pipelines.delete(kind),
      );
      this.pipelines.set(kind, pipeline);
    }
    return pipeline;
  }

  /** Runs `work` after every earlier call has finished; refused once closing has begun (also while it waits). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    if (this.stopping) return Promise.reject(new FaceRecognitionStoppedError());
    const guarded = () => (this.stopping ? Promise.reject(new FaceRecognitionStoppedError()) : work());
    const run = this.queue.then(guarded, guarded);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Several captures, batched through the recognition network. */
  processCaptures(images: readonly Buffer[]): Promise<(FaceImageResult | Error)[]> {
    return this.exclusive(async () => (await this.pipeline('checkpointCrop')).processMany(images));
  }

  /**
   * An uploaded photo: the scene detector first; a tight crop where it finds nothing at all goes through
   * the close-range detector.
   */
  processUpload(image: Buffer): Promise<FaceImageResult> {
    return this.exclusive(async () => {
      const [scene] = await (await this.pipeline('scene')).processMany([image]);
      if (scene instanceof Error) throw scene;
      if (scene.faces.length > 0 || scene.rejected.length > 0) return scene;
      const [crop] = await (await this.pipeline('checkpointCrop')).processMany([image]);
      if (crop instanceof Error) throw crop;
      return crop.faces.length > 0 || crop.rejected.length > 0 ? crop : scene;
    });
  }

  /**
   * Stops taking work, waits for the call that is running (a capture batch finishes on live sessions),
   * then releases the sessions. Releasing them under a running call failed its images with "Session
   * already disposed".
   */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.stopping = true;
      await this.queue;
      this.released = true;
      const pipelines = await Promise.allSettled(this.pipelines.values());
      this.pipelines.clear();
      for (const pipeline of pipelines) if (pipeline.status === 'fulfilled') await pipeline.value.close();
    })();
    return this.closed;
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }
}

/** A 112-pixel JPEG of the eye-aligned face: the thumbnail shown in alerts and search results. */
export function thumbnailOf(face: AlignedFace): Promise<Buffer> {
  return sharp(face.pixels, { raw: { width: face.size, height: face.size, channels: 3 } })
    .resize(112, 112)
    .jpeg({ quality: 80 })
    .toBuffer();
}
