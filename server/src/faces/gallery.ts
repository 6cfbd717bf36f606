import { DESCRIPTOR_LENGTH, normaliseL2 } from './face-embedder';

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

/**
 * Enrolled face descriptors in memory, matched by brute force: one packed Float32Array (row per
 * identity, unit length), so a search is a dot product with every row and a running top-k. About
 * 13 million multiply-adds for 100,000 identities.
 */
export class FaceGallery {
  private matrix: Float32Array;
  private ids: string[] = [];
  private readonly rowOf = new Map<string, number>();

  constructor(initialCapacity = 1024) {
    this.matrix = new Float32Array(Math.max(1, initialCapacity) * DESCRIPTOR_LENGTH);
  }

  get size(): number {
    return this.ids.length;
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
      const movedId = this.ids[lastRow];
      this.ids[row] = movedId;
      this.rowOf.set(movedId, row);
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
    const topRows = new Int32Array(k);
    const topScores = new Float64Array(k).fill(Number.NEGATIVE_INFINITY);
    let kept = 0;
    let threshold = minSimilarity;
    const matrix = this.matrix;
    const rows = this.ids.length;
    // A local constant: an imported binding is read through the module object on every use once compiled to CommonJS.
    const length = DESCRIPTOR_LENGTH;

    for (let row = 0; row < rows; row++) {
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

  private ensureCapacity(rows: number): void {
    if (rows * DESCRIPTOR_LENGTH <= this.matrix.length) return;
    const grown = new Float32Array(Math.max(rows, (this.matrix.length / DESCRIPTOR_LENGTH) * 2) * DESCRIPTOR_LENGTH);
    grown.set(this.matrix);
    this.matrix = grown;
  }
}
