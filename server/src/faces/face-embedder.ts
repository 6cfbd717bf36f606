import * as ort from 'onnxruntime-node';
import type { AlignedFace } from './face-aligner';
import { FACE_MODEL_FILES, type FaceModelLoader } from './face-model-loader';

export const DESCRIPTOR_LENGTH = 128;
const INPUT_NAME = 'image';
const OUTPUT_NAME = 'descriptor';

export interface FaceEmbedderOptions {
  /** Crops per ONNX run; larger inputs are split. Default 16. */
  maxBatchSize?: number;
}

/** Scales a vector to unit length in place, so that a dot product is the cosine similarity. */
export function normaliseL2(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;
  for (let index = 0; index < vector.length; index++) sumOfSquares += vector[index] * vector[index];
  const norm = Math.sqrt(sumOfSquares);
  if (norm > 0) for (let index = 0; index < vector.length; index++) vector[index] /= norm;
  return vector;
}

/**
 * FaceRecognitionNet (face-api.js's dlib ResNet port, converted to ONNX by models/) on aligned
 * 150x150 crops, several crops to one run. The graph takes RGB 0..255 NHWC and does the mean
 * subtraction itself; the embedder returns unit-length 128-d descriptors.
 */
export class FaceEmbedder {
  private readonly maxBatchSize: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    options: FaceEmbedderOptions,
  ) {
    this.maxBatchSize = options.maxBatchSize ?? 16;
  }

  static async create(loader: FaceModelLoader, options: FaceEmbedderOptions = {}): Promise<FaceEmbedder> {
    return new FaceEmbedder(await loader.session(FACE_MODEL_FILES.recognition), options);
  }

  async embed(faces: AlignedFace[]): Promise<Float32Array[]> {
    const descriptors: Float32Array[] = [];
    for (let start = 0; start < faces.length; start += this.maxBatchSize) {
      descriptors.push(...(await this.embedBatch(faces.slice(start, start + this.maxBatchSize))));
    }
    return descriptors;
  }

  private async embedBatch(faces: AlignedFace[]): Promise<Float32Array[]> {
    if (faces.length === 0) return [];
    const size = faces[0].size;
    const pixelsPerFace = size * size * 3;
    const input = new Float32Array(faces.length * pixelsPerFace);
    faces.forEach((face, index) => {
      if (face.size !== size) throw new Error(`FaceEmbedder: crops of ${face.size} and ${size} pixels in one batch`);
      const offset = index * pixelsPerFace;
      for (let pixel = 0; pixel < pixelsPerFace; pixel++) input[offset + pixel] = face.pixels[pixel];
    });
    const outputs = await this.session.run({
      [INPUT_NAME]: new ort.Tensor('float32', input, [faces.length, size, size, 3]),
    });
    const raw = outputs[OUTPUT_NAME].data as Float32Array;
    return faces.map((_, index) => normaliseL2(raw.slice(index * DESCRIPTOR_LENGTH, (index + 1) * DESCRIPTOR_LENGTH)));
  }
}
