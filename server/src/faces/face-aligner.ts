import type { FaceLandmarks, Point, RgbImage } from './face-types';
import { sharpFromRgb } from './image-decoder';

/** The side of the square crop FaceRecognitionNet takes. */
export const ALIGNED_FACE_SIZE = 150;

/** An eye-aligned face crop: packed RGB, ALIGNED_FACE_SIZE x ALIGNED_FACE_SIZE. */
export interface AlignedFace {
  pixels: Buffer;
  size: number;
}

/** Where the crop sits in the source image: a square of `side` pixels centred on `centre`, turned by `angle`. */
export interface FaceCropGeometry {
  centre: Point;
  side: number;
  /** The eye line's angle in radians, clockwise from horizontal (image y points down). */
  angle: number;
}

/**
 * face-api's dlib alignment (`FaceLandmarks.alignDlib`), plus the rotation it leaves out: the crop is
 * centred horizontally on the centroid of the two eyes and the mouth, its top 0.43 of the side above
 * that centroid, and its side the mean eye-to-mouth distance divided by 0.45. The descriptors the
 * network was trained and evaluated on come from crops framed this way.
 */
export function faceCropGeometry(landmarks: FaceLandmarks): FaceCropGeometry {
  // On a frontal face MediaPipe's rightEye is the eye on the image's left.
  const imageLeftEye = landmarks.rightEye;
  const imageRightEye = landmarks.leftEye;
  const mouth = landmarks.mouthCentre;
  const angle = Math.atan2(imageRightEye.y - imageLeftEye.y, imageRightEye.x - imageLeftEye.x);
  const centroid = {
    x: (imageLeftEye.x + imageRightEye.x + mouth.x) / 3,
    y: (imageLeftEye.y + imageRightEye.y + mouth.y) / 3,
  };
  const distance = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
  const side = Math.max(1, (distance(mouth, imageLeftEye) + distance(mouth, imageRightEye)) / 2 / 0.45);
  // The crop centre lies 0.5 - 0.43 of the side below the centroid, "below" in the face's own frame.
  const drop = (0.5 - 0.43) * side;
  return { centre: { x: centroid.x - drop * Math.sin(angle), y: centroid.y + drop * Math.cos(angle) }, side, angle };
}

/**
 * Writes the bilinear sample of an RGB image at continuous coordinates (pixel centres at +0.5) to
 * `target` at `offset`; neighbours outside the image count as black.
 */
function sampleBilinear(
  source: Buffer,
  width: number,
  height: number,
  x: number,
  y: number,
  target: Buffer,
  offset: number,
): void {
  const left = Math.floor(x - 0.5);
  const top = Math.floor(y - 0.5);
  const fractionX = x - 0.5 - left;
  const fractionY = y - 0.5 - top;
  const hasLeft = left >= 0 && left < width;
  const hasRight = left + 1 >= 0 && left + 1 < width;
  const hasTop = top >= 0 && top < height;
  const hasBottom = top + 1 >= 0 && top + 1 < height;
  const topLeft = hasTop && hasLeft ? (1 - fractionX) * (1 - fractionY) : 0;
  const topRight = hasTop && hasRight ? fractionX * (1 - fractionY) : 0;
  const bottomLeft = hasBottom && hasLeft ? (1 - fractionX) * fractionY : 0;
  const bottomRight = hasBottom && hasRight ? fractionX * fractionY : 0;
  // Indices of missing neighbours are clamped into the buffer; their weight is zero.
  const row = Math.max(0, Math.min(height - 1, top)) * width;
  const nextRow = Math.max(0, Math.min(height - 1, top + 1)) * width;
  const column = Math.max(0, Math.min(width - 1, left));
  const nextColumn = Math.max(0, Math.min(width - 1, left + 1));
  const a = (row + column) * 3;
  const b = (row + nextColumn) * 3;
  const c = (nextRow + column) * 3;
  const d = (nextRow + nextColumn) * 3;
  for (let channel = 0; channel < 3; channel++) {
    target[offset + channel] = Math.round(
      source[a + channel] * topLeft +
        source[b + channel] * topRight +
        source[c + channel] * bottomLeft +
        source[d + channel] * bottomRight,
    );
  }
}

/**
 * Cuts the face out of the image with its eye line level, scaled to a 150x150 crop. sharp extracts
 * the region the turned square covers and resizes it so the square is 150 pixels across (its
 * resampling filters the detail away properly when shrinking); the rotation is then a bilinear
 * resampling at that scale, which keeps the crop exactly centred (black past the image edges).
 */
export async function alignFace(
  image: RgbImage,
  landmarks: FaceLandmarks,
  size = ALIGNED_FACE_SIZE,
): Promise<AlignedFace> {
  const { centre, side, angle } = faceCropGeometry(landmarks);
  const halfExtent = (side / 2) * (Math.abs(Math.cos(angle)) + Math.abs(Math.sin(angle))) + 2;
  const left = Math.max(0, Math.floor(centre.x - halfExtent));
  const top = Math.max(0, Math.floor(centre.y - halfExtent));
  const right = Math.min(image.width, Math.ceil(centre.x + halfExtent));
  const bottom = Math.min(image.height, Math.ceil(centre.y + halfExtent));
  const pixels = Buffer.alloc(size * size * 3);
  if (right <= left || bottom <= top) return { pixels, size };

  const scale = size / side;
  const scaledWidth = Math.max(1, Math.round((right - left) * scale));
  const scaledHeight = Math.max(1, Math.round((bottom - top) * scale));
  const region = await sharpFromRgb(image)
    .extract({ left, top, width: right - left, height: bottom - top })
    .resize(scaledWidth, scaledHeight, { fit: 'fill' })
    .raw()
    .toBuffer();

  // Each crop pixel, from the level face frame back to the region: turn by the eye angle, then scale.
  const scaleX = scaledWidth / (right - left);
  const scaleY = scaledHeight / (bottom - top);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      const faceX = (column + 0.5 - size / 2) / scale;
      const faceY = (row + 0.5 - size / 2) / scale;
      const regionX = (centre.x + faceX * cos - faceY * sin - left) * scaleX;
      const regionY = (centre.y + faceX * sin + faceY * cos - top) * scaleY;
      sampleBilinear(region, scaledWidth, scaledHeight, regionX, regionY, pixels, (row * size + column) * 3);
    }
  }
  return { pixels, size };
}
