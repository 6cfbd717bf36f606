import { readdirSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOnnxModel } from '../src/onnx/onnx-model-writer';
import { readFileSync } from 'node:fs';
import { cropSquare, FaceApiReference, type RgbPixels } from './face-api-reference';

const MODEL_PATH = path.resolve(__dirname, '../build/face-recognition-net.onnx');
const DEMO_DIR = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
const DEMO_PHOTOS = readdirSync(DEMO_DIR)
  .filter((name) => /^sample\d+\.jpg$/.test(name))
  .sort();

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index] * b[index];
    normA += a[index] * a[index];
    normB += b[index] * b[index];
  }
  return dot / Math.sqrt(normA * normB);
}

/**
 * The converted FaceRecognitionNet against face-api's own implementation (TensorFlow.js WASM), on
 * every face in the demo photos: both get the same 150x150 crops, cut where face-api's own chain
 * (SSD MobileNet v1, 68 landmarks, dlib alignment) puts them.
 */
describe('FaceRecognitionNet ONNX conversion', () => {
  let session: ort.InferenceSession;
  let reference: FaceApiReference;
  const crops: { label: string; pixels: Buffer }[] = [];

  beforeAll(async () => {
    session = await ort.InferenceSession.create(MODEL_PATH, { intraOpNumThreads: 2 });
    reference = await FaceApiReference.load('wasm');
    for (const name of DEMO_PHOTOS) {
      const { data, info } = await sharp(path.join(DEMO_DIR, name))
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const image: RgbPixels = { data, width: info.width, height: info.height };
      const faces = await reference.detectAndDescribe(image);
      for (const [index, face] of faces.entries())
        crops.push({ label: `${name} face ${index}`, pixels: await cropSquare(image, face.alignedBox) });
    }
  }, 60_000);
  afterAll(() => session?.release());

  it('covers the demo photos: six photos, twenty faces or more', () => {
    expect(DEMO_PHOTOS).toHaveLength(6);
    expect(crops.length).toBeGreaterThanOrEqual(20);
  });

  it('gives descriptors with cosine similarity >= 0.999 to face-api for every face', async () => {
    const input = new Float32Array(crops.length * 150 * 150 * 3);
    crops.forEach((crop, index) => input.set(crop.pixels, index * 150 * 150 * 3));
    const outputs = await session.run({ image: new ort.Tensor('float32', input, [crops.length, 150, 150, 3]) });
    const onnxDescriptors = outputs.descriptor.data as Float32Array;
    const referenceDescriptors = await reference.describeCrops(crops.map((crop) => crop.pixels));

    crops.forEach((crop, index) => {
      const onnx = onnxDescriptors.subarray(index * 128, (index + 1) * 128);
      expect(cosine(onnx, referenceDescriptors[index]), crop.label).toBeGreaterThanOrEqual(0.999);
      // Raw descriptors, not normalised: the magnitudes agree too.
      const onnxNorm = Math.hypot(...onnx);
      expect(onnxNorm / Math.hypot(...referenceDescriptors[index]), crop.label).toBeCloseTo(1, 3);
    });
  }, 60_000);

  it('declares a dynamic batch of NHWC 150x150 RGB input and a 128-d output', () => {
    const model = decodeOnnxModel(readFileSync(MODEL_PATH)) as {
      graph: {
        input: { name: string; type: { tensorType: { shape: { dim: Record<string, unknown>[] } } } }[];
        output: { name: string }[];
      };
      opsetImport: { version: number }[];
    };
    expect(model.graph.input[0].name).toBe('image');
    expect(model.graph.input[0].type.tensorType.shape.dim).toEqual([
      { dimParam: 'batch' },
      { dimValue: 150 },
      { dimValue: 150 },
      { dimValue: 3 },
    ]);
    expect(model.graph.output.map((output) => output.name)).toEqual(['descriptor']);
    expect(model.opsetImport[0].version).toBe(13);
  });
});
