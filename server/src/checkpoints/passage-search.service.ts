import { once } from 'node:events';
import { BadRequestException, Inject, Injectable, NotFoundException, Optional } from '@nestjs/common';
import { stringify } from 'csv-stringify';
import type { Response } from 'express';
import type {
  HourlyStatistics,
  MatchedPlate,
  PassageExportQuery,
  PassageRecord,
  PassageSearchQuery,
  PassageSearchResult,
  PeakHour,
  SessionUser,
  SpeedBucket,
  StatisticsQuery,
  TopPlate,
  Trajectory,
  TrajectoryQuery,
} from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { PassagesRepository, type Keyset, type PassageFilter } from './passages.repository';
import {
  PlateInputError,
  checkPlate,
  compilePattern,
  fuzzyCandidateKeys,
  fuzzyDistance,
  isPattern,
} from './plate-matching';
import { PlatesRepository } from './plates.repository';
import { CursorError, decodeCursor, encodeCursor, filterFingerprint } from './search-cursor';

/** Most plates a wildcard or fuzzy search may resolve to before it has to be narrowed. */
export const MAX_RESOLVED_PLATES = 5_000;
const MATCHED_PLATES_SHOWN = 500;
const MAX_STATISTICS_DAYS = 92;
const CSV_COLUMNS = [
  'eventId',
  'passTime',
  'tollgateId',
  'laneNo',
  'direction',
  'plateNo',
  'plateColor',
  'plateConfidence',
  'vehicleClass',
  'vehicleColor',
  'speedKmh',
  'deviceId',
  'storedAt',
] as const;

export interface Caller {
  user?: SessionUser;
  ip: string;
}

/** What a filter query resolves to: the SQL-side filter and, for wildcard and fuzzy searches, the plates. */
interface Resolved {
  filter: PassageFilter;
  matchedPlates: MatchedPlate[] | null;
  /** The search can match nothing (a pattern that resolved to no plate). */
  empty: boolean;
}

const split = (value: string | undefined) => (value ? [...new Set(value.split(','))] : undefined);

/** History search, trajectories, statistics and CSV export over the passages. */
@Injectable()
export class PassageSearchService {
  constructor(
    private readonly passages: PassagesRepository,
    private readonly plates: PlatesRepository,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(AUDIT_LOG) private readonly audit?: AuditLog,
  ) {}

  async search(query: PassageSearchQuery, caller: Caller): Promise<PassageSearchResult> {
    const fingerprint = filterFingerprint(query);
    const keyset = query.cursor ? this.cursor(query.cursor, fingerprint) : undefined;
    const resolved = await this.resolve(query);
    await this.record(caller, 'checkpoints.search', { filter: withoutPaging(query), page: keyset ? 'next' : 'first' });
    if (resolved.empty) return { items: [], nextCursor: null, total: { value: 0, exact: true }, matchedPlates: [] };
    const [page, total] = await this.guard(() =>
      Promise.all([
        this.passages.page(resolved.filter, query.limit + 1, keyset),
        keyset ? Promise.resolve(null) : this.passages.count(resolved.filter),
      ]),
    );
    const more = page.rows.length > query.limit;
    const rows = page.rows.slice(0, query.limit);
    const last = rows[rows.length - 1];
    return {
      items: rows.map(withoutKeyset),
      nextCursor:
        more && last ? encodeCursor({ ...last.keyset, asOfUs: keyset?.asOfUs ?? page.nowUs }, fingerprint) : null,
      total,
      matchedPlates: resolved.matchedPlates,
    };
  }

  async passage(eventId: string): Promise<PassageRecord> {
    const page = await this.passages.byEventId(eventId);
    if (!page) throw new NotFoundException(`no passage ${eventId}`);
    return page;
  }

  /**
   * Streams every row of a search as CSV, a page at a time (keyset, from one snapshot), waiting for the
   * client to drain before reading more, so memory holds one page whatever the size of the result.
   */
  async export(query: PassageExportQuery, caller: Caller, response: Response): Promise<void> {
    const resolved = await this.resolve(query);
    await this.record(caller, 'checkpoints.export', { filter: query });
    this.logger.info({ user: caller.user?.username, filter: query }, 'passage export started');
    const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
    response.status(200);
    response.setHeader('Content-Type', 'text/csv; charset=utf-8');
    response.setHeader('Content-Disposition', `attachment; filename="passages-${stamp}.csv"`);
    response.setHeader('Cache-Control', 'no-store');
    const csv = stringify({ header: true, columns: [...CSV_COLUMNS], bom: true });
    csv.pipe(response);
    let written = 0;
    let failed: unknown;
    try {
      if (!resolved.empty) {
        let keyset: Keyset | undefined = { passUs: '', eventId: '', asOfUs: await this.passages.nowUs() };
        const pageSize = this.config.CHECKPOINT_EXPORT_PAGE_SIZE;
        while (keyset && written < this.config.CHECKPOINT_EXPORT_MAX_ROWS && !response.destroyed) {
          const want = Math.min(pageSize, this.config.CHECKPOINT_EXPORT_MAX_ROWS - written);
          const page = await this.passages.page(resolved.filter, want, keyset);
          for (const row of page.rows) {
            const line = CSV_COLUMNS.map((column) => row[column] ?? '');
            if (!csv.write(line)) await once(csv, 'drain');
          }
          written += page.rows.length;
          const last = page.rows[page.rows.length - 1];
          keyset = page.rows.length === want && last ? { ...last.keyset, asOfUs: keyset.asOfUs } : undefined;
          // Let the socket take what was written before reading the next page.
          if (response.writableNeedDrain) await once(response, 'drain');
        }
      }
    } catch (error) {
      failed = error;
      this.logger.error({ err: error, filter: query, written }, 'passage export failed part way');
    } finally {
      csv.end();
    }
    if (!failed) this.logger.info({ user: caller.user?.username, rows: written }, 'passage export finished');
  }

  async trajectory(query: TrajectoryQuery, caller: Caller): Promise<Trajectory> {
    const plate = this.plate(() => checkPlate(query.plate, 'exact'));
    const range = this.range(query.from, query.to);
    await this.record(caller, 'checkpoints.trajectory', { plate, ...range });
    const { points, truncated } = await this.guard(() => this.passages.trajectory(plate, range, query.limit));
    return { plateNo: plate, points, truncated };
  }

  async hourly(query: StatisticsQuery): Promise<HourlyStatistics> {
    const filter = this.statisticsFilter(query, true);
    return this.guard(() => this.passages.hourly(filter));
  }

  speeds(query: StatisticsQuery): Promise<SpeedBucket[]> {
    return this.guard(() => this.passages.speedHistogram(this.statisticsFilter(query, false), query.bucketKmh));
  }

  async topPlates(query: StatisticsQuery, caller: Caller): Promise<TopPlate[]> {
    const filter = this.statisticsFilter(query, false);
    await this.record(caller, 'checkpoints.statistics.top_plates', { ...query });
    return this.guard(() => this.passages.topPlates(filter, query.top));
  }

  peakHours(query: StatisticsQuery): Promise<PeakHour[]> {
    return this.guard(() => this.passages.peakHours(this.statisticsFilter(query, true), query.timeZone));
  }

  /** Validates what the schema cannot (real dates, ranges, plates and patterns) and resolves the plates. */
  async resolve(query: PassageExportQuery): Promise<Resolved> {
    const range = this.range(query.from, query.to);
    if (query.speedMin !== undefined && query.speedMax !== undefined && query.speedMin > query.speedMax) {
      throw new BadRequestException(`speedMin (${query.speedMin}) is above speedMax (${query.speedMax})`);
    }
    const filter: PassageFilter = {
      plateColors: split(query.plateColor),
      vehicleClasses: split(query.vehicleClass),
      vehicleColors: split(query.vehicleColor),
      tollgateIds: split(query.tollgateId),
      laneNos: split(query.laneNo)?.map(Number),
      directions: split(query.direction),
      speedMin: query.speedMin,
      speedMax: query.speedMax,
      ...range,
    };
    if (query.plate === undefined) {
      if (query.plateMatch !== undefined) throw new BadRequestException('plateMatch needs a plate');
      return { filter, matchedPlates: null, empty: false };
    }
    const mode = query.plateMatch ?? (isPattern(query.plate) ? 'wildcard' : 'exact');
    if (mode === 'exact') {
      filter.plates = [this.plate(() => checkPlate(query.plate!, 'exact'))];
      return { filter, matchedPlates: null, empty: false };
    }
    let matched: MatchedPlate[];
    if (mode === 'wildcard') {
      const pattern = this.plate(() => compilePattern(query.plate!));
      const plates = await this.plates.matchingPattern(pattern.like, range, MAX_RESOLVED_PLATES + 1);
      matched = plates.map((plateNo) => ({ plateNo, distance: 0 }));
    } else {
      const plate = this.plate(() => checkPlate(query.plate!, 'fuzzy'));
      const plates = await this.plates.withKeys(fuzzyCandidateKeys(plate), range, MAX_RESOLVED_PLATES + 1);
      matched = plates
        .map((plateNo) => ({ plateNo, distance: fuzzyDistance(plateNo, plate) }))
        .filter((m): m is MatchedPlate => m.distance !== null)
        .sort((a, b) => a.distance - b.distance || a.plateNo.localeCompare(b.plateNo));
    }
    if (matched.length > MAX_RESOLVED_PLATES) {
      throw new BadRequestException(
        `plate "${query.plate}" matches more than ${MAX_RESOLVED_PLATES} plates; add fixed characters or narrow the time range`,
      );
    }
    filter.plates = matched.map((m) => m.plateNo);
    return { filter, matchedPlates: matched.slice(0, MATCHED_PLATES_SHOWN), empty: matched.length === 0 };
  }

  private statisticsFilter(query: StatisticsQuery, wholeHours: boolean): PassageFilter {
    const range = this.range(query.from, query.to);
    let from = Date.parse(range.from!);
    let to = Date.parse(range.to!);
    if (to - from > MAX_STATISTICS_DAYS * 86_400_000) {
      throw new BadRequestException(`statistics cover at most ${MAX_STATISTICS_DAYS} days; narrow from/to`);
    }
    if (wholeHours) {
      from = Math.floor(from / 3_600_000) * 3_600_000;
      to = Math.ceil(to / 3_600_000) * 3_600_000;
    }
    return {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      tollgateIds: split(query.tollgateId),
      laneNos: split(query.laneNo)?.map(Number),
    };
  }

  private range(from: string | undefined, to: string | undefined): { from?: string; to?: string } {
    const parse = (name: string, value: string | undefined) => {
      if (value === undefined) return undefined;
      const time = Date.parse(value);
      if (Number.isNaN(time) || !sameCalendarDate(value, time)) {
        throw new BadRequestException(`${name}: "${value}" is not a real date and time`);
      }
      return new Date(time).toISOString();
    };
    const range = { from: parse('from', from), to: parse('to', to) };
    if (range.from && range.to && range.from >= range.to) {
      throw new BadRequestException(`from (${from}) must be before to (${to})`);
    }
    return range;
  }

  private plate<T>(check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof PlateInputError) throw new BadRequestException(`plate: ${error.message}`);
      throw error;
    }
  }

  private cursor(cursor: string, fingerprint: string): Keyset {
    try {
      return decodeCursor(cursor, fingerprint);
    } catch (error) {
      if (error instanceof CursorError) throw new BadRequestException(`cursor: ${error.message}`);
      throw error;
    }
  }

  /** Turns the database's complaints about values (a date out of range, an unknown time zone) into a 400. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      if (code && /^22/.test(code)) throw new BadRequestException(message ?? 'a value is out of range');
      throw error;
    }
  }

  private async record(caller: Caller, action: string, details: Record<string, unknown>): Promise<void> {
    await this.audit?.record({
      actor: caller.user ? { id: caller.user.id, username: caller.user.username } : null,
      action,
      target: null,
      details,
      ip: caller.ip,
    });
  }
}

function withoutPaging(query: PassageSearchQuery): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { cursor, limit, ...filter } = query;
  return filter;
}

function withoutKeyset(row: PassageRecord & { keyset: unknown }): PassageRecord {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { keyset, ...record } = row;
  return record;
}

/** Whether the date written in an ISO string exists (2026-02-30 parses in JavaScript but names no day). */
function sameCalendarDate(value: string, time: number): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?(Z|([+-])(\d{2}):?(\d{2}))$/.exec(
    value,
  );
  if (!match) return false;
  const [, y, mo, d, h, mi, s, zone, sign, zh, zm] = match;
  const offsetMin = zone === 'Z' ? 0 : (sign === '-' ? -1 : 1) * (Number(zh) * 60 + Number(zm));
  const local = new Date(time + offsetMin * 60_000);
  return (
    local.getUTCFullYear() === Number(y) &&
    local.getUTCMonth() + 1 === Number(mo) &&
    local.getUTCDate() === Number(d) &&
    local.getUTCHours() === Number(h) &&
    local.getUTCMinutes() === Number(mi) &&
    (s === undefined || local.getUTCSeconds() === Number(s))
  );
}
