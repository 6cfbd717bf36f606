import { HttpException } from '@nestjs/common';
import type { FaceQualityReport, FaceUploadError, FaceUploadErrorCode } from '@citywatch/protocol';
import type { FaceImageResult, RecognisedFace } from './face-pipeline';

const STATUS: Record<FaceUploadErrorCode, FaceUploadError['statusCode']> = {
  too_large: 413,
  not_an_image: 415,
  no_face: 422,
  several_faces: 422,
  face_too_small: 422,
  blurred: 422,
  low_score: 422,
  no_photo: 400,
};

const ERROR_NAMES: Record<FaceUploadError['statusCode'], string> = {
  400: 'Bad Request',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
};

/** A refused upload, answered as FaceUploadError. */
export class FaceUploadException extends HttpException {
  constructor(code: FaceUploadErrorCode, message: string, extra: { file?: number; quality?: FaceQualityReport } = {}) {
    const statusCode = STATUS[code];
    super(
      { statusCode, error: ERROR_NAMES[statusCode], code, message, ...extra } satisfies FaceUploadError,
      statusCode,
    );
  }
}

/** Bytes that sharp can read as an image: JPEG, PNG or WebP (by their magic numbers). */
export function looksLikeImage(bytes: Buffer): boolean {
  if (bytes.length < 12) return false;
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  const png = bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const webp = bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP';
  return jpeg || png || webp;
}

/** The one usable face of an uploaded photo, or the reason there is none (as a FaceUploadException). */
export function singleFaceOf(result: FaceImageResult, file?: number): RecognisedFace {
  if (result.faces.length === 1) return result.faces[0];
  const where = file === undefined ? 'the photo' : `photo ${file + 1}`;
  if (result.faces.length > 1 || result.rejectedReasons.includes('too-many-faces')) {
    const count =
      result.faces.length + result.rejected.filter((face) => face.quality.reasons.includes('too-many-faces')).length;
    throw new FaceUploadException('several_faces', `${where} shows ${count} faces; upload a photo of one person`, {
      file,
    });
  }
  // No face passed: say why the most prominent one failed.
  const largest = [...result.rejected].sort((a, b) => b.quality.faceSize - a.quality.faceSize)[0];
  if (!largest) throw new FaceUploadException('no_face', `no face found in ${where}`, { file });
  const quality = report(largest.quality);
  const reasons = largest.quality.reasons;
  if (reasons.includes('face-too-small')) {
    throw new FaceUploadException(
      'face_too_small',
      `the face in ${where} is ${Math.round(largest.quality.faceSize)} pixels; at least 40 are needed`,
      { file, quality },
    );
  }
  if (reasons.includes('blurred')) {
    throw new FaceUploadException(
      'blurred',
      `the face in ${where} is too blurred (sharpness ${largest.quality.sharpness?.toFixed(1)}, at least 15 needed)`,
      { file, quality },
    );
  }
  throw new FaceUploadException(
    'low_score',
    `no clear frontal face in ${where} (detector confidence ${largest.quality.detectionScore.toFixed(2)}, at least 0.7 needed)`,
    { file, quality },
  );
}

export function report(quality: RecognisedFace['quality']): FaceQualityReport {
  return {
    faceSize: Math.round(quality.faceSize * 10) / 10,
    detectionScore: Math.round(quality.detectionScore * 1000) / 1000,
    sharpness: quality.sharpness === undefined ? undefined : Math.round(quality.sharpness * 10) / 10,
    passed: quality.passed,
    reasons: [...quality.reasons],
  };
}
