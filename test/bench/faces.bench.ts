/**
 * Face recognition throughput and matching speed.
 *
 *   npx tsx test/bench/faces.bench.ts                 (a few minutes)
 *   BENCH_QUICK=1 npx tsx test/bench/faces.bench.ts   (under a minute)
 *
 * - ONNX pipeline (server/src/faces): decode (sharp) -> BlazeFace back-256 -> quality -> eye alignment
 *   -> FaceRecognitionNet ONNX, on the six face-api demo photos (1920 px wide, 19 faces pass the
 *   gates), one image after another; then the checkpoint preset (BlazeFace front-128) on 320x320
 *   one-face crops cut from them, as a face checkpoint sends them.
 * - Reference: face-api.js itself on TensorFlow.js WASM, same photos, same sharp decode: SSD MobileNet
 *   v1 (its default detector) -> 68 landmarks and dlib alignment -> FaceRecognitionNet (batched per
 *   image, which is kinder to it than face-api's own one-face-at-a-time chain).
 * - Gallery search (top-5) over 100,000 enrolled identities, and search by face (top-10) over
 *   1,000,000 stored descriptors, in FaceGallery: every row scored as int8 (WebAssembly SIMD), then the
 *   rows that can reach the top-k scored exactly from the packed Float32Array.
 * Prints a table, then ONE line of JSON with the figures and the targets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import * as faceapi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import sharp from 'sharp';
import { FaceApiReference } from '../../models/test/face-api-reference';
import { FACE_PIPELINE_PRESETS, FacePipeline } from '../../server/src/faces/face-pipeline';
import { DESCRIPTOR_LENGTH, normaliseL2 } from '../../server/src/faces/face-embedder';
import { FaceGallery } from '../../server/src/faces/gallery';
import { CaptureSearchIndex } from '../../server/src/faces/capture-search-index';

const QUICK = process.env.BENCH_QUICK === '1';
const PIPELINE_ROUNDS = QUICK ? 2 : 10;
const REFERENCE_ROUNDS = QUICK ? 1 : 3;
const GALLERY_IDENTITIES = 100_000;
const STORED_DESCRIPTORS = 1_000_000;
const GALLERY_QUERIES = QUICK ? 50 : 200;
const STORE_QUERIES = QUICK ? 5 : 20;
const TARGETS = {
  speedupOverReference: 3,
  facesPerSecond: 50,
  gallerySearch100kMs: 20,
  search1MMs: 1000,
  searchDayOfCapturesMs: 1000,
};
/** A district day: 97 face checkpoints at 1,800-9,000 faces each (the simulator's estate), about 350,000. */
const CAPTURES_PER_DAY = 350_000;
const CHECKPOINT_BATCH = 16;

type Stage = 'decodeMs' | 'detectMs' | 'alignMs' | 'embedMs';
const STAGES: Stage[] = ['decodeMs', 'detectMs', 'alignMs', 'embedMs'];

interface ThroughputFigures {
  images: number;
  faces: number;
  facesPerSecond: number;
  imagesPerSecond: number;
  /** Mean milliseconds a stage takes for one image. */
  stageMsPerImage: Record<Stage, number>;
  /** Process CPU time (all threads) per face: steadier than wall time when other work shares the cores. */
  cpuMsPerFace: number;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function demoPhotos(): Buffer[] {
  const dir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
  return readdirSync(dir)
    .filter((name) => /^sample\d+\.jpg$/.test(name))
    .sort()
    .map((name) => readFileSync(path.join(dir, name)));
}

function summarise(
  images: number,
  faces: number,
  wallMs: number,
  cpuMs: number,
  stageTotals: Record<Stage, number>,
): ThroughputFigures {
  const stageMsPerImage = Object.fromEntries(STAGES.map((stage) => [stage, stageTotals[stage] / images])) as Record<
    Stage,
    number
  >;
  return {
    images,
    faces,
    facesPerSecond: (faces * 1000) / wallMs,
    imagesPerSecond: (images * 1000) / wallMs,
    stageMsPerImage,
    cpuMsPerFace: cpuMs / faces,
  };
}

/**
 * What a face checkpoint sends: one face per JPEG, 320x320, cut around each face the scene pipeline
 * finds in the demo photos (1.8 times the face box).
 */
async function checkpointCrops(photos: Buffer[]): Promise<Buffer[]> {
  const pipeline = await FacePipeline.create(FACE_PIPELINE_PRESETS.scene);
  const crops: Buffer[] = [];
  for (const photo of photos) {
    const { width, height } = await sharp(photo).metadata();
    for (const face of (await pipeline.process(photo)).faces) {
      const side = Math.round(Math.min(face.box.width * 1.8, width, height));
      const left = Math.round(Math.min(Math.max(0, face.box.x + face.box.width / 2 - side / 2), width - side));
      const top = Math.round(Math.min(Math.max(0, face.box.y + face.box.height / 2 - side / 2), height - side));
      crops.push(
        await sharp(photo)
          .extract({ left, top, width: side, height: side })
          .resize(320, 320)
          .jpeg({ quality: 90 })
          .toBuffer(),
      );
    }
  }
  await pipeline.close();
  return crops;
}

async function benchOnnxPipeline(
  photos: Buffer[],
  preset: (typeof FACE_PIPELINE_PRESETS)[keyof typeof FACE_PIPELINE_PRESETS],
): Promise<ThroughputFigures> {
  const pipeline = await FacePipeline.create(preset);
  for (const photo of photos) await pipeline.process(photo);
  const totals: Record<Stage, number> = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
  let faces = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (let round = 0; round < PIPELINE_ROUNDS; round++) {
    for (const photo of photos) {
      const result = await pipeline.process(photo);
      faces += result.faces.length;
      for (const stage of STAGES) totals[stage] += result.timings[stage];
    }
  }
  const wallMs = performance.now() - started;
  const cpuMs = cpuMsSince(cpuStart);
  await pipeline.close();
  return summarise(PIPELINE_ROUNDS * photos.length, faces, wallMs, cpuMs, totals);
}

/** face-api's detectAllFaces().withFaceLandmarks().withFaceDescriptors(), stage by stage as its tasks run them. */
async function referenceProcess(photo: Buffer, timings: Record<Stage, number>): Promise<number> {
  let started = performance.now();
  const { data, info } = await sharp(photo).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const input = faceapi.tf.tensor3d(data, [info.height, info.width, 3], 'int32');
  timings.decodeMs += performance.now() - started;
  try {
    started = performance.now();
    const detections = await faceapi.detectAllFaces(input, new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 }));
    timings.detectMs += performance.now() - started;
    if (detections.length === 0) return 0;

    started = performance.now();
    const faceTensors = await faceapi.extractFaceTensors(input, detections);
    const landmarks = await Promise.all(
      faceTensors.map((face) => faceapi.nets.faceLandmark68Net.detectLandmarks(face)),
    );
    faceTensors.forEach((face) => face.dispose());
    const alignedBoxes = landmarks.map((faceLandmarks, index) => {
      const single = Array.isArray(faceLandmarks) ? faceLandmarks[0] : faceLandmarks;
      return single.shiftBy(detections[index].box.x, detections[index].box.y).align(null, { useDlibAlignment: true });
    });
    const alignedFaces = await faceapi.extractFaceTensors(input, alignedBoxes);
    timings.alignMs += performance.now() - started;

    started = performance.now();
    await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(alignedFaces);
    alignedFaces.forEach((face) => face.dispose());
    timings.embedMs += performance.now() - started;
    return detections.length;
  } finally {
    input.dispose();
  }
}

async function benchReference(photos: Buffer[]): Promise<ThroughputFigures & { backend: string }> {
  const reference = await FaceApiReference.load('wasm');
  const warmUp: Record<Stage, number> = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
  await referenceProcess(photos[0], warmUp);
  const totals: Record<Stage, number> = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
  let faces = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (let round = 0; round < REFERENCE_ROUNDS; round++) {
    for (const photo of photos) faces += await referenceProcess(photo, totals);
  }
  const wallMs = performance.now() - started;
  return {
    ...summarise(REFERENCE_ROUNDS * photos.length, faces, wallMs, cpuMsSince(cpuStart), totals),
    backend: `tfjs-${reference.backend}`,
  };
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomDescriptor(next: () => number): Float32Array {
  return normaliseL2(Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => next() - 0.5));
}

/** `count` random descriptors packed row after row (the gallery scales each row to unit length). */
function randomDescriptors(count: number, next: () => number): Float32Array {
  const packed = new Float32Array(count * DESCRIPTOR_LENGTH);
  for (let index = 0; index < packed.length; index++) packed[index] = next() - 0.5;
  return packed;
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}

/** Fills a gallery, then times `queries` searches; returns mean and p95 milliseconds. */
function benchSearch(
  identities: number,
  queries: number,
  k: number,
  seed: number,
): { meanMs: number; p95Ms: number; fillMs: number } {
  const next = random(seed);
  const gallery = new FaceGallery(identities);
  const ids = Array.from({ length: identities }, (_, index) => `id-${index}`);
  const descriptors = randomDescriptors(identities, next);
  const fillStarted = performance.now();
  gallery.enrollMany(ids, descriptors);
  const fillMs = performance.now() - fillStarted;
  gallery.search(randomDescriptor(next), k);
  const times: number[] = [];
  for (let query = 0; query < queries; query++) {
    const descriptor = randomDescriptor(next);
    const started = performance.now();
    gallery.search(descriptor, k);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { meanMs: times.reduce((sum, time) => sum + time, 0) / times.length, p95Ms: percentile(times, 0.95), fillMs };
}

function round(value: number, digits = 1): number {
  return Number(value.toFixed(digits));
}

function printThroughput(label: string, figures: ThroughputFigures): void {
  const stages = STAGES.map((stage) => `${stage.replace('Ms', '')} ${figures.stageMsPerImage[stage].toFixed(1)}`).join(
    ', ',
  );
  console.log(
    `${label.padEnd(28)} ${figures.facesPerSecond.toFixed(1).padStart(7)} faces/s  ${figures.cpuMsPerFace.toFixed(1).padStart(7)} CPU ms/face  ` +
      `(${figures.faces} faces in ${figures.images} images; ms/image: ${stages})`,
  );
}

/** The hub's worker path: checkpoint crops in batches of CHECKPOINT_BATCH, one network run per batch. */
async function benchBatchedCrops(crops: Buffer[]): Promise<ThroughputFigures> {
  const pipeline = await FacePipeline.create({
    ...FACE_PIPELINE_PRESETS.checkpointCrop,
    embedder: { maxBatchSize: 32 },
  });
  await pipeline.processMany(crops.slice(0, CHECKPOINT_BATCH));
  const batch: Buffer[] = [];
  while (batch.length < CHECKPOINT_BATCH) batch.push(...crops);
  batch.length = CHECKPOINT_BATCH;
  const totals: Record<Stage, number> = { decodeMs: 0, detectMs: 0, alignMs: 0, embedMs: 0 };
  let faces = 0;
  const rounds = Math.ceil((PIPELINE_ROUNDS * crops.length) / CHECKPOINT_BATCH);
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    for (const result of await pipeline.processMany(batch)) {
      if (result instanceof Error) throw result;
      faces += result.faces.length;
      for (const stage of STAGES) totals[stage] += result.timings[stage];
    }
  }
  const wallMs = performance.now() - started;
  const cpuMs = cpuMsSince(cpuStart);
  await pipeline.close();
  return summarise(rounds * CHECKPOINT_BATCH, faces, wallMs, cpuMs, totals);
}

/** Search by face over one day of captures in the hub's in-memory index (int8, filtered by time and device). */
function benchDaySearch(queries: number): { meanMs: number; p95Ms: number; fillMs: number; megabytes: number } {
  const next = random(3);
  const index = new CaptureSearchIndex(2);
  const day = CaptureSearchIndex.dayOf(Date.UTC(2026, 10, 27));
  const fillStarted = performance.now();
  const captures = [];
  for (let n = 0; n < CAPTURES_PER_DAY; n++) {
    captures.push({
      eventId: `capture-${n.toString(36).padStart(8, '0')}`,
      deviceId: `2301080000131${String(n % 97).padStart(7, '0')}`,
      shotTime: day + Math.floor((n / CAPTURES_PER_DAY) * 86_400_000),
      descriptor: randomDescriptor(next),
    });
  }
  index.open(day, captures);
  const fillMs = performance.now() - fillStarted;
  const times: number[] = [];
  for (let query = 0; query < queries; query++) {
    const started = performance.now();
    index.search(randomDescriptor(next), { from: day, to: day + 86_400_000 - 1, limit: 20, minSimilarity: 0.9 });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return {
    meanMs: times.reduce((sum, time) => sum + time, 0) / times.length,
    p95Ms: percentile(times, 0.95),
    fillMs,
    megabytes: index.bytes / 1e6,
  };
}

async function main(): Promise<void> {
  const photos = demoPhotos();
  console.log(
    `faces bench${QUICK ? ' (quick)' : ''}: ${photos.length} demo photos, ${availableParallelism()} cores, ` +
      `load average ${loadavg()[0].toFixed(1)}, node ${process.version}`,
  );

  const onnx = await benchOnnxPipeline(photos, FACE_PIPELINE_PRESETS.scene);
  printThroughput('ONNX pipeline, photos', onnx);
  const crops = await checkpointCrops(photos);
  const onnxCrops = await benchOnnxPipeline(crops, FACE_PIPELINE_PRESETS.checkpointCrop);
  printThroughput('ONNX pipeline, crops', onnxCrops);
  const batched = await benchBatchedCrops(crops);
  printThroughput(`crops, batches of ${CHECKPOINT_BATCH}`, batched);
  const reference = await benchReference(photos);
  printThroughput(`face-api (${reference.backend})`, reference);
  const speedup = onnx.facesPerSecond / reference.facesPerSecond;
  const cpuSpeedup = reference.cpuMsPerFace / onnx.cpuMsPerFace;
  console.log(
    `speed-up over face-api: ${speedup.toFixed(1)}x in faces/s, ${cpuSpeedup.toFixed(1)}x in CPU time per face`,
  );

  const gallery = benchSearch(GALLERY_IDENTITIES, GALLERY_QUERIES, 5, 1);
  console.log(
    `gallery top-5 of ${GALLERY_IDENTITIES.toLocaleString('en')}: mean ${gallery.meanMs.toFixed(2)} ms, p95 ${gallery.p95Ms.toFixed(2)} ms`,
  );
  const store = benchSearch(STORED_DESCRIPTORS, STORE_QUERIES, 10, 2);
  console.log(
    `search-by-face top-10 of ${STORED_DESCRIPTORS.toLocaleString('en')}: mean ${store.meanMs.toFixed(1)} ms, p95 ${store.p95Ms.toFixed(1)} ms (filled in ${(store.fillMs / 1000).toFixed(1)} s)`,
  );

  const day = benchDaySearch(QUICK ? 5 : 20);
  console.log(
    `search by face over a day (${CAPTURES_PER_DAY.toLocaleString('en')} captures, in memory): mean ${day.meanMs.toFixed(1)} ms, p95 ${day.p95Ms.toFixed(1)} ms (${day.megabytes.toFixed(0)} MB)`,
  );

  const figures = {
    bench: 'faces',
    quick: QUICK,
    loadAverage: round(loadavg()[0], 1),
    onnx: {
      facesPerSecond: round(onnx.facesPerSecond),
      imagesPerSecond: round(onnx.imagesPerSecond, 2),
      cpuMsPerFace: round(onnx.cpuMsPerFace),
      stageMsPerImage: mapValues(onnx.stageMsPerImage),
    },
    onnxCheckpointCrops: {
      facesPerSecond: round(onnxCrops.facesPerSecond),
      imagesPerSecond: round(onnxCrops.imagesPerSecond, 2),
      cpuMsPerFace: round(onnxCrops.cpuMsPerFace),
      stageMsPerImage: mapValues(onnxCrops.stageMsPerImage),
    },
    onnxCheckpointCropsBatched: {
      batch: CHECKPOINT_BATCH,
      facesPerSecond: round(batched.facesPerSecond),
      cpuMsPerFace: round(batched.cpuMsPerFace),
      stageMsPerImage: mapValues(batched.stageMsPerImage),
    },
    reference: {
      backend: reference.backend,
      facesPerSecond: round(reference.facesPerSecond, 2),
      imagesPerSecond: round(reference.imagesPerSecond, 2),
      cpuMsPerFace: round(reference.cpuMsPerFace),
      stageMsPerImage: mapValues(reference.stageMsPerImage),
    },
    speedupOverReference: round(speedup, 2),
    cpuSpeedupOverReference: round(cpuSpeedup, 2),
    gallerySearch100kMs: { mean: round(gallery.meanMs, 2), p95: round(gallery.p95Ms, 2) },
    search1MMs: { mean: round(store.meanMs), p95: round(store.p95Ms) },
    searchDayOfCapturesMs: {
      captures: CAPTURES_PER_DAY,
      mean: round(day.meanMs),
      p95: round(day.p95Ms),
      megabytes: round(day.megabytes),
    },
    targets: TARGETS,
    met: {
      speedupOverReference: speedup >= TARGETS.speedupOverReference,
      facesPerSecond: onnx.facesPerSecond >= TARGETS.facesPerSecond,
      facesPerSecondCheckpointCrops: onnxCrops.facesPerSecond >= TARGETS.facesPerSecond,
      gallerySearch100kMs: gallery.p95Ms <= TARGETS.gallerySearch100kMs,
      search1MMs: store.p95Ms <= TARGETS.search1MMs,
      facesPerSecondBatchedCrops: batched.facesPerSecond >= TARGETS.facesPerSecond,
      searchDayOfCapturesMs: day.p95Ms <= TARGETS.searchDayOfCapturesMs,
    },
  };
  console.log(JSON.stringify(figures));
}

function mapValues(values: Record<Stage, number>): Record<Stage, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, round(value)])) as Record<Stage, number>;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
