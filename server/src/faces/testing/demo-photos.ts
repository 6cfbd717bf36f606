import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The six group photos @vladmandic/face-api ships in demo/ (installed for models/, hoisted to the
 * root node_modules): 22 different people, 3 to 5 a photo, 1920 pixels wide.
 */
export const DEMO_PHOTO_NAMES = [
  'sample1.jpg',
  'sample2.jpg',
  'sample3.jpg',
  'sample4.jpg',
  'sample5.jpg',
  'sample6.jpg',
] as const;

export function demoPhotoPath(name: string): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', name);
}

export function readDemoPhoto(name: string): Buffer {
  return readFileSync(demoPhotoPath(name));
}
