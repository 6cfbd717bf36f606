import { describe, expect, it } from 'vitest';
import { ALIGNED_FACE_SIZE, alignFace, faceCropGeometry } from './face-aligner';
import type { FaceLandmarks, Point, RgbImage } from './face-types';

const WIDTH = 480;
const HEIGHT = 360;

/** A black image with a white disc at each point (pixel x covers x..x+1, so its centre is x + 0.5). */
function imageWithDiscs(points: Point[], radius: number): RgbImage {
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      if (points.some((point) => Math.hypot(x + 0.5 - point.x, y + 0.5 - point.y) <= radius))
        data.fill(255, (y * WIDTH + x) * 3, (y * WIDTH + x) * 3 + 3);
    }
  }
  return { data, width: WIDTH, height: HEIGHT };
}

/** Centroid of the bright pixels of a crop inside a rectangle, in continuous coordinates (pixel centres at +0.5). */
function brightCentroid(pixels: Buffer, size: number, from: Point, to: Point): Point {
  let sumX = 0;
  let sumY = 0;
  let weight = 0;
  for (let y = from.y; y < to.y; y++) {
    for (let x = from.x; x < to.x; x++) {
      const value = pixels[(y * size + x) * 3];
      if (value > 64) {
        sumX += x * value;
        sumY += y * value;
        weight += value;
      }
    }
  }
  return { x: sumX / weight + 0.5, y: sumY / weight + 0.5 };
}

/** A face turned by `degrees` (clockwise on screen) around `centre`: eyes 60 px apart, mouth 55 px below. */
function turnedLandmarks(centre: Point, degrees: number): FaceLandmarks {
  const angle = (degrees * Math.PI) / 180;
  const place = (dx: number, dy: number): Point => ({
    x: centre.x + dx * Math.cos(angle) - dy * Math.sin(angle),
    y: centre.y + dx * Math.sin(angle) + dy * Math.cos(angle),
  });
  return {
    rightEye: place(-30, 0),
    leftEye: place(30, 0),
    noseTip: place(0, 25),
    mouthCentre: place(0, 55),
    rightEarTragion: place(-60, 10),
    leftEarTragion: place(60, 10),
  };
}

describe('faceCropGeometry', () => {
  it("frames the face as face-api's dlib alignment does when the eyes are level", () => {
    const landmarks = turnedLandmarks({ x: 200, y: 150 }, 0);
    const geometry = faceCropGeometry(landmarks);
    const eyeToMouth = Math.hypot(30, 55);
    expect(geometry.angle).toBeCloseTo(0, 6);
    expect(geometry.side).toBeCloseTo(eyeToMouth / 0.45, 6);
    const centroidY = 150 + 55 / 3;
    expect(geometry.centre.x).toBeCloseTo(200, 6);
    expect(geometry.centre.y - geometry.side / 2).toBeCloseTo(centroidY - 0.43 * geometry.side, 6);
  });

  it('measures the eye line angle clockwise', () => {
    expect(faceCropGeometry(turnedLandmarks({ x: 200, y: 150 }, 25)).angle).toBeCloseTo((25 * Math.PI) / 180, 6);
  });
});

describe('alignFace', () => {
  it.each([0, 25, -40])('levels the eyes of a face turned %i degrees and frames it at 150x150', async (degrees) => {
    const landmarks = turnedLandmarks({ x: 240, y: 170 }, degrees);
    const image = imageWithDiscs([landmarks.rightEye, landmarks.leftEye, landmarks.mouthCentre], 5);
    const aligned = await alignFace(image, landmarks);
    expect(aligned.size).toBe(ALIGNED_FACE_SIZE);
    expect(aligned.pixels.length).toBe(150 * 150 * 3);

    const scale = 150 / faceCropGeometry(landmarks).side;
    const half = 75;
    const imageLeftEye = brightCentroid(aligned.pixels, 150, { x: 0, y: 0 }, { x: half, y: 90 });
    const imageRightEye = brightCentroid(aligned.pixels, 150, { x: half, y: 0 }, { x: 150, y: 90 });
    const mouth = brightCentroid(aligned.pixels, 150, { x: 40, y: 90 }, { x: 110, y: 150 });
    expect(Math.abs(imageLeftEye.y - imageRightEye.y)).toBeLessThan(1);
    // Within a pixel: the crop is taken at whole pixels of the rotated region.
    expect(Math.abs(imageRightEye.x - imageLeftEye.x - 60 * scale)).toBeLessThan(1);
    expect(Math.abs((imageLeftEye.x + imageRightEye.x) / 2 - 75)).toBeLessThan(1);
    expect(Math.abs(mouth.x - 75)).toBeLessThan(1);
    expect(Math.abs(mouth.y - imageLeftEye.y - 55 * scale)).toBeLessThan(1);
    // The centroid of eyes and mouth sits 0.43 of the crop from its top.
    const centroidY = (imageLeftEye.y + imageRightEye.y + mouth.y) / 3;
    expect(Math.abs(centroidY - 0.43 * 150)).toBeLessThan(1);
  });

  it('pads with black where the crop runs past the image edge', async () => {
    const landmarks = turnedLandmarks({ x: 20, y: 30 }, 10);
    const image: RgbImage = { data: Buffer.alloc(WIDTH * HEIGHT * 3, 200), width: WIDTH, height: HEIGHT };
    const aligned = await alignFace(image, landmarks);
    expect(aligned.pixels[0]).toBe(0);
    const centre = (75 * 150 + 75) * 3;
    expect(aligned.pixels[centre]).toBeGreaterThan(150);
  });
});
