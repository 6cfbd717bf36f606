import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { AlignedFace } from './face-aligner';
import { DEFAULT_FACE_QUALITY, FaceQualityGate, laplacianVariance } from './face-quality';
import type { FaceDetection } from './face-types';

function detection(size: number, score: number): FaceDetection {
  const point = { x: size / 2, y: size / 2 };
  return {
    box: { x: 10, y: 10, width: size, height: size * 1.1 },
    score,
    landmarks: {
      rightEye: point,
      leftEye: point,
      noseTip: point,
      mouthCentre: point,
      rightEarTragion: point,
      leftEarTragion: point,
    },
  };
}

/** A 150x150 checkerboard of 10-pixel squares: hard edges everywhere. */
function checkerboard(): AlignedFace {
  const pixels = Buffer.alloc(150 * 150 * 3);
  for (let y = 0; y < 150; y++)
    for (let x = 0; x < 150; x++)
      if ((Math.floor(x / 10) + Math.floor(y / 10)) % 2) pixels.fill(255, (y * 150 + x) * 3, (y * 150 + x) * 3 + 3);
  return { pixels, size: 150 };
}

async function blurred(face: AlignedFace, sigma: number): Promise<AlignedFace> {
  const pixels = await sharp(face.pixels, { raw: { width: 150, height: 150, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer();
  return { pixels, size: 150 };
}

describe('laplacianVariance', () => {
  it('is zero on a flat crop and falls as blur grows', async () => {
    expect(laplacianVariance({ pixels: Buffer.alloc(150 * 150 * 3, 90), size: 150 })).toBe(0);
    const sharpCrop = laplacianVariance(checkerboard());
    const slightlyBlurred = laplacianVariance(await blurred(checkerboard(), 1));
    const veryBlurred = laplacianVariance(await blurred(checkerboard(), 6));
    expect(sharpCrop).toBeGreaterThan(slightlyBlurred);
    expect(slightlyBlurred).toBeGreaterThan(veryBlurred);
    expect(veryBlurred).toBeLessThan(DEFAULT_FACE_QUALITY.minSharpness);
  });
});

describe('FaceQualityGate', () => {
  const gate = new FaceQualityGate({ minFaceSize: 48, minDetectionScore: 0.8 });

  it('reports the measurements and passes a good detection', () => {
    expect(gate.checkDetection(detection(120, 0.95))).toEqual({
      faceSize: 120,
      detectionScore: 0.95,
      passed: true,
      reasons: [],
    });
  });

  it('rejects a small face and a low score, giving every reason', () => {
    expect(gate.checkDetection(detection(30, 0.95)).reasons).toEqual(['face-too-small']);
    expect(gate.checkDetection(detection(30, 0.5))).toMatchObject({
      passed: false,
      reasons: ['face-too-small', 'low-detection-score'],
    });
  });

  it('rejects a blurred crop and keeps the earlier reasons', async () => {
    const passed = gate.checkDetection(detection(120, 0.95));
    expect(gate.checkSharpness(passed, checkerboard())).toMatchObject({ passed: true, reasons: [] });
    const blurredQuality = gate.checkSharpness(passed, await blurred(checkerboard(), 6));
    expect(blurredQuality.passed).toBe(false);
    expect(blurredQuality.reasons).toEqual(['blurred']);
    expect(blurredQuality.sharpness).toBeLessThan(DEFAULT_FACE_QUALITY.minSharpness);
    const small = gate.checkDetection(detection(30, 0.95));
    expect(gate.checkSharpness(small, await blurred(checkerboard(), 6)).reasons).toEqual(['face-too-small', 'blurred']);
  });

  it('gates the face count of an image', () => {
    const single = new FaceQualityGate({ maxFaceCount: 1 });
    expect(single.checkFaceCount(0)).toEqual(['no-face']);
    expect(single.checkFaceCount(1)).toEqual([]);
    expect(single.checkFaceCount(2)).toEqual(['too-many-faces']);
    expect(new FaceQualityGate().checkFaceCount(40)).toEqual([]);
  });
});
