import { Inject, Injectable, NotFoundException, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DeviceRegistration, DeviceSecretIssued, SessionUser } from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { HubEvents } from '../common/hub-events';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { DeviceCredentialsRepository } from './device-credentials.repository';
import { hashDeviceSecret, newDeviceSecret, verifyDeviceSecret } from './secret-hashing';

/** Other replicas' rotations reach this one's cache within this time. */
const RELOAD_MS = 30_000;

/**
 * Each device's own broker secret: issued at registration (or provisioned by the installer), rotatable
 * by administrators, kept hashed. Answers the embedded broker's questions from a cache.
 */
@Injectable()
export class DeviceCredentialsService implements OnModuleInit, OnModuleDestroy {
  private hashes = new Map<string, string>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly repository: DeviceCredentialsRepository,
    private readonly events: HubEvents,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    this.hashes = await this.repository.all();
    this.timer = setInterval(() => void this.reload(), RELOAD_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async reload(): Promise<void> {
    try {
      this.hashes = await this.repository.all();
    } catch (error) {
      this.logger.warn({ err: error }, 'device credentials not reloaded; will try again');
    }
  }

  /** Whether the device has a credential (from the cache). */
  hasCredential(deviceId: string): boolean {
    return this.hashes.has(deviceId);
  }

  /** Checks a device's secret; a cache miss asks the database (another replica may have issued it). */
  async verify(deviceId: string, secret: string): Promise<'ok' | 'wrong' | 'none'> {
    let hash = this.hashes.get(deviceId);
    if (hash === undefined) {
      hash = await this.repository.find(deviceId);
      if (hash === undefined) return 'none';
      this.hashes.set(deviceId, hash);
    }
    if (await verifyDeviceSecret(secret, hash)) return 'ok';
    // Rotated on another replica since the cache was filled?
    const fresh = await this.repository.find(deviceId);
    if (fresh && fresh !== hash) {
      this.hashes.set(deviceId, fresh);
      return (await verifyDeviceSecret(secret, fresh)) ? 'ok' : 'wrong';
    }
    return 'wrong';
  }

  /**
   * After a registry import: stores the secrets the installer provisioned and, with DEVICE_AUTH=required,
   * makes one for each device that has none. Returns the secrets it made (shown this once). With
   * DEVICE_AUTH=optional devices get a secret only when provisioned or rotated.
   */
  async afterImport(
    devices: readonly DeviceRegistration[],
    actor: SessionUser | null,
    ip: string,
  ): Promise<{ deviceId: string; secret: string }[]> {
    const issued: { deviceId: string; secret: string }[] = [];
    const provisioned: string[] = [];
    for (const device of devices) {
      if (device.secret) {
        const hash = await hashDeviceSecret(device.secret);
        await this.repository.upsert(device.id, hash);
        this.hashes.set(device.id, hash);
        provisioned.push(device.id);
        continue;
      }
      if (this.hashes.has(device.id) || this.config.DEVICE_AUTH !== 'required') continue;
      const secret = newDeviceSecret();
      const hash = await hashDeviceSecret(secret);
      if (await this.repository.insertIfMissing(device.id, hash)) {
        this.hashes.set(device.id, hash);
        issued.push({ deviceId: device.id, secret });
      } else {
        const stored = await this.repository.find(device.id);
        if (stored) this.hashes.set(device.id, stored);
      }
    }
    for (const deviceId of provisioned) this.events.emit('devices.credential_changed', { deviceId });
    if (issued.length + provisioned.length > 0) {
      await this.audit.record({
        actor,
        action: 'devices.credentials_set',
        target: null,
        details: {
          issued: issued.map((entry) => entry.deviceId).slice(0, 1000),
          provisioned: provisioned.slice(0, 1000),
          count: issued.length + provisioned.length,
        },
        ip,
      });
    }
    return issued;
  }

  /** A new secret for a device, replacing the old one at once. */
  async rotate(deviceId: string, actor: SessionUser, ip: string): Promise<DeviceSecretIssued> {
    if (!(await this.repository.deviceExists(deviceId))) {
      throw new NotFoundException(`device ${deviceId} is not registered`);
    }
    const secret = newDeviceSecret();
    const hash = await hashDeviceSecret(secret);
    const rotatedAt = await this.repository.upsert(deviceId, hash);
    this.hashes.set(deviceId, hash);
    await this.audit.record({
      actor,
      action: 'devices.rotate_secret',
      target: `device:${deviceId}`,
      details: {},
      ip,
    });
    this.logger.info({ deviceId, by: actor.username }, 'device secret rotated');
    this.events.emit('devices.credential_changed', { deviceId });
    return { deviceId, secret, rotatedAt: rotatedAt.toISOString() };
  }

  devicesWithCredentials(): Promise<{ id: string; secretHash: string | null }[]> {
    return this.repository.devicesWithCredentials();
  }
}
