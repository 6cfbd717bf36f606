/**
 * face-api.js itself (@vladmandic/face-api, the same version the models are built from) on the
 * TensorFlow.js WASM backend: the reference the ONNX conversion and the ONNX pipeline are compared
 * with. @tensorflow/tfjs-node is not used: its install downloads a binary from outside the registry.
 */
import * as tf from '@tensorflow/tfjs';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import path from 'node:path';
import sharp from 'sharp';

export const FACE_API_MODEL_DIR = path.join(
  path.dirname(require.resolve('@vladmandic/face-api/package.json')),
  'model',
);

/** Packed RGB pixels, 3 bytes a pixel. */
export interface RgbPixels {
  data: Buffer;
  width: number;
  height: number;
}

export interface ReferenceFace {
  score: number;
  /** face-api's dlib-style aligned box (square), the crop its FaceRecognitionNet is given. */
  alignedBox: { x: number; y: number; width: number; height: number };
  descriptor: Float32Array;
}

export type ReferenceBackend = 'wasm' | 'cpu';

export class FaceApiReference {
  private constructor(readonly backend: ReferenceBackend) {}

  /** Selects the backend and loads SSD MobileNet v1, the 68-point landmark net and FaceRecognitionNet. */
  static async load(backend: ReferenceBackend = 'wasm'): Promise<FaceApiReference> {
    await tf.setBackend(backend);
    await tf.ready();
    await faceapi.nets.ssdMobilenetv1.loadFromDisk(FACE_API_MODEL_DIR);
    await faceapi.nets.faceLandmark68Net.loadFromDisk(FACE_API_MODEL_DIR);
    await faceapi.nets.faceRecognitionNet.loadFromDisk(FACE_API_MODEL_DIR);
    return new FaceApiReference(backend);
  }

  /** face-api's own chain: SSD MobileNet v1 detection, 68 landmarks, dlib alignment, descriptors. */
  async detectAndDescribe(image: RgbPixels, minConfidence = 0.5): Promise<ReferenceFace[]> {
    const input = faceapi.tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
    try {
      const results = await faceapi
        .detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence }))
        .withFaceLandmarks()
        .withFaceDescriptors();
      return results.map((result) => {
        const { x, y, width, height } = result.landmarks.align(null, { useDlibAlignment: true });
        return { score: result.detection.score, alignedBox: { x, y, width, height }, descriptor: result.descriptor };
      });
    } finally {
      input.dispose();
    }
  }

  /** FaceRecognitionNet alone on 150x150 RGB crops (passed through unresized), raw descriptors. */
  async describeCrops(crops: Buffer[], size = 150): Promise<Float32Array[]> {
    const inputs = crops.map((crop) => faceapi.tf.tensor3d(crop, [size, size, 3], 'int32'));
    try {
      const descriptors = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(inputs);
      return Array.isArray(descriptors) ? descriptors : [descriptors];
    } finally {
      for (const input of inputs) input.dispose();
    }
  }
}

/** Cuts a box out of an image (black past the edges) and resizes it to a size x size RGB crop. */
export async function cropSquare(image: RgbPixels, box: ReferenceFace['alignedBox'], size = 150): Promise<Buffer> {
  const left = Math.round(box.x);
  const top = Math.round(box.y);
  const side = Math.max(1, Math.round(Math.max(box.width, box.height)));
  const insideLeft = Math.max(0, left);
  const insideTop = Math.max(0, top);
  const insideRight = Math.min(image.width, left + side);
  const insideBottom = Math.min(image.height, top + side);
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: insideLeft, top: insideTop, width: insideRight - insideLeft, height: insideBottom - insideTop })
    .extend({
      left: insideLeft - left,
      top: insideTop - top,
      right: left + side - insideRight,
      bottom: top + side - insideBottom,
      background: { r: 0, g: 0, b: 0 },
    })
    .resize(size, size, { fit: 'fill' })
    .raw()
    .toBuffer();
}
