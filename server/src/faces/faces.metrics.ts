import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { HubMetrics } from '../platform/metrics/metrics';

/** The faces module's metrics, in the hub's registry (/metrics). faces/s = rate(citywatch_faces_processed_total). */
@Injectable()
export class FacesMetrics {
  readonly processed: Counter<'outcome'>;
  readonly pending: Gauge;
  readonly stageSeconds: Histogram<'stage'>;
  readonly batchSize: Histogram;
  readonly hits: Counter<'category'>;
  readonly searchSeconds: Histogram;
  private readonly recent: number[] = [];

  constructor(metrics: HubMetrics) {
    const registers = [metrics.registry];
    this.processed = new Counter({
      name: 'citywatch_faces_processed_total',
      help: 'Face captures the recognition worker finished, by outcome (matched, unmatched, rejected, failed)',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.pending = new Gauge({
      name: 'citywatch_faces_queue_depth',
      help: 'Face captures stored and not yet recognised (the database work queue), sampled',
      registers,
    });
    this.stageSeconds = new Histogram({
      name: 'citywatch_faces_stage_seconds',
      help: 'Time per capture in each recognition stage (decode, detect, align, embed, match, store)',
      labelNames: ['stage'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    });
    this.batchSize = new Histogram({
      name: 'citywatch_faces_batch_size',
      help: 'Captures per recognition batch',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers,
    });
    this.hits = new Counter({
      name: 'citywatch_faces_watchlist_hits_total',
      help: 'Captures that hit a watchlist person, by category',
      labelNames: ['category'] as const,
      registers,
    });
    this.searchSeconds = new Histogram({
      name: 'citywatch_faces_search_seconds',
      help: 'Time of one search by face, including the photo',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  /** Counts finished captures for `facesPerSecond`. */
  finished(count: number, now = Date.now()): void {
    for (let index = 0; index < count; index++) this.recent.push(now);
    this.trim(now);
  }

  /** Captures finished per second over the last minute. */
  facesPerSecond(now = Date.now()): number {
    this.trim(now);
    return this.recent.length / 60;
  }

  private trim(now: number): void {
    let drop = 0;
    while (drop < this.recent.length && this.recent[drop] < now - 60_000) drop++;
    if (drop > 0) this.recent.splice(0, drop);
  }
}
