import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';

/** The ONNX files `npm install` builds into models/build/ (see models/README.md). */
export const FACE_MODEL_FILES = {
  detectorFront128: 'blazeface-front-128.onnx',
  detectorBack256: 'blazeface-back-256.onnx',
  recognition: 'face-recognition-net.onnx',
} as const;

export interface FaceModelLoaderOptions {
  /** Folder holding the built models; defaults to models/build/ at the repository root. */
  modelsDir?: string;
  /**
   * Threads ONNX Runtime uses inside one operator of the recognition network. Default: 2, or 1 on a
   * one-core machine; the hub targets two cores. Measured there, a batch of four crops ran in 13.5 ms
   * on two threads against 21 ms on one.
   */
  intraOpThreads?: number;
  /**
   * The same for BlazeFace. Default 1: its layers are too small to share out; measured on two cores
   * the 256 model ran in 7 ms on one thread against 12 ms on two.
   */
  detectorIntraOpThreads?: number;
}

export class FaceModelMissingError extends Error {
  constructor(file: string, modelsDir: string) {
    super(
      `face model ${file} not found in ${modelsDir}: run npm install to build the models (npm run build -w @citywatch/models)`,
    );
    this.name = 'FaceModelMissingError';
  }
}

/** models/build/ at the repository root, from server/src/faces/ or the compiled server/dist/faces/ alike. */
export function defaultModelsDir(): string {
  return path.resolve(__dirname, '..', '..', '..', 'models', 'build');
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

export function defaultIntraOpThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/**
 * Creates each ONNX Runtime session once and hands out the same instance afterwards. Sessions are
 * safe to share: ONNX Runtime runs concurrent `run()` calls on one session.
 */
export class FaceModelLoader {
  readonly modelsDir: string;
  readonly intraOpThreads: number;
  readonly detectorIntraOpThreads: number;
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(options: FaceModelLoaderOptions = {}) {
    this.modelsDir = options.modelsDir ?? defaultModelsDir();
    this.intraOpThreads = positiveInteger('intraOpThreads', options.intraOpThreads ?? defaultIntraOpThreads());
    this.detectorIntraOpThreads = positiveInteger('detectorIntraOpThreads', options.detectorIntraOpThreads ?? 1);
  }

  modelPath(file: string): string {
    const modelPath = path.join(this.modelsDir, file);
    if (!existsSync(modelPath)) throw new FaceModelMissingError(file, this.modelsDir);
    return modelPath;
  }

  /** The session for a model file with the given intra-op thread count (default `intraOpThreads`). */
  session(file: string, intraOpThreads = this.intraOpThreads): Promise<ort.InferenceSession> {
    const key = `${file}#${intraOpThreads}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = ort.InferenceSession.create(this.modelPath(file), {
        intraOpNumThreads: intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // BlazeFace carries unused initialisers ONNX Runtime warns about at every load.
        logSeverityLevel: 3,
      });
      this.sessions.set(key, session);
      session.catch(() => this.sessions.delete(key));
    }
    return session;
  }

  async release(): Promise<void> {
    const sessions = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const result of sessions) if (result.status === 'fulfilled') await result.value.release();
  }
}
