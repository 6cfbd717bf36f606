import { OnnxModelWriter } from '../onnx/onnx-model-writer';
import type { WeightTensor } from './tfjs-weights-reader';

/**
 * Converts face-api.js FaceRecognitionNet (the dlib ResNet-29 port, 128-d descriptors) to ONNX.
 *
 * The graph follows `src/faceRecognitionNet/` of @vladmandic/face-api operation by operation:
 * input minus the mean RGB, divided by 255; a 7x7 stride-2 'valid' conv; a 3x3 stride-2 max pool;
 * residual blocks of 32/64/128/256 channels ('same' 3x3 convs, down blocks start with a stride-2
 * 'valid' conv and add a 2x2 average-pooled shortcut, zero-padded in channels and, where the conv
 * output is one row/column smaller, the conv output zero-padded at the bottom/right); a global mean
 * and a 256x128 fully connected layer.
 *
 * Each face-api conv layer is conv + bias followed by a per-channel scale layer (x * w + b); the
 * converter folds the scale into the conv (filters * w, bias * w + b), which is the same function
 * with fewer operations. The graph is NCHW inside; its input is NHWC so a caller can hand in packed
 * RGB pixels directly.
 */

export const FACE_RECOGNITION_INPUT_SIZE = 150;
export const FACE_RECOGNITION_DESCRIPTOR_LENGTH = 128;
export const FACE_RECOGNITION_MEAN_RGB = [122.782, 117.001, 104.298] as const;
export const FACE_RECOGNITION_INPUT_NAME = 'image';
export const FACE_RECOGNITION_OUTPUT_NAME = 'descriptor';
const OPSET_VERSION = 13;

/** A tensor in the graph being built, with the static shape the next layer needs (NCHW, square). */
interface FeatureMap {
  name: string;
  channels: number;
  size: number;
}

type Padding = 'same' | 'valid';

function outputSize(size: number, kernel: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

/** TensorFlow's 'same' padding: the total split with the smaller half first. Returns [begin, end]. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  const begin = Math.floor(total / 2);
  return [begin, total - begin];
}

class FaceRecognitionGraph {
  readonly writer = new OnnxModelWriter('face_recognition_net', OPSET_VERSION);

  constructor(private readonly weights: Map<string, WeightTensor>) {}

  private weight(name: string, expectedRank: number): WeightTensor {
    const tensor = this.weights.get(name);
    if (!tensor) throw new Error(`face recognition weights: missing ${name}`);
    if (tensor.shape.length !== expectedRank)
      throw new Error(`${name}: rank ${tensor.shape.length}, expected ${expectedRank}`);
    return tensor;
  }

  normalisedInput(): FeatureMap {
    const size = FACE_RECOGNITION_INPUT_SIZE;
    const w = this.writer;
    const input = w.input(FACE_RECOGNITION_INPUT_NAME, ['batch', size, size, 3]);
    const nchw = w.node('Transpose', 'input_nchw', [input], { perm: [0, 3, 1, 2] });
    const mean = w.floatInitializer('mean_rgb', [1, 3, 1, 1], Float32Array.from(FACE_RECOGNITION_MEAN_RGB));
    const centred = w.node('Sub', 'input_centred', [nchw, mean]);
    const divisor = w.floatInitializer('pixel_range', [1], Float32Array.of(255));
    return { name: w.node('Div', 'input_normalised', [centred, divisor]), channels: 3, size };
  }

  /** face-api convLayer: conv2d + bias, scale layer, optional ReLU; the scale folded into the conv. */
  convLayer(input: FeatureMap, prefix: string, stride: number, padding: Padding, relu: boolean): FeatureMap {
    const filters = this.weight(`${prefix}/conv/filters`, 4);
    const bias = this.weight(`${prefix}/conv/bias`, 1);
    const scale = this.weight(`${prefix}/scale/weights`, 1);
    const shift = this.weight(`${prefix}/scale/biases`, 1);
    const [kernelHeight, kernelWidth, inChannels, outChannels] = filters.shape;
    if (kernelHeight !== kernelWidth) throw new Error(`${prefix}: non-square kernel`);
    if (inChannels !== input.channels)
      throw new Error(`${prefix}: ${inChannels} input channels, graph has ${input.channels}`);

    // HWIO (TensorFlow) to OIHW (ONNX), each output channel multiplied by its scale.
    const kernel = kernelHeight;
    const foldedFilters = new Float32Array(filters.values.length);
    for (let y = 0; y < kernel; y++) {
      for (let x = 0; x < kernel; x++) {
        for (let i = 0; i < inChannels; i++) {
          for (let o = 0; o < outChannels; o++) {
            const tfIndex = ((y * kernel + x) * inChannels + i) * outChannels + o;
            const onnxIndex = ((o * inChannels + i) * kernel + y) * kernel + x;
            foldedFilters[onnxIndex] = filters.values[tfIndex] * scale.values[o];
          }
        }
      }
    }
    const foldedBias = new Float32Array(outChannels);
    for (let o = 0; o < outChannels; o++) foldedBias[o] = bias.values[o] * scale.values[o] + shift.values[o];

    const w = this.writer;
    const name = prefix.replaceAll('/', '_');
    const filtersName = w.floatInitializer(`${name}_filters`, [outChannels, inChannels, kernel, kernel], foldedFilters);
    const biasName = w.floatInitializer(`${name}_bias`, [outChannels], foldedBias);
    const [padBegin, padEnd] = padding === 'same' ? samePadding(input.size, kernel, stride) : [0, 0];
    const conv = w.node('Conv', `${name}_conv`, [input.name, filtersName, biasName], {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
      pads: [padBegin, padBegin, padEnd, padEnd],
    });
    const output = relu ? w.node('Relu', `${name}_relu`, [conv]) : conv;
    return { name: output, channels: outChannels, size: outputSize(input.size, kernel, stride, padding) };
  }

  maxPool(input: FeatureMap, name: string, kernel: number, stride: number): FeatureMap {
    const pooled = this.writer.node('MaxPool', name, [input.name], {
      kernel_shape: [kernel, kernel],
      strides: [stride, stride],
    });
    return { name: pooled, channels: input.channels, size: outputSize(input.size, kernel, stride, 'valid') };
  }

  residual(input: FeatureMap, prefix: string): FeatureMap {
    const first = this.convLayer(input, `${prefix}/conv1`, 1, 'same', true);
    const second = this.convLayer(first, `${prefix}/conv2`, 1, 'same', false);
    const sum = this.writer.node('Add', `${prefix}_add`, [second.name, input.name]);
    return { name: this.writer.node('Relu', `${prefix}_relu`, [sum]), channels: second.channels, size: second.size };
  }

  residualDown(input: FeatureMap, prefix: string): FeatureMap {
    const w = this.writer;
    const first = this.convLayer(input, `${prefix}/conv1`, 2, 'valid', true);
    let residualBranch = this.convLayer(first, `${prefix}/conv2`, 1, 'same', false);
    const pooled = w.node('AveragePool', `${prefix}_shortcut_pool`, [input.name], {
      kernel_shape: [2, 2],
      strides: [2, 2],
    });
    const pooledSize = outputSize(input.size, 2, 2, 'valid');

    const missingRows = pooledSize - residualBranch.size;
    if (missingRows !== 0 && missingRows !== 1)
      throw new Error(`${prefix}: conv ${residualBranch.size} vs pool ${pooledSize}`);
    if (missingRows === 1) {
      // face-api concatenates one zero row below and one zero column to the right.
      const pads = w.int64Initializer(`${prefix}_conv_pads`, [0, 0, 0, 0, 0, 0, 1, 1]);
      residualBranch = {
        ...residualBranch,
        name: w.node('Pad', `${prefix}_conv_padded`, [residualBranch.name, pads]),
        size: pooledSize,
      };
    }

    let shortcut = pooled;
    if (residualBranch.channels !== input.channels) {
      // face-api concatenates zeros of the pooled shape along the channels.
      if (residualBranch.channels !== 2 * input.channels)
        throw new Error(`${prefix}: channels ${input.channels} -> ${residualBranch.channels}`);
      const pads = w.int64Initializer(`${prefix}_shortcut_pads`, [0, 0, 0, 0, 0, input.channels, 0, 0]);
      shortcut = w.node('Pad', `${prefix}_shortcut_padded`, [pooled, pads]);
    }
    const sum = w.node('Add', `${prefix}_add`, [residualBranch.name, shortcut]);
    return { name: w.node('Relu', `${prefix}_relu`, [sum]), channels: residualBranch.channels, size: pooledSize };
  }

  descriptor(input: FeatureMap): void {
    const w = this.writer;
    const pooled = w.node('ReduceMean', 'global_mean', [input.name], { axes: [2, 3], keepdims: 0 });
    const fc = this.weight('fc', 2);
    const [fcInputs, fcOutputs] = fc.shape;
    if (fcInputs !== input.channels || fcOutputs !== FACE_RECOGNITION_DESCRIPTOR_LENGTH)
      throw new Error(`fc: shape [${fc.shape}]`);
    const fcWeights = w.floatInitializer('fc_weights', fc.shape, fc.values);
    w.node('MatMul', FACE_RECOGNITION_OUTPUT_NAME, [pooled, fcWeights]);
    w.output(FACE_RECOGNITION_OUTPUT_NAME, ['batch', FACE_RECOGNITION_DESCRIPTOR_LENGTH]);
  }
}

export interface ConversionProvenance {
  sourcePackage: string;
  producerVersion: string;
}

/** Builds the ONNX model bytes from face-api's dequantised FaceRecognitionNet weights. */
export function convertFaceRecognitionNet(
  weights: Map<string, WeightTensor>,
  provenance: ConversionProvenance,
): Uint8Array {
  const graph = new FaceRecognitionGraph(weights);
  let x = graph.normalisedInput();
  x = graph.convLayer(x, 'conv32_down', 2, 'valid', true);
  x = graph.maxPool(x, 'conv32_down_pool', 3, 2);
  for (const block of ['conv32_1', 'conv32_2', 'conv32_3']) x = graph.residual(x, block);
  x = graph.residualDown(x, 'conv64_down');
  for (const block of ['conv64_1', 'conv64_2', 'conv64_3']) x = graph.residual(x, block);
  x = graph.residualDown(x, 'conv128_down');
  for (const block of ['conv128_1', 'conv128_2']) x = graph.residual(x, block);
  x = graph.residualDown(x, 'conv256_down');
  for (const block of ['conv256_1', 'conv256_2']) x = graph.residual(x, block);
  x = graph.residualDown(x, 'conv256_down_out');
  graph.descriptor(x);

  return graph.writer.toBytes({
    producerName: '@citywatch/models',
    producerVersion: provenance.producerVersion,
    docString:
      'face-api.js FaceRecognitionNet (dlib ResNet-29 port) converted to ONNX. Input: RGB pixels 0..255, ' +
      'NHWC float32 [batch,150,150,3]; the mean subtraction and /255 are inside the graph. Output: the raw ' +
      '128-d face descriptor (not L2-normalised), as face-api computes it.',
    properties: {
      source: provenance.sourcePackage,
      input_layout: 'NHWC RGB 0..255',
      mean_rgb: FACE_RECOGNITION_MEAN_RGB.join(','),
      scale: '1/255',
    },
  });
}
