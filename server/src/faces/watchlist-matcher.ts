import type { WatchlistCategory } from '@citywatch/protocol';
import { FaceGallery } from './gallery';

/** What matching needs to know of a watchlist person. */
export interface WatchlistTarget {
  id: string;
  name: string;
  category: WatchlistCategory;
  priority: number;
  reason: string;
  enabled: boolean;
  /** ms since the epoch; validUntil null = open-ended. */
  validFrom: number;
  validUntil: number | null;
  /** Empty = every face checkpoint. */
  deviceIds: ReadonlySet<string>;
}

export interface MatchThresholds {
  /** Below this cosine similarity a face is unknown: no candidate at all. */
  unknown: number;
  /** From this similarity a candidate of the category is a hit (raises an alert). */
  byCategory: Record<WatchlistCategory, number>;
}

export interface WatchlistCandidate {
  person: WatchlistTarget;
  photoId: string;
  similarity: number;
  /** 1 = the most similar person among those that apply at this device and time. */
  rank: number;
  /** At or above its category's threshold. */
  hit: boolean;
}

/** Photos looked at per search: several photos a person, so more than the candidates wanted. */
const SEARCH_DEPTH = 50;

/**
 * The active watchlist gallery in memory: one descriptor per enrolled photo (FaceGallery), the people
 * they belong to, and the rules that turn similarities into hits: enabled, inside the validity window,
 * the device in scope, similarity at or above the category's threshold. Kept in step with the database
 * by WatchlistService.
 */
export class WatchlistMatcher {
  readonly gallery = new FaceGallery();
  private readonly people = new Map<string, WatchlistTarget>();
  private readonly photosOf = new Map<string, Set<string>>();
  private readonly personOfPhoto = new Map<string, string>();

  constructor(private readonly thresholds: MatchThresholds) {}

  get peopleCount(): number {
    return this.people.size;
  }

  get photoCount(): number {
    return this.gallery.size;
  }

  /** Adds or replaces a person with exactly these photos. */
  upsert(person: WatchlistTarget, photos: readonly { id: string; descriptor: Float32Array }[]): void {
    this.remove(person.id);
    this.people.set(person.id, person);
    const ids = new Set<string>();
    for (const photo of photos) {
      this.gallery.enroll(`p${photo.id}`, photo.descriptor);
      this.personOfPhoto.set(photo.id, person.id);
      ids.add(photo.id);
    }
    this.photosOf.set(person.id, ids);
  }

  remove(personId: string): void {
    for (const photoId of this.photosOf.get(personId) ?? []) {
      this.gallery.remove(`p${photoId}`);
      this.personOfPhoto.delete(photoId);
    }
    this.photosOf.delete(personId);
    this.people.delete(personId);
  }

  /**
   * The people a face may be, best first, one entry per person (its most similar photo), among those
   * that apply at this device and time and are at least `unknown` similar. Empty = unknown face.
   */
  match(descriptor: Float32Array, deviceId: string, at: number, limit = 5): WatchlistCandidate[] {
    const candidates: WatchlistCandidate[] = [];
    const seen = new Set<string>();
    for (const found of this.gallery.search(descriptor, SEARCH_DEPTH, this.thresholds.unknown)) {
      const photoId = found.id.slice(1);
      const personId = this.personOfPhoto.get(photoId);
      if (personId === undefined || seen.has(personId)) continue;
      const person = this.people.get(personId)!;
      if (!applies(person, deviceId, at)) continue;
      seen.add(personId);
      candidates.push({
        person,
        photoId,
        similarity: found.similarity,
        rank: candidates.length + 1,
        hit: found.similarity >= this.thresholds.byCategory[person.category],
      });
      if (candidates.length === limit) break;
    }
    return candidates;
  }
}

export function applies(person: WatchlistTarget, deviceId: string, at: number): boolean {
  if (!person.enabled) return false;
  if (at < person.validFrom || (person.validUntil !== null && at >= person.validUntil)) return false;
  return person.deviceIds.size === 0 || person.deviceIds.has(deviceId);
}

/** Parses FACE_MATCH_THRESHOLDS (`wanted=0.97,missing=0.96,...`); categories left out take `fallback`. */
export function parseCategoryThresholds(text: string, fallback: number): Record<WatchlistCategory, number> {
  const thresholds: Record<WatchlistCategory, number> = {
    wanted: fallback,
    missing: fallback,
    at_risk: fallback,
    vip: fallback,
    other: fallback,
  };
  for (const part of text.split(',').filter(Boolean)) {
    const [category, value] = part.split('=');
    if (!(category in thresholds) || !Number.isFinite(Number(value))) {
      throw new Error(`FACE_MATCH_THRESHOLDS: bad entry ${part}`);
    }
    thresholds[category as WatchlistCategory] = Number(value);
  }
  return thresholds;
}
