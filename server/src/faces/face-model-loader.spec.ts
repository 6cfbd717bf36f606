import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  defaultIntraOpThreads,
  defaultModelsDir,
  FACE_MODEL_FILES,
  FaceModelLoader,
  FaceModelMissingError,
} from './face-model-loader';

describe('FaceModelLoader', () => {
  it('finds the models npm install built in models/build/', () => {
    expect(defaultModelsDir()).toBe(path.resolve(__dirname, '../../../models/build'));
    for (const file of Object.values(FACE_MODEL_FILES))
      expect(existsSync(new FaceModelLoader().modelPath(file))).toBe(true);
  });

  it('says how to build the models when one is missing', () => {
    const loader = new FaceModelLoader({ modelsDir: '/nonexistent/models' });
    expect(() => loader.session(FACE_MODEL_FILES.recognition)).toThrow(FaceModelMissingError);
    expect(() => loader.session(FACE_MODEL_FILES.recognition)).toThrow(/run npm install to build the models/);
  });

  it('creates each session once and shares it', async () => {
    const loader = new FaceModelLoader({ intraOpThreads: 1 });
    const first = loader.session(FACE_MODEL_FILES.detectorFront128);
    expect(loader.session(FACE_MODEL_FILES.detectorFront128)).toBe(first);
    expect((await first).inputNames).toEqual(['input:0']);
    await loader.release();
  });

  it('defaults to at most two intra-op threads, one for the detector, and refuses nonsense', () => {
    expect(defaultIntraOpThreads()).toBeGreaterThanOrEqual(1);
    expect(defaultIntraOpThreads()).toBeLessThanOrEqual(2);
    expect(new FaceModelLoader().detectorIntraOpThreads).toBe(1);
    expect(() => new FaceModelLoader({ intraOpThreads: 0 })).toThrow(/intraOpThreads must be a positive integer/);
    expect(() => new FaceModelLoader({ detectorIntraOpThreads: 1.5 })).toThrow(
      /detectorIntraOpThreads must be a positive integer/,
    );
  });
});
