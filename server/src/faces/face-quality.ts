import type { AlignedFace } from './face-aligner';
import type { FaceDetection } from './face-types';

export interface FaceQualityOptions {
  /** The face box's shorter side must be at least this many source pixels. */
  minFaceSize: number;
  /** The detector's confidence must be at least this. */
  minDetectionScore: number;
  /** Variance of the Laplacian on the grey aligned crop's centre must be at least this (lower is blurrier). */
  minSharpness: number;
  /** An image with more faces than this (after the size and score gates) is rejected whole. */
  maxFaceCount: number;
}

export const DEFAULT_FACE_QUALITY: FaceQualityOptions = {
  minFaceSize: 40,
  minDetectionScore: 0.7,
  minSharpness: 15,
  maxFaceCount: Number.POSITIVE_INFINITY,
};

export type FaceRejectReason = 'face-too-small' | 'low-detection-score' | 'blurred' | 'too-many-faces';
export type ImageRejectReason = 'no-face' | 'too-many-faces';

/** The measurements behind every gate, reported whether the face passed or not. */
export interface FaceQuality {
  faceSize: number;
  detectionScore: number;
  /** Undefined when the face was rejected before alignment. */
  sharpness?: number;
  passed: boolean;
  reasons: FaceRejectReason[];
}

/** The part of the aligned crop the sharpness is measured on: the face, without hair and background. */
const SHARPNESS_WINDOW = { from: 0.2, to: 0.8 };

/**
 * Variance of the 4-neighbour Laplacian of the grey image inside the window: a sharp face has strong
 * second derivatives at eyes, brows and lips; blur flattens them.
 */
export function laplacianVariance(face: AlignedFace): number {
  const { pixels, size } = face;
  const grey = new Float32Array(size * size);
  for (let index = 0; index < grey.length; index++) {
    grey[index] = 0.299 * pixels[index * 3] + 0.587 * pixels[index * 3 + 1] + 0.114 * pixels[index * 3 + 2];
  }
  const first = Math.max(1, Math.floor(size * SHARPNESS_WINDOW.from));
  const last = Math.min(size - 2, Math.ceil(size * SHARPNESS_WINDOW.to));
  let sum = 0;
  let sumOfSquares = 0;
  let count = 0;
  for (let y = first; y <= last; y++) {
    for (let x = first; x <= last; x++) {
      const index = y * size + x;
      const laplacian = grey[index - 1] + grey[index + 1] + grey[index - size] + grey[index + size] - 4 * grey[index];
      sum += laplacian;
      sumOfSquares += laplacian * laplacian;
      count++;
    }
  }
  const mean = sum / count;
  return sumOfSquares / count - mean * mean;
}

/** The configurable quality gates. Each check returns the reasons a face fails, empty when it passes. */
export class FaceQualityGate {
  readonly options: FaceQualityOptions;

  constructor(options: Partial<FaceQualityOptions> = {}) {
    this.options = { ...DEFAULT_FACE_QUALITY, ...options };
  }

  /** The gates that need only the detection: size and score. */
  checkDetection(detection: FaceDetection): FaceQuality {
    const faceSize = Math.min(detection.box.width, detection.box.height);
    const reasons: FaceRejectReason[] = [];
    if (faceSize < this.options.minFaceSize) reasons.push('face-too-small');
    if (detection.score < this.options.minDetectionScore) reasons.push('low-detection-score');
    return { faceSize, detectionScore: detection.score, passed: reasons.length === 0, reasons };
  }

  /** Adds the sharpness gate, measured on the aligned crop. */
  checkSharpness(quality: FaceQuality, face: AlignedFace): FaceQuality {
    const sharpness = laplacianVariance(face);
    const reasons = [...quality.reasons];
    if (sharpness < this.options.minSharpness) reasons.push('blurred');
    return { ...quality, sharpness, passed: reasons.length === 0, reasons };
  }

  /** The image-level gate on how many faces passed the others. */
  checkFaceCount(acceptedFaces: number): ImageRejectReason[] {
    if (acceptedFaces === 0) return ['no-face'];
    if (acceptedFaces > this.options.maxFaceCount) return ['too-many-faces'];
    return [];
  }
}
