import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlignedFace, alignFace } from './face-aligner';
import { FaceDetector } from './face-detector';
import { DESCRIPTOR_LENGTH, FaceEmbedder, normaliseL2 } from './face-embedder';
import { FaceModelLoader } from './face-model-loader';
import { decodeImage } from './image-decoder';
import { readDemoPhoto } from './testing/demo-photos';

function dot(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, index) => sum + value * b[index], 0);
}

describe('FaceEmbedder', () => {
  const loader = new FaceModelLoader();
  let embedder: FaceEmbedder;
  let crops: AlignedFace[];

  beforeAll(async () => {
    const detector = await FaceDetector.create(loader);
    embedder = await FaceEmbedder.create(loader, { maxBatchSize: 3 });
    const image = await decodeImage(readDemoPhoto('sample6.jpg'));
    const faces = await detector.detect(image);
    crops = await Promise.all(faces.map((face) => alignFace(image, face.landmarks)));
  });
  afterAll(() => loader.release());

  it('returns one unit-length 128-d descriptor per crop', async () => {
    const descriptors = await embedder.embed(crops);
    expect(descriptors).toHaveLength(crops.length);
    for (const descriptor of descriptors) {
      expect(descriptor).toBeInstanceOf(Float32Array);
      expect(descriptor).toHaveLength(DESCRIPTOR_LENGTH);
      expect(Math.sqrt(dot(descriptor, descriptor))).toBeCloseTo(1, 5);
    }
  });

  it('gives the same descriptors batched (split into runs of 3) as one at a time', async () => {
    const batched = await embedder.embed(crops);
    for (const [index, crop] of crops.entries()) {
      const [single] = await embedder.embed([crop]);
      expect(dot(single, batched[index])).toBeGreaterThan(0.99999);
    }
  });

  it('tells different people apart and embeds nothing for no crops', async () => {
    const descriptors = await embedder.embed(crops);
    expect(dot(descriptors[0], descriptors[1])).toBeLessThan(0.97);
    expect(await embedder.embed([])).toEqual([]);
  });

  it('normalises vectors to unit length and leaves a zero vector alone', () => {
    expect(Array.from(normaliseL2(Float32Array.of(3, 4)))).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(Array.from(normaliseL2(new Float32Array(2)))).toEqual([0, 0]);
  });
});
