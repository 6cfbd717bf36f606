import type { HotlistEntry } from '@citywatch/protocol';
import { compilePattern, confusionKey, deletions, editDistance, isPattern } from './plate-matching';

/** A hotlist entry as the index keeps it: times as numbers, scope as a set. */
export interface IndexedEntry {
  entry: HotlistEntry;
  validFrom: number;
  validUntil: number;
  scope: Set<string> | null;
  regex?: RegExp;
}

export interface HotlistHit {
  entry: HotlistEntry;
  /** 0 for exact and pattern hits; the edit distance for fuzzy ones. */
  distance: number;
  fuzzy: boolean;
}

/**
 * The vehicle hotlist in memory, checked against every stored passage:
 * - exact plates in a map;
 * - fuzzy: each exact plate's confusion-normalised key, and the keys with one character left out
 *   (a read with one character missing or extra, or with confusions, lands on one of them);
 * - patterns indexed by one of their fixed two-character runs, so a read only tests the few patterns
 *   that share one of its pairs of characters (patterns without such a run are tested always).
 */
export class HotlistIndex {
  private readonly byId = new Map<string, IndexedEntry>();
  private readonly exact = new Map<string, IndexedEntry[]>();
  private readonly fuzzyFull = new Map<string, IndexedEntry[]>();
  private readonly fuzzyDeleted = new Map<string, IndexedEntry[]>();
  private readonly patternsByPair = new Map<string, IndexedEntry[]>();
  private readonly patternsAlways: IndexedEntry[] = [];
  /** Which bucket each pattern entry went into, for removal. */
  private readonly patternBucket = new Map<string, string | null>();

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Adds or replaces an entry. */
  upsert(entry: HotlistEntry): void {
    this.remove(entry.id);
    const indexed: IndexedEntry = {
      entry,
      validFrom: Date.parse(entry.validFrom),
      validUntil: entry.validUntil ? Date.parse(entry.validUntil) : Number.POSITIVE_INFINITY,
      scope: entry.tollgateIds.length > 0 ? new Set(entry.tollgateIds) : null,
    };
    this.byId.set(entry.id, indexed);
    if (isPattern(entry.plate)) {
      const compiled = compilePattern(entry.plate);
      indexed.regex = compiled.regex;
      const pairs = compiled.literalRuns.flatMap((run) => pairsOf(run));
      if (pairs.length === 0) {
        this.patternsAlways.push(indexed);
        this.patternBucket.set(entry.id, null);
      } else {
        // The least crowded pair keeps every bucket short.
        const pair = pairs.reduce((best, p) =>
          (this.patternsByPair.get(p)?.length ?? 0) < (this.patternsByPair.get(best)?.length ?? 0) ? p : best,
        );
        push(this.patternsByPair, pair, indexed);
        this.patternBucket.set(entry.id, pair);
      }
      return;
    }
    push(this.exact, entry.plate, indexed);
    if (!entry.fuzzy) return;
    const key = confusionKey(entry.plate);
    push(this.fuzzyFull, key, indexed);
    for (const deleted of deletions(key)) push(this.fuzzyDeleted, deleted, indexed);
  }

  remove(id: string): void {
    const indexed = this.byId.get(id);
    if (!indexed) return;
    this.byId.delete(id);
    const { entry } = indexed;
    if (indexed.regex) {
      const bucket = this.patternBucket.get(id);
      this.patternBucket.delete(id);
      if (bucket === null || bucket === undefined) removeFrom(this.patternsAlways, indexed);
      else pull(this.patternsByPair, bucket, indexed);
      return;
    }
    pull(this.exact, entry.plate, indexed);
    if (!entry.fuzzy) return;
    const key = confusionKey(entry.plate);
    pull(this.fuzzyFull, key, indexed);
    for (const deleted of deletions(key)) pull(this.fuzzyDeleted, deleted, indexed);
  }

  clear(): void {
    for (const id of [...this.byId.keys()]) this.remove(id);
  }

  /** Entries a read plate hits at a tollgate at a time (ms); fuzzy hits only when `fuzzy` is on. */
  match(plate: string, tollgateId: string, at: number, fuzzy = true): HotlistHit[] {
    const hits: HotlistHit[] = [];
    const seen = new Set<string>();
    const applies = (indexed: IndexedEntry) =>
      !seen.has(indexed.entry.id) &&
      at >= indexed.validFrom &&
      at < indexed.validUntil &&
      (indexed.scope === null || indexed.scope.has(tollgateId));
    for (const indexed of this.exact.get(plate) ?? []) {
      if (!applies(indexed)) continue;
      seen.add(indexed.entry.id);
      hits.push({ entry: indexed.entry, distance: 0, fuzzy: false });
    }
    const tryPattern = (indexed: IndexedEntry) => {
      if (!applies(indexed) || !indexed.regex!.test(plate)) return;
      seen.add(indexed.entry.id);
      hits.push({ entry: indexed.entry, distance: 0, fuzzy: false });
    };
    if (this.patternsByPair.size > 0) {
      const chars = [...plate];
      for (let i = 0; i + 1 < chars.length; i++) {
        for (const indexed of this.patternsByPair.get(chars[i]! + chars[i + 1]!) ?? []) tryPattern(indexed);
      }
    }
    for (const indexed of this.patternsAlways) tryPattern(indexed);
    if (!fuzzy || this.fuzzyFull.size === 0) return hits;
    const key = confusionKey(plate);
    const candidates: IndexedEntry[] = [];
    // Confusions only; the read has one character more; the read has one character fewer.
    candidates.push(...(this.fuzzyFull.get(key) ?? []));
    for (const deleted of deletions(key)) candidates.push(...(this.fuzzyFull.get(deleted) ?? []));
    candidates.push(...(this.fuzzyDeleted.get(key) ?? []));
    for (const indexed of candidates) {
      if (!applies(indexed)) continue;
      seen.add(indexed.entry.id);
      hits.push({ entry: indexed.entry, distance: editDistance(plate, indexed.entry.plate), fuzzy: true });
    }
    return hits;
  }
}

function pairsOf(run: string): string[] {
  const chars = [...run];
  const pairs: string[] = [];
  for (let i = 0; i + 1 < chars.length; i++) pairs.push(chars[i]! + chars[i + 1]!);
  return pairs;
}

function push<K>(map: Map<K, IndexedEntry[]>, key: K, value: IndexedEntry): void {
  const bucket = map.get(key);
  if (bucket) bucket.push(value);
  else map.set(key, [value]);
}

function pull<K>(map: Map<K, IndexedEntry[]>, key: K, value: IndexedEntry): void {
  const bucket = map.get(key);
  if (!bucket) return;
  removeFrom(bucket, value);
  if (bucket.length === 0) map.delete(key);
}

function removeFrom(bucket: IndexedEntry[], value: IndexedEntry): void {
  const at = bucket.indexOf(value);
  if (at >= 0) bucket.splice(at, 1);
}
