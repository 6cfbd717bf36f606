import { DESCRIPTOR_LENGTH, normaliseL2 } from './face-embedder';
import { Int8Rows } from './int8-dot-kernel';

/**
 * Cosine similarity from which two unit descriptors are taken as the same person. Calibrated on the
 * face-api demo photos (22 people, similar in age and look, which is hard for this model): the same
 * face scaled, shifted, brightened or re-compressed scored 0.98 or more, two different people at
 * most 0.96. For comparison, dlib's own 0.6 Euclidean threshold on raw descriptors (norm about 1.45)
 * is a cosine near 0.91. Calibrate again on the deployment's own captures.
 */
export const SAME_PERSON_MIN_SIMILARITY = 0.97;

export interface GalleryMatch {
  id: string;
  /** Cosine similarity, -1..1. */
  similarity: number;
}

/** Largest int16 used for the quantised query: the kernel's int32 sums stay in range (see int8-dot-kernel.ts). */
const QUERY_STEPS = 32767;
const ROW_STEPS = 127;
/** Added to every error bound: covers float64 rounding in the bounds and in the exact score (about 1e-14). */
const BOUND_SLACK = 1e-6;

/**
 * Enrolled face descriptors in memory, matched by brute force: one packed Float32Array (row per
 * identity, unit length), so a search is a dot product with every row and a running top-k. About
 * 13 million multiply-adds for 100,000 identities.
 *
 * A search runs in two passes. The first (where WebAssembly SIMD is available) scores every row as
 * int8 against the query as int16 in a WebAssembly kernel (int8-dot-kernel.ts): a quarter of the
 * memory to read and 16 multiply-adds an instruction. Each int8 row keeps its scale, so every row's
 * approximate score comes with a proven bound on its error (see `candidateRows`), and only the rows
 * whose score could reach the final top-k are scored again exactly, by the float scan that scores
 * every row otherwise. The matches, their order (ties included) and their similarities are those of
 * the exact scan over every row (gallery.spec.ts checks it against brute force).
 */
export class FaceGallery {
  private matrix: Float32Array;
  private ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  /** The rows again as int8 for the first pass; null where WebAssembly SIMD is not available. */
  private readonly coarse: Int8Rows | null;
  /** Per row, the float value of one int8 step (largest magnitude / 127). */
  private rowScales: Float64Array;
  /** Rows holding a value that is not finite (only from a descriptor that was not): exact scan only. */
  private nonFiniteRows = new Set<number>();
  /** Scratch for the first pass: candidate rows and their upper bounds. */
  private candidates: Int32Array;
  private candidateUppers: Float64Array;
  private exactlyScored = 0;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(1, initialCapacity);
    this.matrix = new Float32Array(capacity * DESCRIPTOR_LENGTH);
    this.rowScales = new Float64Array(capacity);
    this.candidates = new Int32Array(capacity);
    this.candidateUppers = new Float64Array(capacity);
    this.coarse = Int8Rows.create(capacity);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Whether searches run the int8 first pass (WebAssembly SIMD available, every value finite). */
  get firstPass(): boolean {
    return this.coarse !== null && this.nonFiniteRows.size === 0;
  }

  /** How many rows the last search scored exactly (every row without the first pass). */
  get lastExactlyScored(): number {
    return this.exactlyScored;
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  /** Adds an identity, or replaces its descriptor. The descriptor is copied and scaled to unit length. */
  enroll(id: string, descriptor: Float32Array): void {
    if (descriptor.length !== DESCRIPTOR_LENGTH)
      throw new Error(`descriptor of ${descriptor.length} values, expected ${DESCRIPTOR_LENGTH}`);
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.ids.length;
      this.ensureCapacity(row + 1);
      this.ids.push(id);
      this.rowOf.set(id, row);
    }
    const target = this.matrix.subarray(row * DESCRIPTOR_LENGTH, (row + 1) * DESCRIPTOR_LENGTH);
    target.set(descriptor);
    normaliseL2(target);
    this.quantiseRow(row);
  }

  /**
   * Enrolls many identities at once from descriptors packed row after row (as loaded from storage):
   * `descriptors.length` must be `ids.length * 128`. Each row is copied and scaled to unit length.
   */
  enrollMany(ids: readonly string[], descriptors: Float32Array): void {
    if (descriptors.length !== ids.length * DESCRIPTOR_LENGTH) {
      throw new Error(`${descriptors.length} values for ${ids.length} descriptors of ${DESCRIPTOR_LENGTH}`);
    }
    this.ensureCapacity(this.ids.length + ids.length);
    ids.forEach((id, index) => {
      if (this.rowOf.has(id)) {
        this.enroll(id, descriptors.subarray(index * DESCRIPTOR_LENGTH, (index + 1) * DESCRIPTOR_LENGTH));
        return;
      }
      const row = this.ids.length;
      const target = this.matrix.subarray(row * DESCRIPTOR_LENGTH, (row + 1) * DESCRIPTOR_LENGTH);
      target.set(descriptors.subarray(index * DESCRIPTOR_LENGTH, (index + 1) * DESCRIPTOR_LENGTH));
      normaliseL2(target);
      this.quantiseRow(row);
      this.ids.push(id);
      this.rowOf.set(id, row);
    });
  }

  /** Removes an identity; the last row moves into its place. */
  remove(id: string): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    const lastRow = this.ids.length - 1;
    if (row !== lastRow) {
      this.matrix.copyWithin(row * DESCRIPTOR_LENGTH, lastRow * DESCRIPTOR_LENGTH, (lastRow + 1) * DESCRIPTOR_LENGTH);
      this.coarse?.copyRow(lastRow, row);
      this.rowScales[row] = this.rowScales[lastRow];
      if (this.nonFiniteRows.delete(lastRow)) this.nonFiniteRows.add(row);
      else this.nonFiniteRows.delete(row);
      const movedId = this.ids[lastRow];
      this.ids[row] = movedId;
      this.rowOf.set(movedId, row);
    } else {
      this.nonFiniteRows.delete(row);
    }
    this.ids.pop();
    this.rowOf.delete(id);
    return true;
  }

  /** The `k` most similar identities, best first, leaving out those below `minSimilarity`. */
  search(descriptor: Float32Array, k = 5, minSimilarity = -1): GalleryMatch[] {
    if (descriptor.length !== DESCRIPTOR_LENGTH)
      throw new Error(`descriptor of ${descriptor.length} values, expected ${DESCRIPTOR_LENGTH}`);
    if (k <= 0 || this.ids.length === 0) return [];
    const query = normaliseL2(Float32Array.from(descriptor));
    const candidateCount = this.candidateRows(query, k, minSimilarity);
    const rowList = candidateCount < 0 ? null : this.candidates;
    const count = candidateCount < 0 ? this.ids.length : candidateCount;
    this.exactlyScored = count;

    const topRows = new Int32Array(k);
    const topScores = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
    let kept = 0;
    let threshold = minSimilarity;
    const matrix = this.matrix;
    // A local constant: an imported binding is read through the module object on every use once compiled to CommonJS.
    const length = DESCRIPTOR_LENGTH;

    for (let n = 0; n < count; n++) {
      const row = rowList === null ? n : rowList[n];
      // Dot product with one row, unrolled by eight into four sums.
      const offset = row * length;
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      for (let index = 0; index < length; index += 8) {
        const at = offset + index;
        a += query[index] * matrix[at] + query[index + 4] * matrix[at + 4];
        b += query[index + 1] * matrix[at + 1] + query[index + 5] * matrix[at + 5];
        c += query[index + 2] * matrix[at + 2] + query[index + 6] * matrix[at + 6];
        d += query[index + 3] * matrix[at + 3] + query[index + 7] * matrix[at + 7];
      }
      const similarity = a + b + c + d;
      if (similarity < threshold) continue;
      // Insert into the sorted top-k (descending), dropping the last when full.
      let position = kept < k ? kept++ : k - 1;
      while (position > 0 && topScores[position - 1] < similarity) {
        topScores[position] = topScores[position - 1];
        topRows[position] = topRows[position - 1];
        position--;
      }
      topScores[position] = similarity;
      topRows[position] = row;
      if (kept === k) threshold = Math.max(minSimilarity, topScores[k - 1]);
    }
    const matches: GalleryMatch[] = [];
    for (let index = 0; index < kept; index++)
      matches.push({ id: this.ids[topRows[index]], similarity: topScores[index] });
    return matches;
  }

  /**
   * The first pass: writes into `candidates`, in row order, every row whose exact score could be at or
   * above the final k-th score, and returns how many; -1 when every row must be scored exactly (no
   * kernel, or a value that is not finite).
   *
   * The query q (unit, float) becomes int16 steps of sq: q = sq*Q + e with |e_i| <= sq/2; a row m (unit)
   * is int8 steps of its scale sr: m = sr*M + d with |d_i| <= sr/2. Then
   *   m.q = sr*sq*(M.Q) + sq*(d.Q) + m.e,  |sq*(d.Q)| <= sr/2 * sum|sq*Q_i|,  |m.e| <= |m| |e| <= sq/2 * sqrt(128),
   * so each row's exact score lies in [lower, upper] around sr*sq*(M.Q), M.Q exact from the kernel. The
   * k-th largest lower bound, L, is at most the k-th exact score; a row whose upper bound is under
   * max(L, minSimilarity) cannot be in the top-k, and the exact scan over the other rows in row order
   * keeps exactly what it keeps over all rows (a row under the final k-th score never displaces one at
   * or above it, and ties at the k-th place fall as before, being at or above it themselves).
   */
  private candidateRows(query: Float32Array, k: number, minSimilarity: number): number {
    const coarse = this.coarse;
    if (coarse === null || this.nonFiniteRows.size > 0) return -1;
    let largest = 0;
    for (let index = 0; index < DESCRIPTOR_LENGTH; index++) {
      const value = query[index];
      if (!Number.isFinite(value)) return -1;
      largest = Math.max(largest, Math.abs(value));
    }
    const queryStep = largest / QUERY_STEPS;
    const steps = coarse.queryValues();
    let absoluteSum = 0;
    for (let index = 0; index < DESCRIPTOR_LENGTH; index++) {
      const step =
        queryStep > 0 ? Math.max(-QUERY_STEPS, Math.min(QUERY_STEPS, Math.round(query[index] / queryStep))) : 0;
      steps[index] = step;
      absoluteSum += Math.abs(step) * queryStep;
    }
    // Per unit of row scale, and for every row; both rounded up a little.
    const rowError = (absoluteSum / 2) * (1 + 1e-9);
    const queryError = (queryStep / 2) * Math.sqrt(DESCRIPTOR_LENGTH) * (1 + 1e-6) + BOUND_SLACK;

    const rows = this.ids.length;
    const dots = coarse.scan(rows);
    const scales = this.rowScales;
    const candidates = this.candidates;
    const uppers = this.candidateUppers;
    // The k largest lower bounds so far, descending; `floor` = the k-th once there are k, else -Infinity.
    const lowest = new Float64Array(k);
    let kept = 0;
    let floor = Number.NEGATIVE_INFINITY;
    let cutoff = minSimilarity;
    let count = 0;
    for (let row = 0; row < rows; row++) {
      const centre = dots[row] * queryStep;
      const scale = scales[row];
      const upper = scale * (centre + rowError) + queryError;
      if (upper < cutoff) continue;
      candidates[count] = row;
      uppers[count++] = upper;
      const lower = scale * (centre - rowError) - queryError;
      if (kept === k && lower <= floor) continue;
      let position = kept < k ? kept++ : k - 1;
      while (position > 0 && lowest[position - 1] < lower) {
        lowest[position] = lowest[position - 1];
        position--;
      }
      lowest[position] = lower;
      if (kept === k) {
        floor = lowest[k - 1];
        cutoff = Math.max(minSimilarity, floor);
      }
    }
    let survivors = 0;
    for (let index = 0; index < count; index++) {
      if (uppers[index] >= cutoff) candidates[survivors++] = candidates[index];
    }
    return survivors;
  }

  /** Quantises a row of `matrix` into the kernel's int8 rows, with its scale. */
  private quantiseRow(row: number): void {
    const matrix = this.matrix;
    const offset = row * DESCRIPTOR_LENGTH;
    const end = offset + DESCRIPTOR_LENGTH;
    let largest = 0;
    let finite = true;
    for (let index = offset; index < end; index++) {
      const value = matrix[index];
      if (!Number.isFinite(value)) finite = false;
      else if (value > largest) largest = value;
      else if (-value > largest) largest = -value;
    }
    if (finite) this.nonFiniteRows.delete(row);
    else this.nonFiniteRows.add(row);
    if (this.coarse === null || !finite) return;
    // m / scale is within [-127, 127] up to rounding, so the int8 value is the nearest step (bound: scale / 2).
    const scale = largest / ROW_STEPS;
    const inverse = largest > 0 ? ROW_STEPS / largest : 0;
    this.rowScales[row] = scale;
    const target = this.coarse.rowValues();
    for (let index = offset; index < end; index++) target[index] = Math.round(matrix[index] * inverse);
  }

  private ensureCapacity(rows: number): void {
    if (rows * DESCRIPTOR_LENGTH <= this.matrix.length) return;
    const capacity = Math.max(rows, (this.matrix.length / DESCRIPTOR_LENGTH) * 2);
    const grown = new Float32Array(capacity * DESCRIPTOR_LENGTH);
    grown.set(this.matrix);
    this.matrix = grown;
    const scales = new Float64Array(capacity);
    scales.set(this.rowScales);
    this.rowScales = scales;
    this.candidates = new Int32Array(capacity);
    this.candidateUppers = new Float64Array(capacity);
    this.coarse?.ensureCapacity(capacity);
  }
}
