import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  Optional,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type {
  SessionUser,
  TollgateBody,
  TollgateCreateBody,
  TollgateRecord,
  TravelTimesBody,
} from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { DevicesService } from '../devices/devices.service';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { TollgatesRepository } from './tollgates.repository';

/** Straight-line distance between two points, metres. */
export function haversineM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}

/** What the rules need to know about the estate, read from memory on every passage. */
export interface EstateView {
  tollgate(id: string): TollgateRecord | undefined;
  speedLimit(tollgateId: string, laneNo: number): number | undefined;
  /** Fastest plausible travel between two tollgates, ms: configured, else straight line at `maxSpeedKmh`. */
  minTravelMs(fromId: string, toId: string, maxSpeedKmh: number): number | undefined;
}

/** Tollgate and lane CRUD, travel times, and an in-memory view of them kept fresh for the passage rules. */
@Injectable()
export class TollgatesService implements EstateView, OnModuleInit, OnModuleDestroy {
  private tollgates = new Map<string, TollgateRecord>();
  private travel = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repository: TollgatesRepository,
    private readonly devices: DevicesService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(AUDIT_LOG) private readonly audit?: AuditLog,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.refresh();
    // The registry import and other replicas change tollgates too: re-read now and then (13 rows in a district).
    this.timer = setInterval(
      () => void this.refresh().catch((error: Error) => this.logger.warn({ err: error }, 'tollgate refresh failed')),
      Math.max(5_000, this.config.CHECKPOINT_SYNC_INTERVAL_MS * 5),
    );
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async refresh(): Promise<void> {
    const [tollgates, travel] = await Promise.all([this.repository.list(), this.repository.travelTimes()]);
    this.tollgates = new Map(tollgates.map((t) => [t.id, t]));
    this.travel = new Map(travel.map((t) => [`${t.fromTollgateId}|${t.toTollgateId}`, t.minTravelS * 1000]));
  }

  tollgate(id: string): TollgateRecord | undefined {
    return this.tollgates.get(id);
  }

  speedLimit(tollgateId: string, laneNo: number): number | undefined {
    return this.tollgates.get(tollgateId)?.lanes.find((lane) => lane.laneNo === laneNo)?.speedLimitKmh;
  }

  minTravelMs(fromId: string, toId: string, maxSpeedKmh: number): number | undefined {
    const configured = this.travel.get(`${fromId}|${toId}`) ?? this.travel.get(`${toId}|${fromId}`);
    if (configured !== undefined) return configured;
    const a = this.tollgates.get(fromId);
    const b = this.tollgates.get(toId);
    if (!a || !b) return undefined;
    return (haversineM(a, b) / (maxSpeedKmh / 3.6)) * 1000;
  }

  list(): Promise<TollgateRecord[]> {
    return this.repository.list();
  }

  async get(id: string): Promise<TollgateRecord> {
    const [found] = await this.repository.list(id);
    if (!found) throw new NotFoundException(`tollgate ${id} does not exist`);
    return found;
  }

  async create(body: TollgateCreateBody, user: SessionUser | undefined, ip: string): Promise<TollgateRecord> {
    checkLanes(body);
    await this.devices.checkLaneDevices(body.id, body.lanes);
    const created = await this.write(() => this.repository.create(body));
    if (!created) throw new ConflictException(`tollgate ${body.id} exists already`);
    await this.after('tollgates.create', body.id, { ...body }, user, ip);
    return this.get(body.id);
  }

  async update(id: string, body: TollgateBody, user: SessionUser | undefined, ip: string): Promise<TollgateRecord> {
    checkLanes(body);
    await this.devices.checkLaneDevices(id, body.lanes);
    const updated = await this.write(() => this.repository.update({ id, ...body }));
    if (!updated) throw new NotFoundException(`tollgate ${id} does not exist`);
    await this.after('tollgates.update', id, { ...body }, user, ip);
    return this.get(id);
  }

  async remove(id: string, user: SessionUser | undefined, ip: string): Promise<void> {
    const removed = await this.write(() => this.repository.remove(id), `devices are still bound to tollgate ${id}`);
    if (!removed) throw new NotFoundException(`tollgate ${id} does not exist`);
    await this.after('tollgates.delete', id, {}, user, ip);
  }

  travelTimes() {
    return this.repository.travelTimes();
  }

  async setTravelTimes(body: TravelTimesBody, user: SessionUser | undefined, ip: string): Promise<{ stored: number }> {
    const items = [...body.items];
    for (const item of body.items) {
      if (item.fromTollgateId === item.toTollgateId) {
        throw new BadRequestException(`a travel time needs two different tollgates (${item.fromTollgateId} twice)`);
      }
      if (body.symmetric !== false) {
        items.push({ ...item, fromTollgateId: item.toTollgateId, toTollgateId: item.fromTollgateId });
      }
    }
    const unique = new Map(items.map((item) => [`${item.fromTollgateId}|${item.toTollgateId}`, item]));
    await this.write(() => this.repository.upsertTravelTimes([...unique.values()]), 'unknown tollgate in travel times');
    await this.after('tollgates.travel_times', null, { count: unique.size }, user, ip);
    return { stored: unique.size };
  }

  async removeTravelTime(from: string, to: string, user: SessionUser | undefined, ip: string): Promise<void> {
    if (!(await this.repository.removeTravelTime(from, to))) {
      throw new NotFoundException(`no travel time from ${from} to ${to}`);
    }
    await this.after('tollgates.travel_times.delete', `${from}|${to}`, {}, user, ip);
  }

  /** Runs a write, turning reference errors into a 400/409 that says what is wrong. */
  private async write<T>(work: () => Promise<T>, foreignKeyMessage?: string): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const { code, detail } = error as { code?: string; detail?: string };
      if (code === '23503') {
        if (foreignKeyMessage?.startsWith('devices')) throw new ConflictException(foreignKeyMessage);
        throw new BadRequestException(foreignKeyMessage ?? `refers to something that does not exist: ${detail ?? ''}`);
      }
      throw error;
    }
  }

  private async after(
    action: string,
    target: string | null,
    details: Record<string, unknown>,
    user: SessionUser | undefined,
    ip: string,
  ): Promise<void> {
    await this.refresh();
    await this.audit?.record({
      actor: user ? { id: user.id, username: user.username } : null,
      action,
      target: target === null ? null : `tollgate:${target}`,
      details,
      ip,
    });
  }
}

function checkLanes(body: TollgateBody): void {
  const seen = new Set<number>();
  for (const lane of body.lanes) {
    if (seen.has(lane.laneNo)) throw new BadRequestException(`lane ${lane.laneNo} is listed twice`);
    seen.add(lane.laneNo);
  }
}
