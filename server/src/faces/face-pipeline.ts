import { performance } from 'node:perf_hooks';
import { type AlignedFace, alignFace } from './face-aligner';
import { FaceDetector, type FaceDetectorOptions } from './face-detector';
import { FaceEmbedder, type FaceEmbedderOptions } from './face-embedder';
import { FaceModelLoader, type FaceModelLoaderOptions } from './face-model-loader';
import { type FaceQuality, FaceQualityGate, type FaceQualityOptions, type ImageRejectReason } from './face-quality';
import type { FaceDetection, RgbImage } from './face-types';
import { decodeImage } from './image-decoder';

export interface FacePipelineOptions {
  models?: FaceModelLoaderOptions;
  detector?: FaceDetectorOptions;
  quality?: Partial<FaceQualityOptions>;
  embedder?: FaceEmbedderOptions;
}

/**
 * Two starting points: whole photos and camera frames (`scene`), and the face crops a face
 * checkpoint sends, one person at a time (`checkpointCrop`).
 */
export const FACE_PIPELINE_PRESETS = {
  scene: { detector: { model: 'back-256' } },
  checkpointCrop: { detector: { model: 'front-128', maxFaces: 5 }, quality: { maxFaceCount: 1 } },
} as const satisfies Record<string, FacePipelineOptions>;

export interface RecognisedFace extends FaceDetection {
  quality: FaceQuality;
  /** Unit-length 128-d descriptor; compare with a dot product. */
  descriptor: Float32Array;
  /** The eye-aligned 150x150 crop the descriptor came from (for thumbnails). */
  aligned: AlignedFace;
}

export interface RejectedFace extends FaceDetection {
  quality: FaceQuality;
}

export interface StageTimings {
  decodeMs: number;
  detectMs: number;
  alignMs: number;
  embedMs: number;
}

export interface FaceImageResult {
  width: number;
  height: number;
  /** Faces that passed every gate, with descriptors. */
  faces: RecognisedFace[];
  /** Faces that were found but failed a gate; `quality.reasons` says which. */
  rejected: RejectedFace[];
  /** Why the image as a whole gave no usable face, empty when it did. */
  rejectedReasons: ImageRejectReason[];
  timings: StageTimings;
}

interface PreparedImage {
  width: number;
  height: number;
  candidates: { detection: FaceDetection; quality: FaceQuality; aligned: AlignedFace }[];
  rejected: RejectedFace[];
  rejectedReasons: ImageRejectReason[];
  timings: StageTimings;
}

/**
 * decode → detect → quality (size, score) → align → quality (sharpness, face count) → embed.
 * The ONNX sessions are created once in `create()` and shared by every call.
 */
export class FacePipeline {
  private constructor(
    private readonly loader: FaceModelLoader,
    readonly detector: FaceDetector,
    readonly embedder: FaceEmbedder,
    readonly qualityGate: FaceQualityGate,
  ) {}

  static async create(options: FacePipelineOptions = {}): Promise<FacePipeline> {
    const loader = new FaceModelLoader(options.models);
    const [detector, embedder] = await Promise.all([
      FaceDetector.create(loader, options.detector),
      FaceEmbedder.create(loader, options.embedder),
    ]);
    return new FacePipeline(loader, detector, embedder, new FaceQualityGate(options.quality));
  }

  /** Runs the whole chain on encoded image bytes (JPEG, PNG, WebP). */
  async process(encoded: Buffer): Promise<FaceImageResult> {
    const started = performance.now();
    const image = await decodeImage(encoded);
    return this.processDecoded(image, performance.now() - started);
  }

  async processDecoded(image: RgbImage, decodeMs = 0): Promise<FaceImageResult> {
    const prepared = await this.prepare(image, decodeMs);
    return (await this.embedPrepared([prepared]))[0];
  }

  /**
   * Several images at once: each is decoded, detected and aligned alone (BlazeFace takes one image a
   * run), then every accepted face of every image goes through FaceRecognitionNet in one batched run.
   * An image that cannot be decoded gives an Error in its place; the others go on.
   */
  async processMany(encoded: readonly Buffer[]): Promise<(FaceImageResult | Error)[]> {
    const prepared: (PreparedImage | Error)[] = [];
    for (const bytes of encoded) {
      const started = performance.now();
      try {
        const image = await decodeImage(bytes);
        prepared.push(await this.prepare(image, performance.now() - started));
      } catch (error) {
        prepared.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    const ready = prepared.filter((item): item is PreparedImage => !(item instanceof Error));
    const results = await this.embedPrepared(ready);
    let next = 0;
    return prepared.map((item) => (item instanceof Error ? item : results[next++]));
  }

  private async prepare(image: RgbImage, decodeMs: number): Promise<PreparedImage> {
    const timings: StageTimings = { decodeMs, detectMs: 0, alignMs: 0, embedMs: 0 };
    let started = performance.now();
    const detections = await this.detector.detect(image);
    timings.detectMs = performance.now() - started;

    const rejected: RejectedFace[] = [];
    const candidates: PreparedImage['candidates'] = [];
    started = performance.now();
    for (const detection of detections) {
      let quality = this.qualityGate.checkDetection(detection);
      if (!quality.passed) {
        rejected.push({ ...detection, quality });
        continue;
      }
      const aligned = await alignFace(image, detection.landmarks);
      quality = this.qualityGate.checkSharpness(quality, aligned);
      if (quality.passed) candidates.push({ detection, quality, aligned });
      else rejected.push({ ...detection, quality });
    }
    timings.alignMs = performance.now() - started;

    const rejectedReasons = this.qualityGate.checkFaceCount(candidates.length);
    if (rejectedReasons.includes('too-many-faces')) {
      for (const { detection, quality } of candidates) {
        rejected.push({
          ...detection,
          quality: { ...quality, passed: false, reasons: [...quality.reasons, 'too-many-faces'] },
        });
      }
      candidates.length = 0;
    }
    return { width: image.width, height: image.height, candidates, rejected, rejectedReasons, timings };
  }

  /** One FaceRecognitionNet run (split at the embedder's batch size) for the faces of all the images. */
  private async embedPrepared(images: PreparedImage[]): Promise<FaceImageResult[]> {
    const started = performance.now();
    const descriptors = await this.embedder.embed(images.flatMap((image) => image.candidates.map((c) => c.aligned)));
    const faceCount = Math.max(1, descriptors.length);
    const embedMs = performance.now() - started;
    let next = 0;
    return images.map(({ width, height, candidates, rejected, rejectedReasons, timings }) => {
      const faces = candidates.map(({ detection, quality, aligned }) => ({
        ...detection,
        quality,
        aligned,
        descriptor: descriptors[next++],
      }));
      // The batch's embedding time, shared out by faces.
      return {
        width,
        height,
        faces,
        rejected,
        rejectedReasons,
        timings: { ...timings, embedMs: (embedMs * faces.length) / faceCount },
      };
    });
  }

  /** Releases the ONNX sessions. */
  close(): Promise<void> {
    return this.loader.release();
  }
}
