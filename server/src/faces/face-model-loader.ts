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
   * Threads ONNX Runtime uses inside one operator. Default: 2, or 1 on a one-core machine. The hub
   * targets two cores; a session runs one request at a time, so this bounds the CPU a face job takes.
   */
  intraOpThreads?: number;
}

export class FaceModelMissingError extends Error {
  constructor(file: string, modelsDir: string) {
    super(`face model ${file} not found in ${modelsDir}: run npm install to build the models (npm run build -w @citywatch/models)`);
    this.name = 'FaceModelMissingError';
  }
}

/** models/build/ at the repository root, from server/src/faces/ or the compiled server/dist/faces/ alike. */
export function defaultModelsDir(): string {
  return path.resolve(__dirname, '..', '..', '..', 'models', 'build');
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
  private readonly sessions = new Map<string, Promise<ort.InferenceSession>>();

  constructor(options: FaceModelLoaderOptions = {}) {
    this.modelsDir = options.modelsDir ?? defaultModelsDir();
    this.intraOpThreads = options.intraOpThreads ?? defaultIntraOpThreads();
    if (!Number.isInteger(this.intraOpThreads) || this.intraOpThreads < 1) {
      throw new Error(`intraOpThreads must be a positive integer, got ${this.intraOpThreads}`);
    }
  }

  modelPath(file: string): string {
    const modelPath = path.join(this.modelsDir, file);
    if (!existsSync(modelPath)) throw new FaceModelMissingError(file, this.modelsDir);
    return modelPath;
  }

  session(file: string): Promise<ort.InferenceSession> {
    let session = this.sessions.get(file);
    if (!session) {
      session = ort.InferenceSession.create(this.modelPath(file), {
        intraOpNumThreads: this.intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        // BlazeFace carries unused initialisers ONNX Runtime warns about at every load.
        logSeverityLevel: 3,
      });
      this.sessions.set(file, session);
      session.catch(() => this.sessions.delete(file));
    }
    return session;
  }

  async release(): Promise<void> {
    const sessions = await Promise.allSettled(this.sessions.values());
    this.sessions.clear();
    for (const result of sessions) if (result.status === 'fulfilled') await result.value.release();
  }
}
