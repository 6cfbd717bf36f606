import sharp from 'sharp';
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

function copySquare(source: Buffer, sourceWidth: number, sourceHeight: number, left: number, top: number, size: number): Buffer {
  const crop = Buffer.alloc(size * size * 3);
  for (let row = 0; row < size; row++) {
    const sourceRow = top + row;
    if (sourceRow < 0 || sourceRow >= sourceHeight) continue;
    const firstColumn = Math.max(0, -left);
    const lastColumn = Math.min(size, sourceWidth - left);
    if (lastColumn <= firstColumn) continue;
    source.copy(crop, (row * size + firstColumn) * 3, (sourceRow * sourceWidth + left + firstColumn) * 3, (sourceRow * sourceWidth + left + lastColumn) * 3);
  }
  return crop;
}

/**
 * Cuts the face out of the image with its eye line level, scaled to a 150x150 crop, with sharp:
 * extract the region the turned square covers (padded black past the image edges) and resize it so
 * the square is 150 pixels, rotate it level, then take the square around where its centre landed.
 */
export async function alignFace(image: RgbImage, landmarks: FaceLandmarks, size = ALIGNED_FACE_SIZE): Promise<AlignedFace> {
  const { centre, side, angle } = faceCropGeometry(landmarks);
  const halfExtent = (side / 2) * (Math.abs(Math.cos(angle)) + Math.abs(Math.sin(angle))) + 2;
  const regionLeft = Math.floor(centre.x - halfExtent);
  const regionTop = Math.floor(centre.y - halfExtent);
  const regionSize = Math.ceil(2 * halfExtent) + 1;

  // The part of the region inside the image, and the black margins around it.
  const insideLeft = Math.max(0, regionLeft);
  const insideTop = Math.max(0, regionTop);
  const insideRight = Math.min(image.width, regionLeft + regionSize);
  const insideBottom = Math.min(image.height, regionTop + regionSize);
  if (insideRight <= insideLeft || insideBottom <= insideTop) return { pixels: Buffer.alloc(size * size * 3), size };

  const scale = size / side;
  const scaledSize = Math.max(1, Math.round(regionSize * scale));
  const black = { r: 0, g: 0, b: 0 };
  const region = await sharpFromRgb(image)
    .extract({ left: insideLeft, top: insideTop, width: insideRight - insideLeft, height: insideBottom - insideTop })
    .extend({
      left: insideLeft - regionLeft,
      top: insideTop - regionTop,
      right: regionLeft + regionSize - insideRight,
      bottom: regionTop + regionSize - insideBottom,
      background: black,
    })
    .raw()
    .toBuffer();
  const scaled = await sharp(region, { raw: { width: regionSize, height: regionSize, channels: 3 } })
    .resize(scaledSize, scaledSize, { fit: 'fill' })
    .raw()
    .toBuffer();
  const rotated = await sharp(scaled, { raw: { width: scaledSize, height: scaledSize, channels: 3 } })
    .rotate((-angle * 180) / Math.PI, { background: black })
    .raw()
    .toBuffer({ resolveWithObject: true });

  // Follow the crop centre through the resize and the rotation about the region's centre.
  const actualScale = scaledSize / regionSize;
  const offsetX = (centre.x - regionLeft) * actualScale - scaledSize / 2;
  const offsetY = (centre.y - regionTop) * actualScale - scaledSize / 2;
  const cos = Math.cos(-angle);
  const sin = Math.sin(-angle);
  const centreX = rotated.info.width / 2 + offsetX * cos - offsetY * sin;
  const centreY = rotated.info.height / 2 + offsetX * sin + offsetY * cos;
  const pixels = copySquare(rotated.data, rotated.info.width, rotated.info.height, Math.round(centreX - size / 2), Math.round(centreY - size / 2), size);
  return { pixels, size };
}
