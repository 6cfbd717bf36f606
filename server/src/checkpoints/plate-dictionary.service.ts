import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { LivePassage } from '@citywatch/protocol';
import { HubEvents } from '../common/hub-events';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { MicroBatch } from './micro-batch';
import { LAST_SEEN_SLACK_MS, PlatesRepository } from './plates.repository';

const RECONCILE_INTERVAL_MS = 5 * 60_000;
const RECONCILE_WINDOW_MS = 15 * 60_000;
const CACHE_LIMIT = 500_000;

/**
 * Keeps the plate dictionary (what wildcard and fuzzy searches resolve against) in step with the passages:
 * every stored passage's plate is recorded (a plate's row is touched at most once an hour); a start-up
 * backfill fills an empty dictionary from existing passages; every few minutes the last quarter hour of
 * passages is folded in again, which catches plates whose 'passage.stored' event was lost in a crash.
 */
@Injectable()
export class PlateDictionaryService implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly batch: MicroBatch<LivePassage>;
  /** Plate -> the last_seen this replica last wrote, ms. */
  private readonly written = new Map<string, number>();
  private unsubscribe?: () => void;
  private timer?: NodeJS.Timeout;
  private backfilling?: Promise<void>;

  constructor(
    private readonly plates: PlatesRepository,
    private readonly events: HubEvents,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.batch = new MicroBatch(
      (items) => this.record(items),
      (error) => this.logger.warn({ err: error }, 'plate dictionary update failed; the reconciliation will catch up'),
    );
  }

  onModuleInit(): void {
    this.unsubscribe = this.events.on('passage.stored', (passage) => this.batch.push(passage));
  }

  onApplicationBootstrap(): void {
    this.backfilling = this.backfillIfEmpty().catch((error: Error) =>
      this.logger.warn({ err: error }, 'plate dictionary backfill failed'),
    );
    this.timer = setInterval(() => void this.reconcile(), RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    await this.batch.idle();
    await this.backfilling;
  }

  /** Resolves when every passage stored so far is in the dictionary. */
  idle(): Promise<void> {
    return this.batch.idle();
  }

  private async record(passages: LivePassage[]): Promise<void> {
    const sightings: { plateNo: string; at: string }[] = [];
    for (const passage of passages) {
      const at = Date.parse(passage.passTime);
      const written = this.written.get(passage.plateNo);
      if (written !== undefined && at <= written + LAST_SEEN_SLACK_MS && at >= written - LAST_SEEN_SLACK_MS) continue;
      sightings.push({ plateNo: passage.plateNo, at: passage.passTime });
    }
    if (sightings.length === 0) return;
    await this.plates.record(sightings);
    for (const s of sightings) {
      this.written.set(s.plateNo, Math.max(this.written.get(s.plateNo) ?? 0, Date.parse(s.at)));
    }
    if (this.written.size > CACHE_LIMIT) this.written.clear();
  }

  private async backfillIfEmpty(): Promise<void> {
    if (!(await this.plates.isEmpty()) || !(await this.plates.passagesExist())) return;
    this.logger.info('plate dictionary empty: building it from the stored passages');
    const plates = await this.plates.backfill();
    this.logger.info({ plates }, 'plate dictionary built');
  }

  private async reconcile(): Promise<void> {
    try {
      await this.plates.backfill(new Date(Date.now() - RECONCILE_WINDOW_MS).toISOString());
    } catch (error) {
      this.logger.warn({ err: error }, 'plate dictionary reconciliation failed; will try again');
    }
  }
}
