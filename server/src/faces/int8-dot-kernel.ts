/**
 * A WebAssembly SIMD kernel for FaceGallery's first pass: the dot product of one int16 query with
 * every row of an int8 matrix (128 values a row), exact in int32. Built here from its instructions
 * rather than shipped as a binary, so what it does can be read:
 *
 * ```wat
 * (func (export "scan") (param $query i32) (param $rows i32) (param $out i32) (param $end i32)
 *   (local $byte v128)
 *   (block (br_if 0 (i32.ge_u (local.get $out) (local.get $end)))
 *     (loop
 *       ;; 8 times, j = 0..7: 16 int8 of the row, widened to 2 x 8 int16, multiplied pairwise by
 *       ;; 16 int16 of the query and summed in pairs into 4 int32 lanes
 *       (i32x4.add (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.tee $byte (v128.load offset=16j (local.get $rows))))
 *                                     (v128.load offset=32j (local.get $query)))
 *                  (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $byte))
 *                                     (v128.load offset=32j+16 (local.get $query))))
 *       ;; ... the 8 partial vectors added, the 4 lanes added, stored at $out
 *       (local.set $rows (i32.add (local.get $rows) (i32.const 128)))
 *       (local.set $out (i32.add (local.get $out) (i32.const 4)))
 *       (br_if 0 (i32.lt_u (local.get $out) (local.get $end))))))
 * ```
 *
 * Bounds: |int8| <= 127 and |int16| <= 32767, so a row's sum is at most 128 * 127 * 32767, about
 * 5.3e8, inside int32; -32768 never occurs, so dot_i16x8_s cannot overflow.
 */
const ROW_BYTES = 128;

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function name(text: string): number[] {
  const bytes = [...Buffer.from(text, 'utf8')];
  return [...unsignedLeb(bytes.length), ...bytes];
}

function section(id: number, content: number[]): number[] {
  return [id, ...unsignedLeb(content.length), ...content];
}

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Store: 0x36,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32LtU: 0x49,
  i32Add: 0x6a,
  simd: 0xfd,
};
/** SIMD instructions: the 0xfd prefix, then the opcode as unsigned LEB128. */
const simd = {
  v128Load: [op.simd, 0x00],
  i32x4ExtractLane: [op.simd, 0x1b],
  i16x8ExtendLowI8x16S: [op.simd, ...unsignedLeb(0x87)],
  i16x8ExtendHighI8x16S: [op.simd, ...unsignedLeb(0x88)],
  i32x4Add: [op.simd, ...unsignedLeb(0xae)],
  i32x4DotI16x8S: [op.simd, ...unsignedLeb(0xba)],
};

/** v128.load with an alignment hint of 16 bytes and a constant offset. */
function v128Load(offset: number): number[] {
  return [...simd.v128Load, 4, ...unsignedLeb(offset)];
}

function scanBody(): number[] {
  const [query, rows, out, end, byte] = [0, 1, 2, 3, 4];
  const code: number[] = [];
  code.push(op.block, 0x40, op.localGet, out, op.localGet, end, op.i32GeU, op.brIf, 0);
  code.push(op.loop, 0x40);
  for (let j = 0; j < ROW_BYTES / 16; j++) {
    code.push(op.localGet, rows, ...v128Load(16 * j), op.localTee, byte, ...simd.i16x8ExtendLowI8x16S);
    code.push(op.localGet, query, ...v128Load(32 * j), ...simd.i32x4DotI16x8S);
    code.push(op.localGet, byte, ...simd.i16x8ExtendHighI8x16S);
    code.push(op.localGet, query, ...v128Load(32 * j + 16), ...simd.i32x4DotI16x8S, ...simd.i32x4Add);
    if (j > 0) code.push(...simd.i32x4Add);
  }
  // The 4 lanes of the sum: keep it in $byte and add the lanes.
  code.push(op.localSet, byte, op.localGet, out);
  for (let lane = 0; lane < 4; lane++) {
    code.push(op.localGet, byte, ...simd.i32x4ExtractLane, lane);
    if (lane > 0) code.push(op.i32Add);
  }
  code.push(op.i32Store, 2, 0);
  code.push(op.localGet, rows, op.i32Const, ...unsignedLeb(ROW_BYTES), op.i32Add, op.localSet, rows);
  code.push(op.localGet, out, op.i32Const, 4, op.i32Add, op.localTee, out);
  code.push(op.localGet, end, op.i32LtU, op.brIf, 0, op.end, op.end, op.end);
  // Locals: one v128 after the four i32 parameters.
  const body = [1, 1, V128, ...code];
  return [...unsignedLeb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    // (type (func (param i32 i32 i32 i32)))
    ...section(1, [1, 0x60, 4, I32, I32, I32, I32, 0]),
    // (import "env" "memory" (memory 0))
    ...section(2, [1, ...name('env'), ...name('memory'), 0x02, 0x00, 0]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name('scan'), 0x00, 0]),
    ...section(10, [1, ...scanBody()]),
  ];
  return Uint8Array.from(bytes);
}

/** The part of the WebAssembly JS API used here: the hub compiles without the DOM library that declares it. */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

let compiled: object | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is not available (the gallery then scores in JS only). */
function kernelModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(moduleBytes()) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

const PAGE = 65536;
const QUERY_BYTES = 2 * ROW_BYTES;
/** Where the rows start in the kernel's memory: after the int16 query. */
const ROWS_AT = 1024;

/**
 * Rows of int8 (one byte a component, scaled so the largest magnitude is 127) and a scan of them
 * against an int16 query, in a WebAssembly memory of their own. The dot products land in `dots`.
 */
export class Int8Rows {
  private readonly memory: WasmMemory;
  private readonly scanRows: (query: number, rows: number, out: number, end: number) => void;
  private capacity = 0;
  /** Views on the memory, made again whenever it grows. */
  private bytes!: Int8Array;
  private query!: Int16Array;
  private dotsView!: Int32Array;

  private constructor(module: object, capacity: number) {
    this.memory = new wasm!.Memory({ initial: 1 });
    const instance = new wasm!.Instance(module, { env: { memory: this.memory } });
    this.scanRows = instance.exports.scan as (query: number, rows: number, out: number, end: number) => void;
    this.ensureCapacity(capacity);
  }

  /** Null where WebAssembly SIMD is not available. */
  static create(capacity: number): Int8Rows | null {
    const module = kernelModule();
    return module === null ? null : new Int8Rows(module, capacity);
  }

  /** Room for `rows` rows (the dot products go after the last row, so they move when it grows). */
  ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(rows, this.capacity * 2);
    const needed = ROWS_AT + capacity * (ROW_BYTES + 4);
    const pages = Math.ceil(needed / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    this.capacity = capacity;
    const buffer = this.memory.buffer;
    this.bytes = new Int8Array(buffer, ROWS_AT, capacity * ROW_BYTES);
    this.query = new Int16Array(buffer, 0, QUERY_BYTES / 2);
    this.dotsView = new Int32Array(buffer, ROWS_AT + capacity * ROW_BYTES, capacity);
  }

  /** Every row, 128 int8 after another, for writing (the view is valid until the next growth). */
  rowValues(): Int8Array {
    return this.bytes;
  }

  copyRow(from: number, to: number): void {
    this.bytes.copyWithin(to * ROW_BYTES, from * ROW_BYTES, (from + 1) * ROW_BYTES);
  }

  /** The int16 query, for writing before `scan`. */
  queryValues(): Int16Array {
    return this.query;
  }

  /** Dot products of the query with rows 0..rows-1 (the view is valid until the next growth). */
  scan(rows: number): Int32Array {
    const out = ROWS_AT + this.capacity * ROW_BYTES;
    this.scanRows(0, ROWS_AT, out, out + rows * 4);
    return this.dotsView;
  }
}
