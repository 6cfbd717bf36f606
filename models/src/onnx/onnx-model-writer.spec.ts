import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel, OnnxModelWriter } from './onnx-model-writer';

function tinyModel(): Uint8Array {
  const writer = new OnnxModelWriter('tiny', 13);
  const input = writer.input('x', ['batch', 2, 2, 1]);
  const nchw = writer.node('Transpose', 'x_nchw', [input], { perm: [0, 3, 1, 2] });
  const offset = writer.floatInitializer('offset', [1], Float32Array.of(0.5));
  const pads = writer.int64Initializer('pads', [0, 0, 0, 0, 0, 1, 0, 0]);
  const padded = writer.node('Pad', 'padded', [nchw, pads]);
  const sum = writer.node('Add', 'sum', [padded, offset]);
  writer.node('ReduceMean', 'mean', [sum], { axes: [2, 3], keepdims: 0 });
  writer.output('mean', ['batch', 2]);
  return writer.toBytes({
    producerName: 'test',
    producerVersion: '1',
    docString: 'tiny',
    properties: { purpose: 'spec' },
  });
}

describe('OnnxModelWriter', () => {
  it('writes a model ONNX Runtime loads and runs', async () => {
    const session = await ort.InferenceSession.create(tinyModel());
    const x = Float32Array.of(1, 2, 3, 4, 10, 20, 30, 40);
    const { mean } = await session.run({ x: new ort.Tensor('float32', x, [2, 2, 2, 1]) });
    expect(mean.dims).toEqual([2, 2]);
    expect(Array.from(mean.data as Float32Array)).toEqual([3, 0.5, 25.5, 0.5]);
    await session.release();
  });

  it('reads back what it wrote, metadata included', () => {
    const model = decodeOnnxModel(tinyModel()) as {
      irVersion: number;
      metadataProps: object[];
      graph: { node: { opType: string }[] };
    };
    expect(model.irVersion).toBe(8);
    expect(model.metadataProps).toEqual([{ key: 'purpose', value: 'spec' }]);
    expect(model.graph.node.map((node) => node.opType)).toEqual(['Transpose', 'Pad', 'Add', 'ReduceMean']);
  });

  it('refuses unknown inputs, duplicate names, wrong initialiser sizes and fractional ints', () => {
    const writer = new OnnxModelWriter('bad', 13);
    writer.input('x', [1]);
    expect(() => writer.node('Relu', 'y', ['missing'])).toThrow(/unknown input missing/);
    expect(() => writer.input('x', [1])).toThrow(/used twice/);
    expect(() => writer.floatInitializer('w', [2, 2], new Float32Array(3))).toThrow(/3 values for shape \[2,2\]/);
    expect(() => writer.node('LeakyRelu', 'z', ['x'], { alpha: 0.1 })).toThrow(/not an integer/);
    expect(() => writer.output('nowhere', [1])).toThrow(/not produced/);
  });
});
