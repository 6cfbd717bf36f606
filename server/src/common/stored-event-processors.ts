import { Injectable } from '@nestjs/common';
import type { LivePassage } from '@citywatch/protocol';
import type { StoredIncident } from './hub-events';

/** The events whose processing is part of taking them in, and what their processors are handed. */
export interface StoredEventKinds {
  passage: LivePassage;
  incident: StoredIncident;
}

export interface StoredBatch<T> {
  items: readonly T[];
  /**
   * The events were already stored: a redelivery, perhaps of a message whose processing a hub that died
   * never finished. Processors handle them as any other, and must be idempotent for it.
   */
  replayed: boolean;
}

export type StoredEventProcessor<T> = (batch: StoredBatch<T>) => Promise<void>;

/**
 * Work done with stored events before the device's message is acknowledged: the alerts derived from them.
 * Ingest awaits it, so a hub that dies between the commit and an alert gets the message again from the
 * broker (or the device), finds the event stored, and hands it over again as `replayed`. Errors reach
 * ingest: one that says the database is away makes it retry the batch; others are logged there.
 */
@Injectable()
export class StoredEventProcessors {
  private readonly processors: { [K in keyof StoredEventKinds]: StoredEventProcessor<StoredEventKinds[K]>[] } = {
    passage: [],
    incident: [],
  };

  register<K extends keyof StoredEventKinds>(
    kind: K,
    processor: StoredEventProcessor<StoredEventKinds[K]>,
  ): () => void {
    const list = this.processors[kind] as StoredEventProcessor<StoredEventKinds[K]>[];
    list.push(processor);
    return () => {
      const at = list.indexOf(processor);
      if (at >= 0) list.splice(at, 1);
    };
  }

  async process<K extends keyof StoredEventKinds>(kind: K, batch: StoredBatch<StoredEventKinds[K]>): Promise<void> {
    if (batch.items.length === 0) return;
    const list = this.processors[kind] as StoredEventProcessor<StoredEventKinds[K]>[];
    const outcomes = await Promise.allSettled(list.map((processor) => processor(batch)));
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
