import sharp from 'sharp';
import type { RgbImage } from './face-types';

/** Decodes JPEG/PNG/WebP bytes to packed RGB, honouring the EXIF orientation. */
export async function decodeImage(encoded: Buffer): Promise<RgbImage> {
  const { data, info } = await sharp(encoded)
    .rotate()
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`decodeImage: expected 3 channels, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

/** A sharp pipeline reading an already decoded image. */
export function sharpFromRgb(image: RgbImage): sharp.Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}
