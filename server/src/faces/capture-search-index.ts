import { DESCRIPTOR_LENGTH } from './face-embedder';
import { quantiseDescriptor } from './face-descriptor-codec';

const DAY_MS = 86_400_000;

export interface IndexedCapture {
  eventId: string;
  deviceId: string;
  /** ms since the epoch. */
  shotTime: number;
  descriptor: Float32Array;
}

export interface CaptureSearchOptions {
  from: number;
  to: number;
  /** Undefined = every device. */
  deviceIds?: ReadonlySet<string>;
  limit: number;
  minSimilarity: number;
}

export interface CaptureSearchMatch {
  eventId: string;
  deviceId: string;
  shotTime: number;
  similarity: number;
}

/** One day of processed captures: int8 descriptors packed row after row, with 1/|q| per row. */
class DayBucket {
  size = 0;
  descriptors: Int8Array;
  inverseNorms: Float32Array;
  times: Float64Array;
  devices: Int32Array;
  eventIds: string[] = [];
  readonly seen = new Set<string>();
  lastUsed = 0;

  constructor(
    readonly day: number,
    capacity = 4096,
  ) {
    this.descriptors = new Int8Array(capacity * DESCRIPTOR_LENGTH);
    this.inverseNorms = new Float32Array(capacity);
    this.times = new Float64Array(capacity);
    this.devices = new Int32Array(capacity);
  }

  get bytes(): number {
    return (
      this.descriptors.byteLength +
      this.inverseNorms.byteLength +
      this.times.byteLength +
      this.devices.byteLength +
      this.size * 100
    );
  }

  add(capture: IndexedCapture, device: number): void {
    if (this.seen.has(capture.eventId)) return;
    this.seen.add(capture.eventId);
    if (this.size === this.times.length) this.grow();
    const row = this.size++;
    const offset = row * DESCRIPTOR_LENGTH;
    quantiseDescriptor(capture.descriptor, this.descriptors, offset);
    let sum = 0;
    for (let index = 0; index < DESCRIPTOR_LENGTH; index++) sum += this.descriptors[offset + index] ** 2;
    this.inverseNorms[row] = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    this.times[row] = capture.shotTime;
    this.devices[row] = device;
    this.eventIds.push(capture.eventId);
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const descriptors = new Int8Array(capacity * DESCRIPTOR_LENGTH);
    descriptors.set(this.descriptors);
    this.descriptors = descriptors;
    const inverseNorms = new Float32Array(capacity);
    inverseNorms.set(this.inverseNorms);
    this.inverseNorms = inverseNorms;
    const times = new Float64Array(capacity);
    times.set(this.times);
    this.times = times;
    const devices = new Int32Array(capacity);
    devices.set(this.devices);
    this.devices = devices;
  }
}

/**
 * Stored capture descriptors in memory for search by face, by day (UTC), quantised to int8 (128 bytes a
 * capture, about 230 bytes with its id and time). A day is loaded from the database the first time a
 * search needs it and kept (least recently used first out, at most `maxDays`); captures processed
 * afterwards are added as they are committed. A search is a brute-force dot product over the days of
 * its window, filtered by time and device.
 */
export class CaptureSearchIndex {
  private readonly buckets = new Map<number, DayBucket>();
  private readonly deviceIndex = new Map<string, number>();
  private readonly deviceNames: string[] = [];

  constructor(private readonly maxDays: number) {}

  static dayOf(time: number): number {
    return Math.floor(time / DAY_MS) * DAY_MS;
  }

  /** The UTC days a window touches, oldest first. */
  static daysOf(from: number, to: number): number[] {
    const days: number[] = [];
    for (let day = CaptureSearchIndex.dayOf(from); day <= to; day += DAY_MS) days.push(day);
    return days;
  }

  has(day: number): boolean {
    return this.buckets.has(day);
  }

  get loadedDays(): number[] {
    return [...this.buckets.keys()].sort((a, b) => a - b);
  }

  get captures(): number {
    let total = 0;
    for (const bucket of this.buckets.values()) total += bucket.size;
    return total;
  }

  get bytes(): number {
    let total = 0;
    for (const bucket of this.buckets.values()) total += bucket.bytes;
    return total;
  }

  /** Starts a day as loaded (what `load` found, or an empty day that began while the hub was watching). */
  open(day: number, captures: Iterable<IndexedCapture> = []): void {
    const bucket = this.buckets.get(day) ?? new DayBucket(day);
    this.buckets.set(day, bucket);
    bucket.lastUsed = Date.now();
    for (const capture of captures) bucket.add(capture, this.device(capture.deviceId));
    this.evict(day);
  }

  /** Adds a newly processed capture to its day, if that day is loaded (otherwise a load will find it). */
  add(capture: IndexedCapture): boolean {
    const bucket = this.buckets.get(CaptureSearchIndex.dayOf(capture.shotTime));
    if (!bucket) return false;
    bucket.add(capture, this.device(capture.deviceId));
    return true;
  }

  /** Drops days that end before `before` (past retention). */
  dropBefore(before: number): void {
    for (const day of this.buckets.keys()) if (day + DAY_MS <= before) this.buckets.delete(day);
  }

  /** The best `limit` captures in the loaded days of the window; returns them and how many were compared. */
  search(query: Float32Array, options: CaptureSearchOptions): { matches: CaptureSearchMatch[]; searched: number } {
    const { from, to, limit, minSimilarity } = options;
    let allowed: Uint8Array | undefined;
    if (options.deviceIds) {
      allowed = new Uint8Array(this.deviceNames.length);
      for (const id of options.deviceIds) {
        const index = this.deviceIndex.get(id);
        if (index !== undefined) allowed[index] = 1;
      }
    }
    const q = Float32Array.from(query);
    const length = DESCRIPTOR_LENGTH;
    const top: { bucket: DayBucket; row: number; similarity: number }[] = [];
    let threshold = minSimilarity;
    let searched = 0;
    for (const day of CaptureSearchIndex.daysOf(from, to)) {
      const bucket = this.buckets.get(day);
      if (!bucket) continue;
      bucket.lastUsed = Date.now();
      const { descriptors, inverseNorms, times, devices, size } = bucket;
      for (let row = 0; row < size; row++) {
        const time = times[row];
        if (time < from || time > to) continue;
        if (allowed && allowed[devices[row]] === 0) continue;
        searched++;
        const offset = row * length;
        let a = 0;
        let b = 0;
        let c = 0;
        let d = 0;
        for (let index = 0; index < length; index += 4) {
          a += q[index] * descriptors[offset + index];
          b += q[index + 1] * descriptors[offset + index + 1];
          c += q[index + 2] * descriptors[offset + index + 2];
          d += q[index + 3] * descriptors[offset + index + 3];
        }
        const similarity = (a + b + c + d) * inverseNorms[row];
        if (similarity < threshold) continue;
        let position = top.length < limit ? top.length : limit - 1;
        if (top.length < limit) top.push({ bucket, row, similarity });
        while (position > 0 && top[position - 1].similarity < similarity) {
          top[position] = top[position - 1];
          position--;
        }
        top[position] = { bucket, row, similarity };
        if (top.length === limit) threshold = Math.max(minSimilarity, top[limit - 1].similarity);
      }
    }
    return {
      searched,
      matches: top.map(({ bucket, row, similarity }) => ({
        eventId: bucket.eventIds[row],
        deviceId: this.deviceNames[bucket.devices[row]],
        shotTime: bucket.times[row],
        similarity,
      })),
    };
  }

  private device(id: string): number {
    let index = this.deviceIndex.get(id);
    if (index === undefined) {
      index = this.deviceNames.length;
      this.deviceNames.push(id);
      this.deviceIndex.set(id, index);
    }
    return index;
  }

  /** Keeps at most maxDays, never the one just opened; least recently used out first. */
  private evict(keep: number): void {
    while (this.buckets.size > this.maxDays) {
      let oldest: DayBucket | undefined;
      for (const bucket of this.buckets.values()) {
        if (bucket.day !== keep && (!oldest || bucket.lastUsed < oldest.lastUsed)) oldest = bucket;
      }
      if (!oldest) return;
      this.buckets.delete(oldest.day);
    }
  }
}
