import * as ort from 'onnxruntime-node';
import {
  BLAZEFACE_MODELS,
  type BlazefaceModelName,
  type BlazefaceModelSpec,
  decodeHead,
  generateAnchors,
  type NormalisedDetection,
  weightedNonMaxSuppression,
} from './blazeface-decoder';
import type { FaceModelLoader } from './face-model-loader';
import type { FaceDetection, FaceLandmarks, Point, RgbImage } from './face-types';
import { sharpFromRgb } from './image-decoder';

export interface FaceDetectorOptions {
  /** `back-256` for full photos and scenes (the default), `front-128` for face-checkpoint crops. */
  model?: BlazefaceModelName;
  /** Candidates below this confidence are dropped before suppression. Default 0.6. */
  scoreThreshold?: number;
  /** Candidates overlapping by at least this IoU are merged. Default 0.3 (MediaPipe's). */
  iouThreshold?: number;
  /** At most this many faces, best first. Default 50. */
  maxFaces?: number;
}

/** How the image was fitted into the square model input, to map detections back. */
interface Letterbox {
  scaleX: number;
  scaleY: number;
}

const LANDMARK_ORDER: (keyof FaceLandmarks)[] = [
  'rightEye',
  'leftEye',
  'noseTip',
  'mouthCentre',
  'rightEarTragion',
  'leftEarTragion',
];

/**
 * BlazeFace in ONNX Runtime. The image is letterboxed into the square input (aspect kept, resized
 * with sharp, padded black at the right/bottom), scaled to [-1, 1] as MediaPipe feeds it, and the
 * detections are mapped back to source pixels. The resize uses a linear kernel: sharp shrinks by
 * whole factors with a box filter first, and linear for the rest costs half of lanczos3 for the
 * same detections.
 */
export class FaceDetector {
  readonly model: BlazefaceModelSpec;
  private readonly anchors: Float32Array;
  private readonly scoreThreshold: number;
  private readonly iouThreshold: number;
  private readonly maxFaces: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    model: BlazefaceModelSpec,
    options: FaceDetectorOptions,
  ) {
    this.model = model;
    this.anchors = generateAnchors(model.heads);
    this.scoreThreshold = options.scoreThreshold ?? 0.6;
    this.iouThreshold = options.iouThreshold ?? 0.3;
    this.maxFaces = options.maxFaces ?? 50;
  }

  static async create(loader: FaceModelLoader, options: FaceDetectorOptions = {}): Promise<FaceDetector> {
    const model = BLAZEFACE_MODELS[options.model ?? 'back-256'];
    return new FaceDetector(await loader.session(model.file, loader.detectorIntraOpThreads), model, options);
  }

  async detect(image: RgbImage): Promise<FaceDetection[]> {
    const { input, letterbox } = await this.prepareInput(image);
    const outputs = await this.session.run({ [this.model.inputName]: input });
    const candidates: NormalisedDetection[] = [];
    let firstAnchor = 0;
    for (const head of this.model.heads) {
      const scores = outputs[head.scoresOutput].data as Float32Array;
      const regressors = outputs[head.regressorsOutput].data as Float32Array;
      candidates.push(
        ...decodeHead(scores, regressors, this.anchors, firstAnchor, this.model.inputSize, this.scoreThreshold),
      );
      firstAnchor += scores.length;
    }
    return weightedNonMaxSuppression(candidates, this.iouThreshold)
      .slice(0, this.maxFaces)
      .map((detection) => this.toImageCoordinates(detection, letterbox, image));
  }

  private async prepareInput(image: RgbImage): Promise<{ input: ort.Tensor; letterbox: Letterbox }> {
    const size = this.model.inputSize;
    const fit = size / Math.max(image.width, image.height);
    const resizedWidth = Math.max(1, Math.round(image.width * fit));
    const resizedHeight = Math.max(1, Math.round(image.height * fit));
    const pixels = await sharpFromRgb(image)
      .resize(resizedWidth, resizedHeight, { fit: 'fill', kernel: 'linear' })
      .extend({ right: size - resizedWidth, bottom: size - resizedHeight, background: { r: 0, g: 0, b: 0 } })
      .raw()
      .toBuffer();
    const values = new Float32Array(size * size * 3);
    for (let index = 0; index < values.length; index++) values[index] = pixels[index] / 127.5 - 1;
    return {
      input: new ort.Tensor('float32', values, [1, size, size, 3]),
      letterbox: { scaleX: resizedWidth / image.width, scaleY: resizedHeight / image.height },
    };
  }

  private toImageCoordinates(detection: NormalisedDetection, letterbox: Letterbox, image: RgbImage): FaceDetection {
    const size = this.model.inputSize;
    const toPoint = (x: number, y: number): Point => ({
      x: (x * size) / letterbox.scaleX,
      y: (y * size) / letterbox.scaleY,
    });
    const topLeft = toPoint(detection.centreX - detection.width / 2, detection.centreY - detection.height / 2);
    const bottomRight = toPoint(detection.centreX + detection.width / 2, detection.centreY + detection.height / 2);
    const left = Math.max(0, topLeft.x);
    const top = Math.max(0, topLeft.y);
    const landmarks = Object.fromEntries(
      LANDMARK_ORDER.map((name, index) => [
        name,
        toPoint(detection.keypoints[index * 2], detection.keypoints[index * 2 + 1]),
      ]),
    ) as unknown as FaceLandmarks;
    return {
      box: {
        x: left,
        y: top,
        width: Math.min(image.width, bottomRight.x) - left,
        height: Math.min(image.height, bottomRight.y) - top,
      },
      score: detection.score,
      landmarks,
    };
  }
}
