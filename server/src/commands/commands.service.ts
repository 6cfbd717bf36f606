import { randomUUID } from 'node:crypto';
import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  COMMAND_EXPIRY_DEFAULT_S,
  COMMAND_WAIT_DEFAULT_S,
  PAYLOAD_VERSION,
  TOPIC_POLICY,
  TopicScheme,
  encodeMessage,
  validateCommandParams,
  type CommandListQuery,
  type CommandName,
  type CommandReplyPayload,
  type DeviceCommandPage,
  type DeviceCommandRecord,
  type DeviceRecord,
  type SendCommandBody,
  type SessionUser,
} from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { DevicesService } from '../devices/devices.service';
import type { DeadLetterReason } from '../ingest/dead-letter.repository';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { isConnectionError } from '../platform/database/database';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { BROKER_LINK, type BrokerLink } from '../platform/mqtt/broker-link';
import { CommandsMetrics } from './commands.metrics';
import { CommandsRepository, type ReplyUpdate, type StoredCommand } from './commands.repository';

/** How often a waiting request looks at the row (a reply taken in by another replica lands there). */
const POLL_MS = 250;
/** How often pending commands past their expiry are marked expired (by whichever replica gets there first). */
const SWEEP_MS = 5_000;
/** How long the broker may take to accept a command before it counts as unsent. */
const PUBLISH_TIMEOUT_MS = 5_000;

/** Why a command may not be sent to this device, as `path: problem` lines (empty: it may). */
export function commandRefusals(
  deviceId: string,
  device: Pick<DeviceRecord, 'kind' | 'hasLoudspeaker'> | undefined,
  name: string,
  params: unknown,
): string[] {
  const errors: string[] = [];
  if (!device) errors.push(`/deviceId: device ${deviceId} is not registered`);
  const checked = validateCommandParams(name, params);
  if (!checked.ok) {
    // Unknown names come back as "/name: ..."; params problems are paths inside params.
    errors.push(...checked.errors.map((line) => (line.startsWith('/name:') ? line : `/params${line}`)));
    return errors;
  }
  if (device && name === 'ptz_preset' && device.kind !== 'long_range') {
    errors.push(`/name: ptz_preset needs a long-range (PTZ) camera; device ${deviceId} is a ${device.kind}`);
  }
  if (device && name === 'loudspeaker' && !device.hasLoudspeaker) {
    errors.push(`/name: device ${deviceId} has no loudspeaker (it is registered without hasLoudspeaker)`);
  }
  return errors;
}

export type ReplyDecision =
  | { kind: 'unknown_request' }
  | { kind: 'wrong_device'; commandDeviceId: string }
  | { kind: 'duplicate' }
  | { kind: 'record'; update: ReplyUpdate };

/**
 * What a reply does to the command it names: an unknown requestId or a reply from another device than the
 * command went to is refused; a second reply (a redelivery) changes nothing; otherwise it is recorded,
 * as late when it came after the expiry (also when the command is already marked expired).
 */
export function decideReply(
  command: Pick<StoredCommand, 'deviceId' | 'status' | 'expiresAt'> | undefined,
  reply: Pick<CommandReplyPayload, 'deviceId' | 'ok' | 'error' | 'result'>,
  receivedAt: Date,
): ReplyDecision {
  if (!command) return { kind: 'unknown_request' };
  if (command.deviceId !== reply.deviceId) return { kind: 'wrong_device', commandDeviceId: command.deviceId };
  if (command.status === 'replied' || command.status === 'late') return { kind: 'duplicate' };
  const late = command.status === 'expired' || receivedAt.getTime() > Date.parse(command.expiresAt);
  return {
    kind: 'record',
    update: {
      status: late ? 'late' : 'replied',
      ok: reply.ok,
      error: reply.error ?? null,
      result: reply.result ?? null,
      repliedAt: receivedAt,
    },
  };
}

/** The record without its paging key. */
function shown(command: StoredCommand): DeviceCommandRecord {
  const { seq: _seq, ...record } = command;
  return record;
}

/**
 * Commands to devices: checks one against the registry and the protocol, records it, publishes it (QoS 1)
 * and waits a short while for the reply; replies from ingest are matched to their command by requestId and
 * device. The database row is the truth, so a reply taken in by another replica reaches the waiting request
 * through it.
 */
/** Why a command reply was not recorded: ingest keeps it as a dead letter with this reason. */
export interface UnrecordedReply {
  reason: DeadLetterReason;
  message: string;
  errors: string[];
}

@Injectable()
export class CommandsService implements OnModuleInit, OnModuleDestroy {
  private readonly topics: TopicScheme;
  private readonly waiters = new Map<string, Set<() => void>>();
  private sweeper?: NodeJS.Timeout;
  /** Set when the hub stops: requests waiting for a reply answer with what they have. */
  private closing = false;

  constructor(
    private readonly repository: CommandsRepository,
    private readonly devices: DevicesService,
    private readonly metrics: CommandsMetrics,
    @Inject(BROKER_LINK) private readonly broker: BrokerLink,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
    @Inject(HUB_CONFIG) config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.topics = new TopicScheme(config.TOPIC_ROOT);
  }

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    for (const waiters of this.waiters.values()) for (const wake of waiters) wake();
  }

  /**
   * Sends a command. Answers `replied: true` with the command once the device answered within
   * `timeoutS`, else `replied: false` with the command still pending (the caller reads it later).
   */
  async send(
    deviceId: string,
    body: SendCommandBody,
    actor: SessionUser,
    ip: string,
  ): Promise<{ replied: boolean; command: DeviceCommandRecord }> {
    const params = body.params ?? {};
    const device = await this.devices.find(deviceId);
    const errors = commandRefusals(deviceId, device, body.name, params);
    if (errors.length > 0) {
      await this.audit.record({
        actor,
        action: 'devices.command',
        target: `device:${deviceId}`,
        details: { name: body.name, params, errors },
        ip,
        outcome: 'failure',
      });
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: errors.join('; '), errors });
    }
    const name = body.name as CommandName;
    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + (body.expiresInS ?? COMMAND_EXPIRY_DEFAULT_S) * 1000);
    const requestId = randomUUID();
    await this.audit.record({
      actor,
      action: 'devices.command',
      target: `device:${deviceId}`,
      details: { requestId, name, params, expiresAt: expiresAt.toISOString() },
      ip,
    });
    const stored = await this.repository.insert({
      requestId,
      deviceId,
      name,
      params,
      issuedBy: { id: actor.id, username: actor.username },
      issuedAt,
      expiresAt,
    });
    const payload = encodeMessage('command', {
      v: PAYLOAD_VERSION,
      requestId,
      issuedAt: issuedAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      params,
    });
    try {
      await this.publish(this.topics.command(deviceId, name), payload);
    } catch (error) {
      const reason = `the broker did not take the command: ${(error as Error).message}`;
      await this.repository.markUnsent(requestId, reason);
      this.metrics.failed.inc({ name, reason: 'unsent' });
      this.logger.warn({ deviceId, requestId, command: name, err: error }, 'command not sent');
      throw new ServiceUnavailableException({
        statusCode: 503,
        error: 'Service Unavailable',
        message: reason,
        requestId,
      });
    }
    this.metrics.sent.inc({ name });
    this.logger.info({ deviceId, requestId, command: name, by: actor.username }, 'command sent');
    const waitMs = Math.min((body.timeoutS ?? COMMAND_WAIT_DEFAULT_S) * 1000, expiresAt.getTime() - Date.now());
    const command = waitMs > 0 ? await this.awaitReply(requestId, Date.now() + waitMs) : stored;
    return { replied: command.status === 'replied' || command.status === 'late', command: shown(command) };
  }

  /** One command of a device; a pending one past its expiry is marked expired first. */
  async get(deviceId: string, requestId: string): Promise<DeviceCommandRecord> {
    await this.expire(new Date(), requestId);
    const command = await this.repository.find(requestId);
    if (!command || command.deviceId !== deviceId) {
      throw new NotFoundException(`device ${deviceId} has no command ${requestId}`);
    }
    return shown(command);
  }

  /** A device's commands, newest first. */
  async list(deviceId: string, query: CommandListQuery): Promise<DeviceCommandPage> {
    if (!(await this.devices.find(deviceId))) throw new NotFoundException(`device ${deviceId} is not registered`);
    await this.expire(new Date());
    const items = await this.repository.listForDevice(deviceId, query.limit, query.before);
    return {
      items: items.map(shown),
      nextBefore: items.length === query.limit ? items[items.length - 1]!.seq : null,
    };
  }

  /**
   * A reply ingest took in (already validated, topic and payload naming the same device). Resolves with
   * why it was not recorded, for ingest to keep it as a dead letter with the bytes the device sent, or
   * with nothing; rejects while the database is away, so the message stays unacknowledged and comes again.
   */
  async acceptReply(reply: CommandReplyPayload, receivedAt: Date): Promise<UnrecordedReply | undefined> {
    let decision = { kind: 'unknown_request' } as ReplyDecision;
    let before: StoredCommand | undefined;
    try {
      ({ before } = await this.repository.recordReply(reply.requestId, (current) => {
        decision = decideReply(current, reply, receivedAt);
        return decision.kind === 'record' ? decision.update : undefined;
      }));
    } catch (error) {
      if (isConnectionError(error)) throw error;
      this.logger.error({ err: error, deviceId: reply.deviceId, requestId: reply.requestId }, 'reply not recorded');
      return {
        reason: 'storage_refused',
        message: `the database refused the command reply: ${(error as Error).message}`,
        errors: [],
      };
    }
    const log = { deviceId: reply.deviceId, requestId: reply.requestId };
    switch (decision.kind) {
      case 'unknown_request':
        return {
          reason: 'unknown_request',
          message: `reply to request ${reply.requestId}, which the hub never sent`,
          errors: ['/requestId: no command with this id'],
        };
      case 'wrong_device':
        return {
          reason: 'wrong_device',
          message: `reply to request ${reply.requestId} came from device ${reply.deviceId}; the command went to ${decision.commandDeviceId}`,
          errors: ['/deviceId: not the device the command went to'],
        };
      case 'duplicate':
        this.logger.debug(log, 'command reply received again; already recorded');
        return undefined;
      case 'record': {
        const name = before!.name;
        const { status, ok } = decision.update;
        if (status === 'late') {
          this.metrics.lateReplies.inc({ name });
          // Not yet marked expired by a sweep: this reply is what finds it expired.
          if (before!.status === 'pending') this.metrics.expired.inc({ name });
        } else if (ok) {
          this.metrics.replied.inc({ name });
        } else {
          this.metrics.failed.inc({ name, reason: 'refused' });
        }
        this.logger.info({ ...log, command: name, ok, late: status === 'late' }, 'command reply recorded');
        for (const wake of this.waiters.get(reply.requestId) ?? []) wake();
        return undefined;
      }
    }
  }

  private async publish(topic: string, payload: Buffer): Promise<void> {
    if (!this.broker.isConnected()) throw new Error('the hub is not connected to the broker');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.broker.publish(topic, payload, TOPIC_POLICY.command),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer in ${PUBLISH_TIMEOUT_MS / 1000} s`)),
            PUBLISH_TIMEOUT_MS,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads the row until it is no longer pending or the deadline passes; a local reply wakes it at once. */
  private async awaitReply(requestId: string, deadline: number): Promise<StoredCommand> {
    for (;;) {
      const command = await this.repository.find(requestId);
      if (!command) throw new Error(`command ${requestId} vanished`);
      const left = deadline - Date.now();
      // A hub that is stopping answers with the command as it stands (202 if still pending).
      if (command.status !== 'pending' || left <= 0 || this.closing) return command;
      await new Promise<void>((resolve) => {
        const waiters = this.waiters.get(requestId) ?? new Set<() => void>();
        this.waiters.set(requestId, waiters);
        const wake = () => {
          clearTimeout(timer);
          waiters.delete(wake);
          if (waiters.size === 0) this.waiters.delete(requestId);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(POLL_MS, left));
        waiters.add(wake);
      });
    }
  }

  private async expire(now: Date, requestId?: string): Promise<void> {
    for (const command of await this.repository.expireDue(now, requestId)) {
      this.metrics.expired.inc({ name: command.name });
      this.logger.info({ requestId: command.requestId, command: command.name }, 'command expired without a reply');
    }
  }

  private async sweep(): Promise<void> {
    try {
      await this.expire(new Date());
    } catch (error) {
      this.logger.warn({ err: error }, 'command expiry sweep failed; will try again');
    }
  }
}
