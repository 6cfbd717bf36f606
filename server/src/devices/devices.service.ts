import { BadRequestException, Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type {
  DeviceKind,
  DeviceStatusChange,
  DeviceStatusPayload,
  HeartbeatPayload,
  LaneRegistration,
  RegistryImport,
  RegistryImportResult,
} from '@citywatch/protocol';
import { HubEvents } from '../common/hub-events';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { HubMetrics } from '../platform/metrics/metrics';
import { WriteBatcher, type PushTicket } from '../ingest/write-batcher';
import { DevicesRepository, type DeviceRecord, type StateChange } from './devices.repository';
import { listedProblems, referencedByImport, registryImportProblems, tollgateLaneProblems } from './registry-checks';

const UNKNOWN_DEVICE_CACHE_MS = 5_000;
const SWEEP_INTERVAL_MS = 5_000;

/** The registry of devices and their online state: from status messages, last wills and heartbeats. */
@Injectable()
export class DevicesService implements OnModuleInit, OnModuleDestroy {
  private readonly known = new Map<string, DeviceKind>();
  private readonly unknownUntil = new Map<string, number>();
  private readonly heartbeats: WriteBatcher<{ payload: HeartbeatPayload; receivedAt: string }>;
  private sweeper?: NodeJS.Timeout;

  constructor(
    private readonly repository: DevicesRepository,
    private readonly events: HubEvents,
    private readonly metrics: HubMetrics,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.heartbeats = new WriteBatcher({
      name: 'heartbeats',
      maxBatch: 500,
      flushMs: 50,
      queueLimit: 5_000,
      write: async (items) => this.publishChanges(await this.repository.recordHeartbeats(items)),
      reject: async (item, error) =>
        this.logger.warn({ err: error, deviceId: item.payload.deviceId }, 'heartbeat refused by the database'),
      onRetry: () => this.metrics.writeRetries.inc({ queue: 'heartbeats' }),
    });
  }

  async onModuleInit(): Promise<void> {
    for (const device of await this.repository.list()) this.known.set(device.id, device.kind);
    await this.refreshOnlineGauge();
    this.sweeper = setInterval(() => void this.sweepSilentDevices(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.heartbeats.close();
  }

  /**
   * Registers the estate in one transaction, or nothing of it: an import that lists an id twice, names a
   * device or tollgate that does not exist, or puts anything but a checkpoint camera on a lane is refused
   * with a 400 naming each problem (registry-checks.ts).
   */
  async importRegistry(body: RegistryImport): Promise<RegistryImportResult> {
    await this.checkImport(body);
    try {
      await this.repository.importRegistry(body.tollgates, body.devices);
    } catch (error) {
      if ((error as { code?: string }).code !== '23503') throw error;
      // Something the check found went away meanwhile (a tollgate deleted through its endpoint, say).
      await this.checkImport(body);
      throw refusal(['the registry changed while this import was stored; nothing was stored, try again']);
    }
    for (const device of body.devices) {
      this.known.set(device.id, device.kind);
      this.unknownUntil.delete(device.id);
    }
    this.logger.info({ tollgates: body.tollgates.length, devices: body.devices.length }, 'registry imported');
    return { tollgates: body.tollgates.length, devices: body.devices.length };
  }

  /** Refuses (400) lanes of a tollgate that name an unregistered device, a non-checkpoint camera or one camera twice. */
  async checkLaneDevices(tollgateId: string, lanes: readonly LaneRegistration[]): Promise<void> {
    const ids = [...new Set(lanes.flatMap((lane) => (lane.deviceId === undefined ? [] : [lane.deviceId])))];
    if (ids.length === 0) return;
    const { devices } = await this.repository.registeredEstate(ids, []);
    const problems = tollgateLaneProblems(tollgateId, lanes, devices);
    if (problems.length > 0) throw refusal(problems);
  }

  private async checkImport(body: RegistryImport): Promise<void> {
    const { deviceIds, tollgateIds } = referencedByImport(body);
    const problems = registryImportProblems(body, await this.repository.registeredEstate(deviceIds, tollgateIds));
    if (problems.length === 0) return;
    this.logger.info({ problems: problems.length, first: problems[0] }, 'registry import refused');
    throw refusal(problems);
  }

  list(filter: { kind?: DeviceKind; area?: string; online?: boolean }): Promise<DeviceRecord[]> {
    return this.repository.list(filter);
  }

  find(id: string): Promise<DeviceRecord | undefined> {
    return this.repository.find(id);
  }

  statusHistory(id: string, limit: number) {
    return this.repository.statusHistory(id, limit);
  }

  recentActivity(id: string, limit: number) {
    return this.repository.recentActivity(id, limit, new Date());
  }

  /** True when the device is known to be registered without asking the database (the common case). */
  isKnownNow(deviceId: string): boolean {
    return this.known.has(deviceId);
  }

  /** Whether the device is registered; asks the database on a miss (another replica may have registered it). */
  async isKnown(deviceId: string): Promise<boolean> {
    if (this.known.has(deviceId)) return true;
    const until = this.unknownUntil.get(deviceId);
    if (until !== undefined && until > Date.now()) return false;
    const found = await this.repository.knownIds([deviceId]);
    const kind = found.get(deviceId);
    if (kind) {
      this.known.set(deviceId, kind);
      return true;
    }
    if (this.unknownUntil.size > 10_000) this.unknownUntil.clear();
    this.unknownUntil.set(deviceId, Date.now() + UNKNOWN_DEVICE_CACHE_MS);
    return false;
  }

  async applyStatus(status: DeviceStatusPayload, receivedAt: string): Promise<void> {
    const reason = status.reason ?? (status.state === 'online' ? 'startup' : 'shutdown');
    // Status carries the device's clock; the hub's own receipt time orders the changes.
    const change = await this.repository.setState(status.deviceId, status.state === 'online', receivedAt, reason);
    if (change) this.publishChanges([change]);
  }

  recordHeartbeat(payload: HeartbeatPayload, receivedAt: string): PushTicket {
    return this.heartbeats.push({ payload, receivedAt });
  }

  get heartbeatQueueDepth(): number {
    return this.heartbeats.depth;
  }

  async sweepSilentDevices(now = new Date()): Promise<void> {
    try {
      this.publishChanges(await this.repository.expireSilentDevices(now, this.config.HEARTBEAT_MISSED_COUNT));
    } catch (error) {
      this.logger.warn({ err: error }, 'offline sweep failed; will try again');
    }
  }

  private publishChanges(changes: readonly StateChange[]): void {
    for (const change of changes) {
      const message: DeviceStatusChange = {
        deviceId: change.deviceId,
        kind: change.kind,
        state: change.online ? 'online' : 'offline',
        at: change.at,
        reason: change.reason as DeviceStatusChange['reason'],
      };
      this.logger.info(
        { deviceId: change.deviceId, state: message.state, reason: message.reason },
        'device state changed',
      );
      this.events.emit('device.status', message);
    }
    if (changes.length > 0) void this.refreshOnlineGauge();
  }

  private async refreshOnlineGauge(): Promise<void> {
    try {
      this.metrics.devicesOnline.set((await this.repository.list({ online: true })).length);
    } catch {
      // the gauge catches up on the next change
    }
  }
}

/** A 400 in the shape the validation pipe gives: every problem in `errors`, joined in `message`. */
function refusal(problems: readonly string[]): BadRequestException {
  const errors = listedProblems(problems);
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: errors.join('; '), errors });
}
