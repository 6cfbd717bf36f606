import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTfjsWeights } from './tfjs-weights-reader';

function writeWeights(weights: object[], bytes: Buffer): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tfjs-weights-'));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify([{ paths: ['shard.bin'], weights }]));
  writeFileSync(path.join(dir, 'shard.bin'), bytes);
  return path.join(dir, 'manifest.json');
}

describe('readTfjsWeights', () => {
  it('dequantises uint8 weights as q * scale + min and reads float32 weights as they are', () => {
    const floats = Buffer.alloc(8);
    floats.writeFloatLE(1.5, 0);
    floats.writeFloatLE(-2.25, 4);
    const manifest = writeWeights(
      [
        { name: 'quantised', shape: [3], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
        { name: 'plain', shape: [2, 1], dtype: 'float32' },
      ],
      Buffer.concat([Buffer.from([0, 2, 255]), floats]),
    );
    const weights = readTfjsWeights(manifest);
    expect(Array.from(weights.get('quantised')!.values)).toEqual([-1, 0, 126.5]);
    expect(weights.get('plain')).toEqual({ shape: [2, 1], values: Float32Array.of(1.5, -2.25) });
  });

  it('fails when the shard does not match the manifest', () => {
    const spec = [{ name: 'w', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 1, min: 0 } }];
    expect(() => readTfjsWeights(writeWeights(spec, Buffer.alloc(3)))).toThrow(/end before w/);
    expect(() => readTfjsWeights(writeWeights(spec, Buffer.alloc(6)))).toThrow(/2 bytes left/);
  });
});
