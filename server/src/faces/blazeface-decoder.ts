/**
 * BlazeFace post-processing: MediaPipe's SSD anchors, score sigmoid and threshold, box and keypoint
 * decoding, and MediaPipe's weighted non-maximum suppression. Pure functions on the model's raw
 * outputs, in coordinates normalised to the model input (0..1 across the square input).
 */

/** One output head of the model: a square grid with a fixed number of anchors a cell. */
export interface BlazefaceHead {
  scoresOutput: string;
  regressorsOutput: string;
  gridSize: number;
  anchorsPerCell: number;
}

export interface BlazefaceModelSpec {
  file: string;
  inputName: string;
  inputSize: number;
  heads: BlazefaceHead[];
}

/**
 * Both models share MediaPipe's anchor layout (fixed anchor size, offset 0.5): a 16x16 grid with 2
 * anchors a cell and an 8x8 grid with 6 (strides 8/16 on the 128 front model, 16/32 on the 256 back
 * model), 896 anchors in all.
 */
const SHARED_HEADS: BlazefaceHead[] = [
  { scoresOutput: 'Identity:0', regressorsOutput: 'Identity_2:0', gridSize: 16, anchorsPerCell: 2 },
  { scoresOutput: 'Identity_1:0', regressorsOutput: 'Identity_3:0', gridSize: 8, anchorsPerCell: 6 },
];

/**
 * - `front-128`: MediaPipe's short-range (selfie) model, faces that fill a good part of the frame:
 *   face-checkpoint crops and close-up captures.
 * - `back-256`: MediaPipe's back-camera model, smaller faces in a wider scene: full photos and
 *   camera frames with several people.
 */
export const BLAZEFACE_MODELS = {
  'front-128': { file: 'blazeface-front-128.onnx', inputName: 'input:0', inputSize: 128, heads: SHARED_HEADS },
  'back-256': { file: 'blazeface-back-256.onnx', inputName: 'input:0', inputSize: 256, heads: SHARED_HEADS },
} as const satisfies Record<string, BlazefaceModelSpec>;

export type BlazefaceModelName = keyof typeof BLAZEFACE_MODELS;

export const KEYPOINT_COUNT = 6;
const REGRESSOR_LENGTH = 4 + 2 * KEYPOINT_COUNT;
const SCORE_CLIP = 100;

/** A decoded detection in normalised input coordinates; keypoints as x0,y0,x1,y1,... */
export interface NormalisedDetection {
  score: number;
  centreX: number;
  centreY: number;
  width: number;
  height: number;
  keypoints: Float32Array;
}

/** Anchor centres (x, y interleaved), in the order the model's heads emit their predictions. */
export function generateAnchors(heads: readonly BlazefaceHead[]): Float32Array {
  const total = heads.reduce((sum, head) => sum + head.gridSize * head.gridSize * head.anchorsPerCell, 0);
  const anchors = new Float32Array(total * 2);
  let index = 0;
  for (const head of heads) {
    for (let row = 0; row < head.gridSize; row++) {
      for (let column = 0; column < head.gridSize; column++) {
        for (let anchor = 0; anchor < head.anchorsPerCell; anchor++) {
          anchors[index++] = (column + 0.5) / head.gridSize;
          anchors[index++] = (row + 0.5) / head.gridSize;
        }
      }
    }
  }
  return anchors;
}

function sigmoid(logit: number): number {
  const clipped = Math.max(-SCORE_CLIP, Math.min(SCORE_CLIP, logit));
  return 1 / (1 + Math.exp(-clipped));
}

/**
 * Turns one head's raw scores and regressors into detections above the threshold. Regressor
 * offsets are in input pixels relative to the anchor centre; sizes in input pixels.
 */
export function decodeHead(
  scores: Float32Array,
  regressors: Float32Array,
  anchors: Float32Array,
  firstAnchor: number,
  inputSize: number,
  scoreThreshold: number,
): NormalisedDetection[] {
  const detections: NormalisedDetection[] = [];
  for (let index = 0; index < scores.length; index++) {
    const score = sigmoid(scores[index]);
    if (score < scoreThreshold) continue;
    const anchorX = anchors[(firstAnchor + index) * 2];
    const anchorY = anchors[(firstAnchor + index) * 2 + 1];
    const offset = index * REGRESSOR_LENGTH;
    const keypoints = new Float32Array(2 * KEYPOINT_COUNT);
    for (let point = 0; point < KEYPOINT_COUNT; point++) {
      keypoints[point * 2] = anchorX + regressors[offset + 4 + point * 2] / inputSize;
      keypoints[point * 2 + 1] = anchorY + regressors[offset + 5 + point * 2] / inputSize;
    }
    detections.push({
      score,
      centreX: anchorX + regressors[offset] / inputSize,
      centreY: anchorY + regressors[offset + 1] / inputSize,
      width: regressors[offset + 2] / inputSize,
      height: regressors[offset + 3] / inputSize,
      keypoints,
    });
  }
  return detections;
}

export function intersectionOverUnion(a: NormalisedDetection, b: NormalisedDetection): number {
  const left = Math.max(a.centreX - a.width / 2, b.centreX - b.width / 2);
  const right = Math.min(a.centreX + a.width / 2, b.centreX + b.width / 2);
  const top = Math.max(a.centreY - a.height / 2, b.centreY - b.height / 2);
  const bottom = Math.min(a.centreY + a.height / 2, b.centreY + b.height / 2);
  const intersection = Math.max(0, right - left) * Math.max(0, bottom - top);
  const union = a.width * a.height + b.width * b.height - intersection;
  return union > 0 ? intersection / union : 0;
}

/**
 * MediaPipe's weighted NMS: the best remaining detection and every detection overlapping it by at
 * least `iouThreshold` are merged into one, box and keypoints averaged with the scores as weights;
 * the merged detection keeps the best score. Returns the merged detections, best first.
 */
export function weightedNonMaxSuppression(
  detections: NormalisedDetection[],
  iouThreshold: number,
): NormalisedDetection[] {
  let remaining = [...detections].sort((a, b) => b.score - a.score);
  const merged: NormalisedDetection[] = [];
  while (remaining.length > 0) {
    const [best, ...others] = remaining;
    const cluster: NormalisedDetection[] = [best];
    const rest: NormalisedDetection[] = [];
    for (const candidate of others)
      (intersectionOverUnion(best, candidate) >= iouThreshold ? cluster : rest).push(candidate);
    remaining = rest;

    const totalWeight = cluster.reduce((sum, member) => sum + member.score, 0);
    const average = (pick: (member: NormalisedDetection) => number) =>
      cluster.reduce((sum, member) => sum + pick(member) * member.score, 0) / totalWeight;
    const keypoints = new Float32Array(2 * KEYPOINT_COUNT);
    for (let index = 0; index < keypoints.length; index++)
      keypoints[index] = average((member) => member.keypoints[index]);
    merged.push({
      score: best.score,
      centreX: average((member) => member.centreX),
      centreY: average((member) => member.centreY),
      width: average((member) => member.width),
      height: average((member) => member.height),
      keypoints,
    });
  }
  return merged;
}
