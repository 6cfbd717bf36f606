import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';

/**
 * Face crops for simulated face captures, cut from the demo photographs that ship in the
 * `@vladmandic/face-api` npm package (demo/sample1-6.jpg, MIT). Boxes are in pixels of the
 * 1920-pixel-wide originals, around each visible face, read off the pictures by hand.
 */
const FACE_BOXES: Readonly<Record<string, readonly [number, number, number, number][]>> = {
  'sample1.jpg': [
    [410, 360, 230, 240],
    [820, 430, 200, 230],
    [1460, 200, 230, 260],
  ],
  'sample2.jpg': [
    [350, 140, 180, 280],
    [890, 270, 190, 210],
    [1430, 150, 200, 240],
  ],
  'sample3.jpg': [
    [600, 320, 190, 260],
    [1070, 190, 230, 280],
    [1500, 280, 200, 270],
  ],
  'sample4.jpg': [
    [260, 190, 170, 240],
    [650, 70, 190, 250],
    [980, 200, 180, 240],
    [1260, 150, 180, 250],
  ],
  'sample5.jpg': [
    [740, 110, 200, 220],
    [580, 410, 200, 250],
    [1090, 220, 190, 230],
    [1400, 380, 200, 280],
    [370, 870, 200, 270],
  ],
  'sample6.jpg': [
    [250, 470, 220, 280],
    [650, 320, 200, 280],
    [1150, 270, 230, 270],
    [1450, 250, 240, 270],
  ],
};

export interface GalleryPerson {
  /** Stable label, `sample3-2` = the second face of sample3.jpg. */
  personId: string;
  /** A few slightly different crops of the same face, as a camera would see it on different passes. */
  crops: { jpegBase64: string; width: number; height: number }[];
}

export interface FaceGallery {
  people: GalleryPerson[];
  source: string;
}

/** Where the demo photographs are, or undefined when the package is not installed. */
export function findDemoFaceFolder(): string | undefined {
  try {
    const folder = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
    return existsSync(join(folder, 'sample1.jpg')) ? folder : undefined;
  } catch {
    return undefined;
  }
}

/** Cuts the face crops (three variants each: tight, loose, shifted), 160 pixels wide JPEGs. */
export async function loadFaceGallery(
  folder: string | undefined = findDemoFaceFolder(),
): Promise<FaceGallery | undefined> {
  if (!folder) return undefined;
  const people: GalleryPerson[] = [];
  for (const [file, boxes] of Object.entries(FACE_BOXES)) {
    const path = join(folder, file);
    if (!existsSync(path)) continue;
    const image = sharp(path);
    const { width = 0, height = 0 } = await image.metadata();
    for (const [index, [x, y, w, h]] of boxes.entries()) {
      const crops: GalleryPerson['crops'] = [];
      for (const [grow, shift] of [
        [0.15, 0],
        [0.35, 0],
        [0.25, 0.08],
      ] as const) {
        const left = Math.max(0, Math.round(x - w * grow + w * shift));
        const top = Math.max(0, Math.round(y - h * grow));
        const cropWidth = Math.min(width - left, Math.round(w * (1 + 2 * grow)));
        const cropHeight = Math.min(height - top, Math.round(h * (1 + 2 * grow)));
        const { data, info } = await sharp(path)
          .extract({ left, top, width: cropWidth, height: cropHeight })
          .resize({ width: 160 })
          .jpeg({ quality: 82 })
          .toBuffer({ resolveWithObject: true });
        crops.push({ jpegBase64: data.toString('base64'), width: info.width, height: info.height });
      }
      people.push({ personId: `${file.replace('.jpg', '')}-${index + 1}`, crops });
    }
  }
  return people.length > 0 ? { people, source: folder } : undefined;
}

/**
 * The photos an administrator would enrol for a gallery person on the hub's watchlist: the same face
 * cut from the same demo photograph, once head and shoulders (half the face box more on each side, 400
 * pixels wide, as the hub's own watchlist tests enrol) and once a closer portrait (a quarter more, 240
 * wide). Measured with the hub's pipelines: with both, every crop the simulator sends of each of the 22
 * people scores at least 0.976 against its own person (the hit threshold is 0.97), other people at most
 * 0.961; with the first alone, one person's crops stayed under 0.97. Empty for an unknown person.
 */
export async function enrolmentPhotos(
  personId: string,
  folder: string | undefined = findDemoFaceFolder(),
): Promise<Buffer[]> {
  const match = /^(sample[0-9]+)-([0-9]+)$/.exec(personId);
  if (!folder || !match) return [];
  const file = `${match[1]}.jpg`;
  const box = FACE_BOXES[file]?.[Number(match[2]) - 1];
  const path = join(folder, file);
  if (!box || !existsSync(path)) return [];
  const { width = 0, height = 0 } = await sharp(path).metadata();
  const [x, y, w, h] = box;
  const photos: Buffer[] = [];
  for (const [grow, outputWidth] of [
    [0.5, 400],
    [0.25, 240],
  ] as const) {
    const left = Math.max(0, Math.round(x - w * grow));
    const top = Math.max(0, Math.round(y - h * grow));
    photos.push(
      await sharp(path)
        .extract({
          left,
          top,
          width: Math.min(width - left, Math.round(w * (1 + 2 * grow))),
          height: Math.min(height - top, Math.round(h * (1 + 2 * grow))),
        })
        .resize({ width: outputWidth })
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
  }
  return photos;
}
