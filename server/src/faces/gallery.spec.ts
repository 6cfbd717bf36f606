import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_LENGTH, normaliseL2 } from './face-embedder';
import { FaceGallery } from './gallery';

function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomDescriptor(random: () => number): Float32Array {
  return normaliseL2(Float32Array.from({ length: DESCRIPTOR_LENGTH }, () => random() - 0.5));
}

function dot(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, index) => sum + value * b[index], 0);
}

/**
 * The exact scan over every row as FaceGallery did it before the int8 first pass (float64 sums of
 * float32 products in the same order, the same running top-k, the same row order after a removal):
 * the first pass must change nothing, not even the order of ties or the last bit of a similarity.
 */
class BruteForceGallery {
  private readonly rows: Float32Array[] = [];
  private readonly ids: string[] = [];

  enroll(id: string, descriptor: Float32Array): void {
    const row = this.ids.indexOf(id);
    const copy = normaliseL2(Float32Array.from(descriptor));
    if (row >= 0) this.rows[row] = copy;
    else {
      this.ids.push(id);
      this.rows.push(copy);
    }
  }

  remove(id: string): void {
    const row = this.ids.indexOf(id);
    if (row < 0) return;
    this.ids[row] = this.ids[this.ids.length - 1];
    this.rows[row] = this.rows[this.rows.length - 1];
    this.ids.pop();
    this.rows.pop();
  }

  search(descriptor: Float32Array, k: number, minSimilarity = -1): { id: string; similarity: number }[] {
    const query = normaliseL2(Float32Array.from(descriptor));
    const top: { row: number; similarity: number }[] = [];
    let threshold = minSimilarity;
    this.rows.forEach((values, row) => {
      let [a, b, c, d] = [0, 0, 0, 0];
      for (let index = 0; index < DESCRIPTOR_LENGTH; index += 8) {
        a += query[index] * values[index] + query[index + 4] * values[index + 4];
        b += query[index + 1] * values[index + 1] + query[index + 5] * values[index + 5];
        c += query[index + 2] * values[index + 2] + query[index + 6] * values[index + 6];
        d += query[index + 3] * values[index + 3] + query[index + 7] * values[index + 7];
      }
      const similarity = a + b + c + d;
      if (similarity < threshold) return;
      if (top.length === k) top.pop();
      let position = top.length;
      while (position > 0 && top[position - 1].similarity < similarity) position--;
      top.splice(position, 0, { row, similarity });
      if (top.length === k) threshold = Math.max(minSimilarity, top[k - 1].similarity);
    });
    return top.map(({ row, similarity }) => ({ id: this.ids[row], similarity }));
  }
}

/** `base` moved by `size` in random directions, renormalised: near-ties at every scale down to one ulp. */
function nudged(base: Float32Array, size: number, random: () => number): Float32Array {
  return normaliseL2(base.map((value) => value + (random() - 0.5) * size));
}

describe('FaceGallery', () => {
  const random = seededRandom(7);
  const enrolled = Array.from({ length: 2000 }, (_, index) => ({
    id: `person-${index}`,
    descriptor: randomDescriptor(random),
  }));
  const gallery = new FaceGallery(16);
  for (const { id, descriptor } of enrolled) gallery.enroll(id, descriptor);

  it('returns the same top-k as sorting every similarity', () => {
    for (let trial = 0; trial < 5; trial++) {
      const query = randomDescriptor(random);
      const expected = enrolled
        .map(({ id, descriptor }) => ({ id, similarity: dot(query, descriptor) }))
        .sort((a, b) => b.similarity - a.similarity)
        .slice(0, 10);
      const found = gallery.search(query, 10);
      expect(found.map((match) => match.id)).toEqual(expected.map((match) => match.id));
      found.forEach((match, index) => expect(match.similarity).toBeCloseTo(expected[index].similarity, 5));
    }
  });

  it('finds an enrolled identity first with similarity 1, whatever the query scale', () => {
    const target = enrolled[1234];
    const scaled = target.descriptor.map((value) => value * 3.5);
    const [best] = gallery.search(scaled, 1);
    expect(best.id).toBe(target.id);
    expect(best.similarity).toBeCloseTo(1, 5);
  });

  it('leaves out matches below minSimilarity', () => {
    const query = enrolled[5].descriptor;
    const matches = gallery.search(query, 50, 0.5);
    expect(matches.map((match) => match.id)).toEqual([enrolled[5].id]);
  });

  it('replaces a re-enrolled identity and forgets a removed one, keeping the others findable', () => {
    const small = new FaceGallery(2);
    const [a, b, c] = [randomDescriptor(random), randomDescriptor(random), randomDescriptor(random)];
    small.enroll('a', a);
    small.enroll('b', b);
    small.enroll('c', c);
    small.enroll('a', c);
    expect(small.size).toBe(3);
    expect(
      small
        .search(c, 2)
        .map((match) => match.id)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(small.remove('a')).toBe(true);
    expect(small.remove('a')).toBe(false);
    expect(small.size).toBe(2);
    expect(small.search(b, 1)[0].id).toBe('b');
    expect(small.search(c, 1)[0].id).toBe('c');
  });

  it('enrolls packed descriptors in bulk like one by one, replacing known identities', () => {
    const bulk = new FaceGallery(4);
    const packed = new Float32Array(3 * DESCRIPTOR_LENGTH);
    enrolled.slice(0, 3).forEach(({ descriptor }, index) =>
      packed.set(
        descriptor.map((value) => value * 2),
        index * DESCRIPTOR_LENGTH,
      ),
    );
    bulk.enroll('person-1', enrolled[9].descriptor);
    bulk.enrollMany(['person-0', 'person-1', 'person-2'], packed);
    expect(bulk.size).toBe(3);
    for (const { id, descriptor } of enrolled.slice(0, 3)) {
      const [best] = bulk.search(descriptor, 1);
      expect(best.id).toBe(id);
      expect(best.similarity).toBeCloseTo(1, 5);
    }
    expect(() => bulk.enrollMany(['x'], new Float32Array(5))).toThrow(/5 values for 1 descriptors/);
  });

  it('answers an empty search and rejects descriptors of the wrong length', () => {
    expect(new FaceGallery().search(randomDescriptor(random), 3)).toEqual([]);
    expect(() => gallery.enroll('x', new Float32Array(64))).toThrow(/128/);
  });

  describe('int8 first pass', () => {
    /** Random rows, and clusters of near-duplicates (exact copies, one-ulp changes, 1e-7 to 1e-2 apart). */
    function nearTieEstate(seed: number): {
      rows: { id: string; descriptor: Float32Array }[];
      centres: Float32Array[];
    } {
      const random = seededRandom(seed);
      const rows: { id: string; descriptor: Float32Array }[] = [];
      const centres: Float32Array[] = [];
      for (let index = 0; index < 2000; index++) rows.push({ id: `r${index}`, descriptor: randomDescriptor(random) });
      for (let cluster = 0; cluster < 12; cluster++) {
        const centre = randomDescriptor(random);
        centres.push(centre);
        for (let copy = 0; copy < 5; copy++) rows.push({ id: `c${cluster}-same${copy}`, descriptor: centre.slice() });
        for (let index = 0; index < DESCRIPTOR_LENGTH; index += 16) {
          const ulp = centre.slice();
          ulp[index] = new Float32Array([ulp[index] * (1 + 2 ** -23)])[0];
          rows.push({ id: `c${cluster}-ulp${index}`, descriptor: ulp });
        }
        for (const size of [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2]) {
          for (let copy = 0; copy < 4; copy++)
            rows.push({ id: `c${cluster}-${size}-${copy}`, descriptor: nudged(centre, size, random) });
        }
      }
      // Shuffled, so the copies are spread over the rows and ties meet the running top-k in any order.
      for (let index = rows.length - 1; index > 0; index--) {
        const other = Math.floor(random() * (index + 1));
        [rows[index], rows[other]] = [rows[other], rows[index]];
      }
      return { rows, centres };
    }

    it('returns exactly what brute force returns, near-ties and ties included, while scoring few rows exactly', () => {
      const random = seededRandom(11);
      const { rows, centres } = nearTieEstate(11);
      const fast = new FaceGallery(64);
      const brute = new BruteForceGallery();
      for (const { id, descriptor } of rows) {
        fast.enroll(id, descriptor);
        brute.enroll(id, descriptor);
      }
      expect(fast.firstPass).toBe(true);
      const queries = [
        ...centres,
        ...centres.map((centre) => nudged(centre, 1e-6, random)),
        ...centres.map((centre) => nudged(centre, 1e-3, random)),
        ...centres.map((centre) => centre.map((value) => value * 7.25)),
        ...Array.from({ length: 10 }, () => randomDescriptor(random)),
        rows[17].descriptor,
      ];
      let scored = 0;
      let searches = 0;
      for (const [index, query] of queries.entries()) {
        // k past the number of rows (every row ranked) for a few queries: brute force is slow at it.
        for (const k of index < 3 ? [1, 3, 5, 10, 50, 5000] : [1, 3, 5, 10, 50]) {
          for (const minSimilarity of [-1, 0.5, 0.97]) {
            expect(fast.search(query, k, minSimilarity)).toStrictEqual(brute.search(query, k, minSimilarity));
            scored += fast.lastExactlyScored;
            searches++;
          }
        }
        // A minimum exactly equal to a row's score: that row is kept, by both.
        const [, second] = brute.search(query, 2);
        expect(fast.search(query, 10, second.similarity)).toStrictEqual(brute.search(query, 10, second.similarity));
      }
      // The first pass did prune: on average far fewer rows scored exactly than there are rows.
      expect(scored / searches).toBeLessThan(rows.length / 5);
    }, 60_000);

    it('keeps a row whose int8 score is almost two error bounds under a worse row', () => {
      // Rows built so that quantisation errs as far as it can, in opposite directions: every component of
      // A sits 0.49 of a step above an int8 step in the query's direction (its int8 score is low by almost
      // the whole bound); B has 90% of its components 0.51 of a step above (rounded up, its int8 score high)
      // and the rest 0.49 below. A's exact score is higher, B's int8 score higher by about 1.9 bounds.
      const random = seededRandom(5);
      const signs = Array.from({ length: DESCRIPTOR_LENGTH }, () => (random() < 0.5 ? -1 : 1));
      const steps = signs.map(() => 20 + Math.floor(random() * 80));
      const row = (fraction: (index: number) => number): Float32Array =>
        normaliseL2(
          Float32Array.from(signs, (sign, index) => sign * (index === 0 ? 127 : steps[index] + fraction(index))),
        );
      const a = row(() => 0.49);
      const b = row((index) => (index < 0.9 * DESCRIPTOR_LENGTH ? 0.51 : -0.49));
      const query = normaliseL2(Float32Array.from(signs));
      const fast = new FaceGallery();
      const brute = new BruteForceGallery();
      for (const [id, descriptor] of [
        ['b', b],
        ['a', a],
        ...Array.from({ length: 100 }, (_, index) => [`x${index}`, randomDescriptor(random)] as const),
      ] as const) {
        fast.enroll(id, descriptor);
        brute.enroll(id, descriptor);
      }
      expect(brute.search(query, 1)[0].id).toBe('a');
      for (const k of [1, 2, 3]) expect(fast.search(query, k)).toStrictEqual(brute.search(query, k));
      expect(fast.search(query, 1, 0.9)).toStrictEqual(brute.search(query, 1, 0.9));
    });

    it('stays exact through replacements and removals', () => {
      const random = seededRandom(12);
      const { rows, centres } = nearTieEstate(12);
      const fast = new FaceGallery(8);
      const brute = new BruteForceGallery();
      fast.enrollMany(
        rows.map((row) => row.id),
        Float32Array.from(rows.flatMap((row) => [...row.descriptor])),
      );
      rows.forEach(({ id, descriptor }) => brute.enroll(id, descriptor));
      for (let step = 0; step < 400; step++) {
        const { id } = rows[Math.floor(random() * rows.length)];
        if (random() < 0.5) {
          fast.remove(id);
          brute.remove(id);
        } else {
          const descriptor = nudged(centres[step % centres.length], 1e-5, random);
          fast.enroll(id, descriptor);
          brute.enroll(id, descriptor);
        }
      }
      expect(fast.size).toBe(brute.search(randomDescriptor(random), 100_000).length);
      for (const query of [...centres, randomDescriptor(random)]) {
        for (const k of [1, 5, 50]) expect(fast.search(query, k)).toStrictEqual(brute.search(query, k));
      }
    }, 30_000);

    it('falls back to scoring every row while a descriptor holds a value that is not finite', () => {
      const random = seededRandom(13);
      const fast = new FaceGallery();
      const brute = new BruteForceGallery();
      for (let index = 0; index < 200; index++) {
        const descriptor = randomDescriptor(random);
        fast.enroll(`p${index}`, descriptor);
        brute.enroll(`p${index}`, descriptor);
      }
      const broken = randomDescriptor(random);
      broken[3] = Number.POSITIVE_INFINITY;
      fast.enroll('broken', broken);
      brute.enroll('broken', broken);
      expect(fast.firstPass).toBe(false);
      const query = randomDescriptor(random);
      expect(fast.search(query, 5)).toStrictEqual(brute.search(query, 5));
      expect(fast.lastExactlyScored).toBe(201);
      fast.remove('broken');
      brute.remove('broken');
      expect(fast.firstPass).toBe(true);
      expect(fast.search(query, 5)).toStrictEqual(brute.search(query, 5));
      expect(fast.lastExactlyScored).toBeLessThan(201);
    });
  });
});
