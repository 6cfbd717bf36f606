import { readFileSync } from 'node:fs';
import path from 'node:path';

/** One weight tensor, dequantised to float32, in the layout TensorFlow.js keeps it (conv filters HWIO). */
export interface WeightTensor {
  shape: number[];
  values: Float32Array;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: { dtype: 'uint8' | 'uint16'; scale: number; min: number };
}

interface WeightsManifestGroup {
  paths: string[];
  weights: WeightSpec[];
}

const BYTES_PER_VALUE = { float32: 4, uint16: 2, uint8: 1 } as const;

function elementCount(shape: number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

function decodeWeight(spec: WeightSpec, bytes: Buffer, offset: number): WeightTensor {
  const count = elementCount(spec.shape);
  const values = new Float32Array(count);
  const quantization = spec.quantization;
  if (!quantization) {
    for (let index = 0; index < count; index++) values[index] = bytes.readFloatLE(offset + index * 4);
  } else if (quantization.dtype === 'uint8') {
    // The manifest's affine quantisation, the same arithmetic as tf.io.decodeWeights.
    for (let index = 0; index < count; index++)
      values[index] = bytes[offset + index] * quantization.scale + quantization.min;
  } else {
    for (let index = 0; index < count; index++) {
      values[index] = bytes.readUInt16LE(offset + index * 2) * quantization.scale + quantization.min;
    }
  }
  return { shape: spec.shape, values };
}

/**
 * Reads a TensorFlow.js weights manifest and its binary shards into float32 tensors by name.
 * Fails if a shard is shorter or longer than the manifest says.
 */
export function readTfjsWeights(manifestPath: string): Map<string, WeightTensor> {
  const groups = JSON.parse(readFileSync(manifestPath, 'utf8')) as WeightsManifestGroup[];
  const weights = new Map<string, WeightTensor>();
  for (const group of groups) {
    const bytes = Buffer.concat(group.paths.map((shard) => readFileSync(path.join(path.dirname(manifestPath), shard))));
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.dtype !== 'float32') throw new Error(`${spec.name}: unsupported dtype ${spec.dtype}`);
      const byteLength = elementCount(spec.shape) * BYTES_PER_VALUE[spec.quantization?.dtype ?? 'float32'];
      if (offset + byteLength > bytes.length) throw new Error(`${manifestPath}: weights end before ${spec.name}`);
      weights.set(spec.name, decodeWeight(spec, bytes, offset));
      offset += byteLength;
    }
    if (offset !== bytes.length)
      throw new Error(`${manifestPath}: ${bytes.length - offset} bytes left after the last weight`);
  }
  return weights;
}
