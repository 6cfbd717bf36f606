import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACE_PIPELINE_PRESETS, FacePipeline, type FaceImageResult, type RecognisedFace } from './face-pipeline';
import { FaceGallery, SAME_PERSON_MIN_SIMILARITY } from './gallery';
import { DEMO_PHOTO_NAMES, readDemoPhoto } from './testing/demo-photos';

function dot(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, index) => sum + value * b[index], 0);
}

function centre(face: RecognisedFace) {
  return { x: face.box.x + face.box.width / 2, y: face.box.y + face.box.height / 2 };
}

type Point = { x: number; y: number };

/** Edited copies of a photo, each with the map from original to edited pixel coordinates. */
async function variants(photo: Buffer): Promise<{ name: string; bytes: Buffer; map: (point: Point) => Point }[]> {
  const { width, height } = await sharp(photo).metadata();
  return [
    {
      name: 'scaled to 60%',
      bytes: await sharp(photo)
        .resize(Math.round(width * 0.6))
        .jpeg({ quality: 90 })
        .toBuffer(),
      map: (p) => ({ x: p.x * 0.6, y: p.y * 0.6 }),
    },
    {
      name: 'shifted',
      bytes: await sharp(photo)
        .extract({ left: 97, top: 61, width: width - 150, height: height - 100 })
        .jpeg({ quality: 90 })
        .toBuffer(),
      map: (p) => ({ x: p.x - 97, y: p.y - 61 }),
    },
    {
      name: 'brightened',
      bytes: await sharp(photo).modulate({ brightness: 1.3 }).jpeg({ quality: 90 }).toBuffer(),
      map: (p) => p,
    },
    { name: 're-compressed', bytes: await sharp(photo).jpeg({ quality: 30 }).toBuffer(), map: (p) => p },
  ];
}

describe('FacePipeline', () => {
  let pipeline: FacePipeline;
  /** For the edited copies: a lower score gate, as brightening lowers the detector's confidence in one face to 0.68. */
  let lenientPipeline: FacePipeline;
  const originals = new Map<string, FaceImageResult>();

  beforeAll(async () => {
    pipeline = await FacePipeline.create();
    lenientPipeline = await FacePipeline.create({ quality: { minDetectionScore: 0.6 } });
    for (const name of DEMO_PHOTO_NAMES) originals.set(name, await pipeline.process(readDemoPhoto(name)));
  });
  afterAll(() => Promise.all([pipeline.close(), lenientPipeline.close()]));

  it('returns faces with box, score, landmarks, quality and a unit descriptor, and the stage timings', () => {
    const result = originals.get('sample6.jpg')!;
    expect(result).toMatchObject({ width: 1920, rejectedReasons: [] });
    expect(result.faces).toHaveLength(4);
    for (const face of result.faces) {
      expect(face.quality).toMatchObject({ passed: true, reasons: [] });
      expect(face.quality.sharpness).toBeGreaterThan(0);
      expect(Math.sqrt(dot(face.descriptor, face.descriptor))).toBeCloseTo(1, 5);
    }
    for (const stage of ['decodeMs', 'detectMs', 'alignMs', 'embedMs'] as const)
      expect(result.timings[stage]).toBeGreaterThan(0);
  });

  it('reports faces below the score gate as rejected, with the reason', () => {
    const rejected = [...originals.values()].flatMap((result) => result.rejected);
    expect(rejected.length).toBeGreaterThan(0);
    for (const face of rejected) expect(face.quality.reasons).toContain('low-detection-score');
  });

  it('keeps different people in the demo photos below the same-person similarity', () => {
    const faces = [...originals.values()].flatMap((result) => result.faces);
    expect(faces.length).toBeGreaterThanOrEqual(19);
    let highest = -1;
    for (let a = 0; a < faces.length; a++)
      for (let b = a + 1; b < faces.length; b++)
        highest = Math.max(highest, dot(faces[a].descriptor, faces[b].descriptor));
    expect(highest).toBeLessThan(SAME_PERSON_MIN_SIMILARITY);
  });

  it('matches each person in scaled, shifted, brightened and re-compressed copies, and the gallery finds them', async () => {
    const gallery = new FaceGallery();
    for (const [name, result] of originals)
      result.faces.forEach((face, index) => gallery.enroll(`${name}#${index}`, face.descriptor));
    let compared = 0;
    for (const [name, result] of originals) {
      for (const variant of await variants(readDemoPhoto(name))) {
        const edited = await lenientPipeline.process(variant.bytes);
        result.faces.forEach((face, index) => {
          const expected = variant.map(centre(face));
          const match = edited.faces.find(
            (candidate) =>
              Math.hypot(centre(candidate).x - expected.x, centre(candidate).y - expected.y) < candidate.box.width / 3,
          );
          expect(match, `${name} face ${index} ${variant.name}`).toBeDefined();
          expect(
            dot(face.descriptor, match!.descriptor),
            `${name} face ${index} ${variant.name}`,
          ).toBeGreaterThanOrEqual(SAME_PERSON_MIN_SIMILARITY);
          expect(gallery.search(match!.descriptor, 1)[0].id).toBe(`${name}#${index}`);
          compared++;
        });
      }
    }
    expect(compared).toBeGreaterThanOrEqual(19 * 4);
  }, 60_000);

  it('rejects faces too small to recognise, and so the image', async () => {
    const tiny = await pipeline.process(await sharp(readDemoPhoto('sample6.jpg')).resize(320).jpeg().toBuffer());
    expect(tiny.faces).toEqual([]);
    expect(tiny.rejectedReasons).toEqual(['no-face']);
    expect(tiny.rejected.length).toBeGreaterThanOrEqual(3);
    for (const face of tiny.rejected) expect(face.quality.reasons).toContain('face-too-small');
  });

  it('rejects blurred faces', async () => {
    const blurred = await pipeline.process(await sharp(readDemoPhoto('sample6.jpg')).blur(5).jpeg().toBuffer());
    expect(blurred.faces).toEqual([]);
    expect(blurred.rejected.length).toBeGreaterThanOrEqual(3);
    for (const face of blurred.rejected) {
      expect(face.quality.reasons).toEqual(['blurred']);
      expect(face.quality.sharpness).toBeLessThan(pipeline.qualityGate.options.minSharpness);
    }
  });

  it('with the checkpoint preset, takes the one face of a crop and refuses a crop with two people', async () => {
    const checkpoint = await FacePipeline.create(FACE_PIPELINE_PRESETS.checkpointCrop);
    try {
      const face = originals.get('sample3.jpg')!.faces[0];
      const side = Math.round(face.box.width * 1.8);
      const crop = await sharp(readDemoPhoto('sample3.jpg'))
        .extract({
          left: Math.round(centre(face).x - side / 2),
          top: Math.round(centre(face).y - side / 2),
          width: side,
          height: side,
        })
        .jpeg()
        .toBuffer();
      const single = await checkpoint.process(crop);
      expect(single.faces).toHaveLength(1);
      expect(dot(single.faces[0].descriptor, face.descriptor)).toBeGreaterThanOrEqual(SAME_PERSON_MIN_SIMILARITY);

      const twoPeople = await sharp(readDemoPhoto('sample6.jpg'))
        .extract({ left: 1100, top: 250, width: 650, height: 420 })
        .jpeg()
        .toBuffer();
      const pair = await checkpoint.process(twoPeople);
      expect(pair.rejectedReasons).toEqual(['too-many-faces']);
      expect(pair.faces).toEqual([]);
      expect(pair.rejected.map((rejected) => rejected.quality.reasons)).toEqual([
        ['too-many-faces'],
        ['too-many-faces'],
      ]);
    } finally {
      await checkpoint.close();
    }
  });
});
