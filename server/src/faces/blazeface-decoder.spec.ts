import { describe, expect, it } from 'vitest';
import {
  BLAZEFACE_MODELS,
  decodeHead,
  generateAnchors,
  intersectionOverUnion,
  type NormalisedDetection,
  weightedNonMaxSuppression,
} from './blazeface-decoder';

function detection(score: number, centreX: number, centreY: number, size: number): NormalisedDetection {
  return { score, centreX, centreY, width: size, height: size, keypoints: new Float32Array(12).fill(centreX) };
}

describe('generateAnchors', () => {
  const anchors = generateAnchors(BLAZEFACE_MODELS['front-128'].heads);

  it('lays out 896 anchors: 16x16 cells with 2 each, then 8x8 cells with 6 each', () => {
    expect(anchors.length / 2).toBe(16 * 16 * 2 + 8 * 8 * 6);
  });

  it('puts anchors at cell centres, row by row, repeating within a cell', () => {
    expect([anchors[0], anchors[1]]).toEqual([1 / 32, 1 / 32]);
    expect([anchors[2], anchors[3]]).toEqual([1 / 32, 1 / 32]);
    expect([anchors[4], anchors[5]]).toEqual([3 / 32, 1 / 32]);
    const secondRow = 16 * 2;
    expect([anchors[secondRow * 2], anchors[secondRow * 2 + 1]]).toEqual([1 / 32, 3 / 32]);
    const firstOfSecondHead = 512;
    expect([anchors[firstOfSecondHead * 2], anchors[firstOfSecondHead * 2 + 1]]).toEqual([1 / 16, 1 / 16]);
    const lastAnchor = anchors.length / 2 - 1;
    expect([anchors[lastAnchor * 2], anchors[lastAnchor * 2 + 1]]).toEqual([15 / 16, 15 / 16]);
  });
});

describe('decodeHead', () => {
  it('applies the sigmoid, drops low scores and decodes boxes and keypoints relative to the anchor', () => {
    const anchors = Float32Array.of(0.25, 0.25, 0.75, 0.5);
    const scores = Float32Array.of(3, -3);
    const regressors = new Float32Array(32);
    regressors.set([12.8, -6.4, 32, 64, 1.28, 2.56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const decoded = decodeHead(scores, regressors, anchors, 0, 128, 0.5);
    expect(decoded).toHaveLength(1);
    expect(decoded[0].score).toBeCloseTo(1 / (1 + Math.exp(-3)), 6);
    expect(decoded[0].centreX).toBeCloseTo(0.35, 6);
    expect(decoded[0].centreY).toBeCloseTo(0.2, 6);
    expect(decoded[0].width).toBeCloseTo(0.25, 6);
    expect(decoded[0].height).toBeCloseTo(0.5, 6);
    expect(decoded[0].keypoints[0]).toBeCloseTo(0.26, 6);
    expect(decoded[0].keypoints[1]).toBeCloseTo(0.27, 6);
  });
});

describe('weightedNonMaxSuppression', () => {
  it('merges overlapping detections into a score-weighted average with the best score', () => {
    const merged = weightedNonMaxSuppression([detection(0.6, 0.52, 0.5, 0.2), detection(0.9, 0.5, 0.5, 0.2)], 0.3);
    expect(merged).toHaveLength(1);
    expect(merged[0].score).toBe(0.9);
    expect(merged[0].centreX).toBeCloseTo((0.5 * 0.9 + 0.52 * 0.6) / 1.5, 6);
  });

  it('keeps faces that do not overlap, best first', () => {
    const merged = weightedNonMaxSuppression([detection(0.7, 0.2, 0.2, 0.1), detection(0.8, 0.7, 0.7, 0.1)], 0.3);
    expect(merged.map((face) => face.score)).toEqual([0.8, 0.7]);
  });

  it('terminates on degenerate boxes', () => {
    expect(weightedNonMaxSuppression([detection(0.9, 0.5, 0.5, 0), detection(0.8, 0.5, 0.5, 0)], 0.3)).toHaveLength(2);
  });

  it('measures overlap as intersection over union', () => {
    expect(intersectionOverUnion(detection(1, 0.5, 0.5, 0.2), detection(1, 0.6, 0.5, 0.2))).toBeCloseTo(1 / 3, 6);
  });
});
