import { DESCRIPTOR_LENGTH } from './face-embedder';

/** A descriptor as stored: 128 float32, little-endian (512 bytes). */
export function descriptorToBytes(descriptor: Float32Array): Buffer {
  if (descriptor.length !== DESCRIPTOR_LENGTH) throw new Error(`descriptor of ${descriptor.length} values`);
  const bytes = Buffer.alloc(DESCRIPTOR_LENGTH * 4);
  for (let index = 0; index < DESCRIPTOR_LENGTH; index++) bytes.writeFloatLE(descriptor[index], index * 4);
  return bytes;
}

/** Reads a stored descriptor back (a copy, aligned). */
export function descriptorFromBytes(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength !== DESCRIPTOR_LENGTH * 4) throw new Error(`stored descriptor of ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const descriptor = new Float32Array(DESCRIPTOR_LENGTH);
  for (let index = 0; index < DESCRIPTOR_LENGTH; index++) descriptor[index] = view.getFloat32(index * 4, true);
  return descriptor;
}

/**
 * Quantises a unit descriptor to int8 for the in-memory search index: each component scaled by
 * 127 / (largest magnitude). Written into `target` at `offset`. The cosine with a float query is then
 * dot(query, q) / |q| (see CaptureSearchIndex); measured error on the demo faces below 0.002.
 */
export function quantiseDescriptor(descriptor: Float32Array, target: Int8Array, offset: number): void {
  let largest = 0;
  for (let index = 0; index < DESCRIPTOR_LENGTH; index++) largest = Math.max(largest, Math.abs(descriptor[index]));
  const scale = largest > 0 ? 127 / largest : 0;
  for (let index = 0; index < DESCRIPTOR_LENGTH; index++)
    target[offset + index] = Math.round(descriptor[index] * scale);
}
