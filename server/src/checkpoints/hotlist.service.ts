import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { HotlistEntry, HotlistEntryBody, HotlistListQuery, HotlistPage, SessionUser } from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { HotlistIndex, type HotlistHit } from './hotlist-index';
import { HotlistRepository, type HotlistWrite } from './hotlist.repository';
import { PlateInputError, checkPlate, compilePattern, isPattern } from './plate-matching';
import { TollgatesService } from './tollgates.service';

/** Changes are re-read with this overlap, so a write that committed late is never missed. */
const SYNC_OVERLAP_MS = 10_000;

/**
 * The vehicle hotlist (布控): CRUD, and the in-memory index every passage is checked against. The index
 * follows the database: writes through this replica apply at once, others' within CHECKPOINT_SYNC_INTERVAL_MS.
 */
@Injectable()
export class HotlistService implements OnModuleInit, OnModuleDestroy {
  readonly index = new HotlistIndex();
  private readonly versions = new Map<string, number>();
  private syncedUpTo = 0;
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;

  constructor(
    private readonly repository: HotlistRepository,
    private readonly tollgates: TollgatesService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(AUDIT_LOG) private readonly audit?: AuditLog,
  ) {}

  async onModuleInit(): Promise<void> {
    const { entries, newest } = await this.repository.all();
    for (const entry of entries) this.apply(entry, false);
    this.syncedUpTo = newest;
    this.logger.info({ entries: this.index.size }, 'vehicle hotlist loaded');
    this.timer = setInterval(() => void this.sync(), this.config.CHECKPOINT_SYNC_INTERVAL_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.syncing;
  }

  /** Picks up changes made through other replicas. */
  sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const changes = await this.repository.changedSince(this.syncedUpTo - SYNC_OVERLAP_MS);
        for (const change of changes) {
          this.apply(change.entry, change.deleted);
          this.syncedUpTo = Math.max(this.syncedUpTo, change.updatedAt);
        }
      } catch (error) {
        this.logger.warn({ err: error }, 'hotlist sync failed; will try again');
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }

  /** Entries a read plate hits at a tollgate and time (ms). */
  check(plate: string, tollgateId: string, at: number, fuzzy: boolean): HotlistHit[] {
    return this.index.match(plate, tollgateId, at, fuzzy);
  }

  async create(body: HotlistEntryBody, user: SessionUser | undefined, ip: string): Promise<HotlistEntry> {
    const write = this.toWrite(body);
    await this.checkScope(write.tollgateIds);
    const entry = await this.repository.create(write, user?.username ?? null);
    this.apply(entry, false);
    await this.record(user, ip, 'checkpoints.hotlist.create', entry.id, { ...body });
    this.logger.info({ hotlistEntryId: entry.id, plate: entry.plate, user: user?.username }, 'hotlist entry added');
    return entry;
  }

  async update(id: string, body: HotlistEntryBody, user: SessionUser | undefined, ip: string): Promise<HotlistEntry> {
    const write = this.toWrite(body);
    await this.checkScope(write.tollgateIds);
    const entry = await this.repository.update(id, write);
    if (!entry) throw new NotFoundException(`no hotlist entry ${id}`);
    this.apply(entry, false);
    await this.record(user, ip, 'checkpoints.hotlist.update', id, { ...body });
    return entry;
  }

  async remove(id: string, user: SessionUser | undefined, ip: string): Promise<void> {
    if (!(await this.repository.remove(id))) throw new NotFoundException(`no hotlist entry ${id}`);
    this.index.remove(id);
    this.versions.delete(id);
    await this.record(user, ip, 'checkpoints.hotlist.delete', id, {});
  }

  async get(id: string): Promise<HotlistEntry> {
    const entry = await this.repository.find(id);
    if (!entry) throw new NotFoundException(`no hotlist entry ${id}`);
    return entry;
  }

  async list(query: HotlistListQuery): Promise<HotlistPage> {
    const items = await this.repository.list({
      active: query.active,
      categories: query.category?.split(','),
      after: query.after,
      limit: query.limit,
    });
    return { items, nextAfter: items.length === query.limit ? items[items.length - 1]!.id : null };
  }

  private apply(entry: HotlistEntry, deleted: boolean): void {
    const version = Date.parse(entry.updatedAt);
    if (!deleted && (this.versions.get(entry.id) ?? -1) >= version) return;
    if (deleted) {
      this.index.remove(entry.id);
      this.versions.delete(entry.id);
      return;
    }
    try {
      this.index.upsert(entry);
      this.versions.set(entry.id, version);
    } catch (error) {
      this.logger.warn({ err: error, hotlistEntryId: entry.id }, 'hotlist entry could not be indexed');
    }
  }

  /** An entry's scope names registered tollgates (re-read once, for one just added through another replica). */
  private async checkScope(tollgateIds: readonly string[]): Promise<void> {
    const unknown = () => tollgateIds.filter((id) => !this.tollgates.tollgate(id));
    if (unknown().length > 0) await this.tollgates.refresh();
    const missing = unknown();
    if (missing.length > 0) {
      throw new BadRequestException(
        `tollgateIds: ${missing.map((id) => `${id} is not a registered tollgate`).join('; ')}`,
      );
    }
  }

  /** Checks what the schema cannot: the plate or pattern, and the validity window. */
  private toWrite(body: HotlistEntryBody): HotlistWrite {
    let plate: string;
    const pattern = isPattern(body.plate);
    try {
      plate = pattern ? compilePattern(body.plate).text : checkPlate(body.plate, 'exact');
    } catch (error) {
      if (error instanceof PlateInputError) throw new BadRequestException(`plate: ${error.message}`);
      throw error;
    }
    const from = body.validFrom === undefined ? undefined : Date.parse(body.validFrom);
    const until = body.validUntil === undefined ? undefined : Date.parse(body.validUntil);
    if (Number.isNaN(from) || Number.isNaN(until))
      throw new BadRequestException('validFrom/validUntil: not a real date');
    if (until !== undefined && until <= (from ?? Date.now())) {
      throw new BadRequestException('validUntil must be after validFrom (or after now)');
    }
    return {
      plate,
      kind: pattern ? 'pattern' : 'exact',
      category: body.category,
      priority: body.priority,
      reason: body.reason,
      validFrom: from === undefined ? undefined : new Date(from).toISOString(),
      validUntil: until === undefined ? null : new Date(until).toISOString(),
      tollgateIds: [...new Set(body.tollgateIds ?? [])],
      fuzzy: body.fuzzy ?? true,
    };
  }

  private async record(
    user: SessionUser | undefined,
    ip: string,
    action: string,
    id: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.audit?.record({
      actor: user ? { id: user.id, username: user.username } : null,
      action,
      target: `hotlist:${id}`,
      details,
      ip,
    });
  }
}
