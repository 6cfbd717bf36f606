import type { PassagesRepository } from './passages.repository';

/** One read of a plate, as the cloned-plate and frequent-passage rules need it. */
export interface Sighting {
  plateNo: string;
  eventId: string;
  /** Pass time, ms. */
  at: number;
  tollgateId: string;
  plateConfidence: number;
}

/**
 * Recent sightings per plate. `sightings` records a batch of new passages (in the order they were stored)
 * and answers, for each, the other sightings of its plate within `horizonMs` of it that the rules compare
 * it with: of the plate's `perPlate` most recent sightings, so that the work per passage stays bounded
 * whatever the traffic (a plate a broken camera reads on every vehicle, a bus looping all day).
 */
export interface PlateHistory {
  sightings(batch: readonly Sighting[], horizonMs: number, perPlate: number): Promise<Sighting[][]>;
}

/**
 * This replica's memory: a bounded window per plate (at most `perPlate` sightings, at most `plates` plates,
 * the least recently seen plate forgotten first). Exact on one replica; with several replicas sharing
 * the stream each sees only the passages it stored, so use DatabasePlateHistory there.
 */
export class MemoryPlateHistory implements PlateHistory {
  private readonly windows = new Map<string, Sighting[]>();
  /** Sightings held across all plates. */
  private held = 0;

  constructor(
    private readonly plates = 200_000,
    private readonly perPlate = 1_024,
    /** Bound on memory whatever the traffic: about 150 bytes a sighting. */
    private readonly maxSightings = 300_000,
  ) {}

  get size(): number {
    return this.windows.size;
  }

  get sightingsHeld(): number {
    return this.held;
  }

  async sightings(batch: readonly Sighting[], horizonMs: number, perPlate: number): Promise<Sighting[][]> {
    return batch.map((sighting) => this.add(sighting, horizonMs, perPlate));
  }

  private add(sighting: Sighting, horizonMs: number, perPlate: number): Sighting[] {
    // A plate's window is kept sorted by pass time; this runs for every passage, so it loops, not filters.
    const window = this.windows.get(sighting.plateNo) ?? [];
    this.windows.delete(sighting.plateNo);
    this.held -= window.length;
    // Forget what no later passage can be compared with (late passages may still arrive, so keep a margin).
    const newest = Math.max(sighting.at, window.length > 0 ? window[window.length - 1]!.at : 0);
    let stale = 0;
    while (stale < window.length && window[stale]!.at <= newest - 2 * horizonMs) stale++;
    if (stale > 0) window.splice(0, stale);
    const others: Sighting[] = [];
    let known = false;
    for (let i = 0; i < window.length; i++) {
      const seen = window[i]!;
      if (seen.eventId === sighting.eventId) known = true;
      else if (i >= window.length - perPlate && Math.abs(seen.at - sighting.at) < horizonMs) others.push(seen);
    }
    if (!known) {
      let at = window.length;
      while (at > 0 && window[at - 1]!.at > sighting.at) at--;
      window.splice(at, 0, sighting);
    }
    if (window.length > this.perPlate) window.splice(0, window.length - this.perPlate);
    this.windows.set(sighting.plateNo, window);
    this.held += window.length;
    if (this.windows.size > this.plates || this.held > this.maxSightings) this.forget();
    return others;
  }

  /**
   * Forgets the least recently seen plates first (a Map iterates in insertion order), down to 95 % of the
   * bounds at once: a Map's first live entry sits behind every entry deleted before it, so evicting one
   * plate per passage would walk those again and again.
   */
  private forget(): void {
    const plates = Math.floor(this.plates * 0.95);
    const sightings = Math.floor(this.maxSightings * 0.95);
    for (const [plate, window] of this.windows) {
      if ((this.windows.size <= plates && this.held <= sightings) || this.windows.size === 1) break;
      this.held -= window.length;
      this.windows.delete(plate);
    }
  }
}

/**
 * The database as the window: one query per batch through the (plate_no, pass_time) index, so every
 * replica sees the passages the others stored. Of two passages of one plate stored at the same moment
 * by two replicas, the one whose replica queries last sees the other (its query follows both commits).
 */
export class DatabasePlateHistory implements PlateHistory {
  constructor(private readonly passages: Pick<PassagesRepository, 'recentOfPlates'>) {}

  async sightings(batch: readonly Sighting[], horizonMs: number, perPlate: number): Promise<Sighting[][]> {
    if (batch.length === 0) return [];
    const since = Math.min(...batch.map((s) => s.at)) - horizonMs;
    const rows = await this.passages.recentOfPlates(
      [...new Set(batch.map((s) => s.plateNo))],
      new Date(since).toISOString(),
      perPlate,
    );
    const byPlate = new Map<string, Sighting[]>();
    for (const row of rows) {
      const list = byPlate.get(row.plateNo) ?? [];
      list.push({ ...row, at: row.passTime });
      byPlate.set(row.plateNo, list);
    }
    const inBatch = new Set(batch.map((s) => s.eventId));
    const earlierInBatch = new Set<string>();
    return batch.map((sighting) => {
      const others = (byPlate.get(sighting.plateNo) ?? []).filter(
        (s) =>
          s.eventId !== sighting.eventId &&
          Math.abs(s.at - sighting.at) < horizonMs &&
          // Passages later in this batch are compared when their own turn comes, as in memory.
          (!inBatch.has(s.eventId) || earlierInBatch.has(s.eventId)),
      );
      earlierInBatch.add(sighting.eventId);
      return others;
    });
  }
}
