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
});
