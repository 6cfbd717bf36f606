import path from 'node:path';
import protobuf from 'protobufjs';

/** ONNX TensorProto.DataType values used by the converters. */
export const OnnxDataType = { FLOAT: 1, INT64: 7 } as const;

/** ONNX AttributeProto.AttributeType values used by the converters. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** A dimension is a fixed size or a symbolic name (a dynamic axis such as the batch). */
export type Dimension = number | string;

/** Attribute values: integers and integer lists are written as INT/INTS, `{ float }` as FLOAT. */
export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] };

export interface ModelMetadata {
  producerName: string;
  producerVersion: string;
  docString: string;
  /** Free-form key/value pairs written to ModelProto.metadata_props (provenance, preprocessing). */
  properties: Record<string, string>;
}

const ONNX_IR_VERSION = 8;

let cachedRoot: protobuf.Root | undefined;

function onnxRoot(): protobuf.Root {
  cachedRoot ??= protobuf.loadSync(path.join(__dirname, 'onnx.proto'));
  return cachedRoot;
}

/** Decodes an ONNX file with the same schema the writer uses (handy for tests and inspection). */
export function decodeOnnxModel(bytes: Uint8Array): Record<string, unknown> {
  const modelType = onnxRoot().lookupType('onnx.ModelProto');
  return modelType.toObject(modelType.decode(bytes), { longs: Number, bytes: Buffer }) as Record<string, unknown>;
}

function tensorType(dims: Dimension[]) {
  return {
    tensorType: {
      elemType: OnnxDataType.FLOAT,
      shape: { dim: dims.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
    },
  };
}

function encodeAttribute(name: string, value: AttributeValue) {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(value, 'utf8') };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new Error(`attribute ${name}: ${value} is not an integer; wrap it as { float }`);
    return { name, type: AttributeType.INT, i: value };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.FLOATS, floats: value.floats };
}

/**
 * Builds one ONNX graph node by node and serialises it as a ModelProto. Tensor names are unique
 * within the graph: `node()` derives output names from the node name, so a converter only names nodes.
 */
export class OnnxModelWriter {
  private readonly nodes: object[] = [];
  private readonly initializers: object[] = [];
  private readonly inputs: object[] = [];
  private readonly outputs: object[] = [];
  private readonly usedNames = new Set<string>();

  constructor(
    private readonly graphName: string,
    private readonly opsetVersion: number,
  ) {}

  input(name: string, dims: Dimension[]): string {
    this.claim(name);
    this.inputs.push({ name, type: tensorType(dims) });
    return name;
  }

  output(name: string, dims: Dimension[]): void {
    if (!this.usedNames.has(name)) throw new Error(`graph output ${name} is not produced by any node`);
    this.outputs.push({ name, type: tensorType(dims) });
  }

  floatInitializer(name: string, dims: number[], values: Float32Array): string {
    const expected = dims.reduce((product, dim) => product * dim, 1);
    if (values.length !== expected) throw new Error(`initializer ${name}: ${values.length} values for shape [${dims}]`);
    this.claim(name);
    const littleEndian = Buffer.alloc(values.length * 4);
    values.forEach((value, index) => littleEndian.writeFloatLE(value, index * 4));
    this.initializers.push({ name, dims, dataType: OnnxDataType.FLOAT, rawData: littleEndian });
    return name;
  }

  int64Initializer(name: string, values: number[]): string {
    this.claim(name);
    this.initializers.push({ name, dims: [values.length], dataType: OnnxDataType.INT64, int64Data: values });
    return name;
  }

  /** Adds a node with one output, named after the node, and returns that output's name. */
  node(opType: string, name: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    for (const input of inputs) {
      if (input !== '' && !this.usedNames.has(input)) throw new Error(`node ${name}: unknown input ${input}`);
    }
    this.claim(name);
    this.nodes.push({
      name,
      opType,
      input: inputs,
      output: [name],
      attribute: Object.entries(attributes).map(([key, value]) => encodeAttribute(key, value)),
    });
    return name;
  }

  toBytes(metadata: ModelMetadata): Uint8Array {
    const modelType = onnxRoot().lookupType('onnx.ModelProto');
    const model = {
      irVersion: ONNX_IR_VERSION,
      producerName: metadata.producerName,
      producerVersion: metadata.producerVersion,
      docString: metadata.docString,
      opsetImport: [{ domain: '', version: this.opsetVersion }],
      metadataProps: Object.entries(metadata.properties).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    const problem = modelType.verify(model);
    if (problem) throw new Error(`invalid ONNX model: ${problem}`);
    return modelType.encode(modelType.fromObject(model)).finish();
  }

  private claim(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`tensor name ${name} is used twice`);
    this.usedNames.add(name);
  }
}
