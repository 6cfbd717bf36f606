import { Injectable } from '@nestjs/common';
import type { FacePipelineStatus } from '@citywatch/protocol';
import { FaceCaptureWorker } from './face-capture-worker.service';
import { FaceCapturesRepository } from './face-captures.repository';
import { FaceRecognitionService } from './face-recognition.service';
import { FaceSearchService } from './face-search.service';
import { FacesMetrics } from './faces.metrics';
import { WatchlistService } from './watchlist.service';

/** The faces module's face to the rest of the hub: the pipeline's state, and draining the queue. */
@Injectable()
export class FacesService {
  constructor(
    private readonly recognition: FaceRecognitionService,
    private readonly worker: FaceCaptureWorker,
    private readonly captures: FaceCapturesRepository,
    private readonly watchlist: WatchlistService,
    private readonly search: FaceSearchService,
    private readonly metrics: FacesMetrics,
  ) {}

  async status(): Promise<FacePipelineStatus> {
    const backlog = await this.captures.backlog();
    this.metrics.pending.set(backlog.pending);
    return {
      enabled: this.recognition.enabled,
      pending: backlog.pending,
      oldestPendingS: backlog.oldestPendingS === null ? null : Math.round(backlog.oldestPendingS * 10) / 10,
      processed: this.worker.processed,
      facesPerSecond: Math.round(this.metrics.facesPerSecond() * 100) / 100,
      gallery: { people: this.watchlist.matcher.peopleCount, photos: this.watchlist.matcher.photoCount },
      searchIndex: {
        days: this.search.index.loadedDays.length,
        captures: this.search.index.captures,
        megabytes: Math.round(this.search.index.bytes / 1e5) / 10,
      },
    };
  }

  /** Recognises every stored capture not processed yet (tests, benchmarks). */
  drain(): Promise<number> {
    return this.worker.drain();
  }
}
