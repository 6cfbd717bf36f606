import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeMessage,
  TopicScheme,
  type CommandReplyPayload,
  type DeviceRecord,
  type SessionUser,
} from '@citywatch/protocol';
import type { AuditEntry, AuditLog } from '../common/audit-log';
import type { DevicesService } from '../devices/devices.service';
import type { HubConfig } from '../platform/config/hub-config';
import type { Logger } from '../platform/logging/logger';
import { HubMetrics } from '../platform/metrics/metrics';
import type { BrokerLink, PublishOptions } from '../platform/mqtt/broker-link';
import { CommandsMetrics } from './commands.metrics';
import type { CommandsRepository, NewCommand, ReplyUpdate, StoredCommand } from './commands.repository';
import { CommandsService, commandRefusals, decideReply } from './commands.service';

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as unknown as Logger;
const topics = new TopicScheme('test/v1');
const STREET = '23010800001320000001';
const EAGLE = '23010800001310000001';
const admin: SessionUser = { id: 'u-1', username: 'admin', displayName: 'Admin', role: 'admin', departmentId: null };

const device = (id: string, kind: DeviceRecord['kind'], hasLoudspeaker = false) =>
  ({ id, kind, hasLoudspeaker }) as DeviceRecord;
const DEVICES = new Map([
  [STREET, device(STREET, 'hd_camera')],
  [EAGLE, device(EAGLE, 'long_range', true)],
]);

/** The repository's contract in memory (the SQL is covered by the integration tests). */
class MemoryRepository {
  readonly rows = new Map<string, StoredCommand>();
  private seq = 0;

  async insert(command: NewCommand): Promise<StoredCommand> {
    const row: StoredCommand = {
      seq: String(++this.seq),
      requestId: command.requestId,
      deviceId: command.deviceId,
      name: command.name,
      params: command.params,
      status: 'pending',
      issuedBy: command.issuedBy,
      issuedAt: command.issuedAt.toISOString(),
      expiresAt: command.expiresAt.toISOString(),
      ok: null,
      error: null,
      result: null,
      repliedAt: null,
    };
    this.rows.set(row.requestId, row);
    return { ...row };
  }

  async find(requestId: string) {
    const row = this.rows.get(requestId);
    return row && { ...row };
  }

  async listForDevice(deviceId: string, limit: number, before?: string) {
    return [...this.rows.values()]
      .filter((row) => row.deviceId === deviceId && (!before || Number(row.seq) < Number(before)))
      .sort((a, b) => Number(b.seq) - Number(a.seq))
      .slice(0, limit);
  }

  async markUnsent(requestId: string, error: string) {
    const row = this.rows.get(requestId);
    if (row?.status === 'pending') Object.assign(row, { status: 'unsent', error });
  }

  async expireDue(now: Date, requestId?: string) {
    const due = [...this.rows.values()].filter(
      (row) =>
        row.status === 'pending' &&
        Date.parse(row.expiresAt) <= now.getTime() &&
        (!requestId || row.requestId === requestId),
    );
    for (const row of due) row.status = 'expired';
    return due.map((row) => ({ requestId: row.requestId, name: row.name }));
  }

  async recordReply(requestId: string, decide: (current: StoredCommand | undefined) => ReplyUpdate | undefined) {
    const before = await this.find(requestId);
    const update = decide(before);
    if (!update) return { before, after: undefined };
    const row = this.rows.get(requestId)!;
    Object.assign(row, { ...update, repliedAt: update.repliedAt.toISOString() });
    return { before, after: { ...row } };
  }
}

function setup(options: { connected?: boolean; publish?: (topic: string, payload: Buffer) => Promise<void> } = {}) {
  const repository = new MemoryRepository();
  const published: { topic: string; payload: Buffer; options: PublishOptions }[] = [];
  const broker = {
    isConnected: () => options.connected ?? true,
    publish: vi.fn(async (topic: string, payload: Buffer, publishOptions: PublishOptions) => {
      published.push({ topic, payload, options: publishOptions });
      await options.publish?.(topic, payload);
    }),
  } as unknown as BrokerLink;
  const audits: AuditEntry[] = [];
  const audit: AuditLog = { record: async (entry) => void audits.push(entry) };
  const devices = { find: async (id: string) => DEVICES.get(id) } as unknown as DevicesService;
  const hubMetrics = new HubMetrics();
  const metrics = new CommandsMetrics(hubMetrics);
  const service = new CommandsService(
    repository as unknown as CommandsRepository,
    devices,
    metrics,
    broker,
    audit,
    { TOPIC_ROOT: topics.root } as HubConfig,
    silent,
  );
  const count = async (metric: string, labels: string) => {
    const text = await hubMetrics.registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${metric}{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  return { service, repository, published, audits, count };
}

const reply = (requestId: string, deviceId: string, extra: Partial<CommandReplyPayload> = {}): CommandReplyPayload => ({
  v: 1,
  requestId,
  deviceId,
  at: new Date().toISOString(),
  ok: true,
  ...extra,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

afterEach(() => vi.useRealTimers());

describe('commandRefusals', () => {
  it('accepts a valid command for a device that can do it', () => {
    expect(commandRefusals(STREET, DEVICES.get(STREET), 'snapshot', { channel: 2 })).toEqual([]);
    expect(commandRefusals(EAGLE, DEVICES.get(EAGLE), 'ptz_preset', { preset: 3 })).toEqual([]);
    expect(commandRefusals(EAGLE, DEVICES.get(EAGLE), 'loudspeaker', { message: '请勿停车' })).toEqual([]);
  });

  it('names an unknown device, an unknown command and bad params, each on its own line', () => {
    expect(commandRefusals('23010800001320009999', undefined, 'self_destruct', {})).toEqual([
      '/deviceId: device 23010800001320009999 is not registered',
      '/name: not one of the known commands',
    ]);
    const bad = commandRefusals(EAGLE, DEVICES.get(EAGLE), 'ptz_preset', { preset: 'home', speed: 2 });
    expect(bad.every((line) => line.startsWith('/params'))).toBe(true);
    expect(bad.join('\n')).toMatch(/\/params\/preset: .*integer/i);
    expect(bad.join('\n')).toMatch(/\/params\/speed: field is not allowed here/);
  });

  it('keeps PTZ to long-range cameras and the loudspeaker to devices registered with one', () => {
    expect(commandRefusals(STREET, DEVICES.get(STREET), 'ptz_preset', { preset: 1 })).toEqual([
      `/name: ptz_preset needs a long-range (PTZ) camera; device ${STREET} is a hd_camera`,
    ]);
    expect(commandRefusals(STREET, DEVICES.get(STREET), 'loudspeaker', { message: 'hi' })).toEqual([
      `/name: device ${STREET} has no loudspeaker (it is registered without hasLoudspeaker)`,
    ]);
  });
});

describe('decideReply', () => {
  const now = new Date('2026-11-27T00:00:30Z');
  const command = { deviceId: STREET, status: 'pending' as const, expiresAt: '2026-11-27T00:01:00Z' };

  it('refuses an unknown request and a reply from another device', () => {
    expect(decideReply(undefined, reply('r', STREET), now)).toEqual({ kind: 'unknown_request' });
    expect(decideReply(command, reply('r', EAGLE), now)).toEqual({ kind: 'wrong_device', commandDeviceId: STREET });
  });

  it('records a reply in time, and one after the expiry as late', () => {
    const ok = decideReply(command, reply('r', STREET, { result: { imageRef: 'file:///a.jpg' } }), now);
    expect(ok).toEqual({
      kind: 'record',
      update: { status: 'replied', ok: true, error: null, result: { imageRef: 'file:///a.jpg' }, repliedAt: now },
    });
    const later = new Date('2026-11-27T00:01:01Z');
    expect(decideReply(command, reply('r', STREET), later)).toMatchObject({ update: { status: 'late' } });
    expect(decideReply({ ...command, status: 'expired' }, reply('r', STREET), now)).toMatchObject({
      update: { status: 'late' },
    });
    expect(decideReply({ ...command, status: 'unsent' }, reply('r', STREET, { ok: false, error: 'x' }), now)).toEqual({
      kind: 'record',
      update: { status: 'replied', ok: false, error: 'x', result: null, repliedAt: now },
    });
  });

  it('leaves a recorded reply alone when it comes again', () => {
    expect(decideReply({ ...command, status: 'replied' }, reply('r', STREET), now)).toEqual({ kind: 'duplicate' });
    expect(decideReply({ ...command, status: 'late' }, reply('r', STREET), now)).toEqual({ kind: 'duplicate' });
  });
});

describe('CommandsService', () => {
  it('publishes the envelope at QoS 1 on the command topic, audits it and returns the reply', async () => {
    const { service, published, audits, repository, count } = setup({
      // The device answers as soon as the command is out (through ingest, on this replica).
      publish: async (_topic, payload) => {
        const { requestId } = JSON.parse(payload.toString()) as { requestId: string };
        setTimeout(
          () =>
            void service.acceptReply(reply(requestId, STREET, { result: { imageRef: 'file:///s.jpg' } }), new Date()),
          20,
        );
      },
    });
    const started = Date.now();
    const outcome = await service.send(STREET, { name: 'snapshot', params: { channel: 1 } }, admin, '10.0.0.1');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(outcome.replied).toBe(true);
    expect(outcome.command).toMatchObject({
      deviceId: STREET,
      name: 'snapshot',
      params: { channel: 1 },
      status: 'replied',
      ok: true,
      result: { imageRef: 'file:///s.jpg' },
      issuedBy: { id: 'u-1', username: 'admin' },
    });
    expect(outcome.command).not.toHaveProperty('seq');

    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe(topics.command(STREET, 'snapshot'));
    expect(published[0]!.options).toEqual({ qos: 1, retain: false });
    const decoded = decodeMessage('command', published[0]!.payload);
    expect(decoded.ok).toBe(true);
    const envelope = decoded.ok ? decoded.value : undefined;
    expect(envelope).toMatchObject({ v: 1, requestId: outcome.command.requestId, params: { channel: 1 } });
    expect(Date.parse(envelope!.expiresAt!) - Date.parse(envelope!.issuedAt)).toBe(60_000);

    expect(audits).toEqual([
      expect.objectContaining({
        actor: admin,
        action: 'devices.command',
        target: `device:${STREET}`,
        details: expect.objectContaining({ name: 'snapshot', params: { channel: 1 } }),
        ip: '10.0.0.1',
      }),
    ]);
    expect(repository.rows.get(outcome.command.requestId)!.status).toBe('replied');
    expect(await count('citywatch_commands_sent_total', 'name="snapshot"')).toBe(1);
    expect(await count('citywatch_commands_replied_total', 'name="snapshot"')).toBe(1);
  });

  it('answers pending after timeoutS when no reply comes, and finds a reply another replica recorded', async () => {
    const { service, repository } = setup();
    const pending = await service.send(STREET, { name: 'reboot', timeoutS: 1 }, admin, 'ip');
    expect(pending.replied).toBe(false);
    expect(pending.command.status).toBe('pending');
    expect(pending.command.params).toEqual({});

    // Another replica records the reply in the database; the waiting request sees it by reading the row.
    const waiting = service.send(STREET, { name: 'snapshot', timeoutS: 5 }, admin, 'ip');
    await vi.waitFor(() => expect(repository.rows.size).toBe(2));
    const second = [...repository.rows.values()][1]!;
    await new Promise((resolve) => setTimeout(resolve, 50));
    Object.assign(second, { status: 'replied', ok: false, error: 'lens covered', repliedAt: new Date().toISOString() });
    const outcome = await waiting;
    expect(outcome).toMatchObject({ replied: true, command: { status: 'replied', ok: false, error: 'lens covered' } });
  });

  it('answers a request still waiting for its reply at once when the hub stops', async () => {
    const { service, repository } = setup();
    const waiting = service.send(STREET, { name: 'snapshot', timeoutS: 20 }, admin, 'ip');
    await vi.waitFor(() => expect(repository.rows.size).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stopped = Date.now();
    service.onModuleDestroy();
    const outcome = await waiting;
    expect(Date.now() - stopped).toBeLessThan(1_000);
    expect(outcome).toMatchObject({ replied: false, command: { status: 'pending' } });
  });

  it('refuses bad commands with 400 and every reason, audited as failures, nothing published', async () => {
    const { service, published, audits, repository } = setup();
    const error = await rejection(service.send(EAGLE, { name: 'ptz_preset', params: { preset: 0 } }, admin, 'ip'));
    expect(error).toBeInstanceOf(BadRequestException);
    const body = (error as BadRequestException).getResponse() as { errors: string[]; message: string };
    expect(body.errors).toEqual([expect.stringMatching(/^\/params\/preset: /)]);
    const unknown = await rejection(service.send('23010800001320009999', { name: 'snapshot' }, admin, 'ip'));
    expect(((unknown as BadRequestException).getResponse() as { errors: string[] }).errors).toEqual([
      '/deviceId: device 23010800001320009999 is not registered',
    ]);
    expect(published).toEqual([]);
    expect(repository.rows.size).toBe(0);
    expect(audits.map((entry) => entry.outcome)).toEqual(['failure', 'failure']);
  });

  it('marks a command the broker does not take as unsent and answers 503', async () => {
    const { service, repository, count } = setup({ connected: false });
    const error = await rejection(service.send(STREET, { name: 'snapshot' }, admin, 'ip'));
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    const row = [...repository.rows.values()][0]!;
    expect(row).toMatchObject({ status: 'unsent', error: expect.stringMatching(/not connected to the broker/) });
    expect(await count('citywatch_commands_failed_total', 'name="snapshot",reason="unsent"')).toBe(1);
  });

  it('hands back a reply to an unknown request, one from another device and one the database refuses, for ingest to dead-letter', async () => {
    const { service, repository } = setup();
    const { command } = await service.send(STREET, { name: 'snapshot', timeoutS: 0 }, admin, 'ip');
    expect(await service.acceptReply(reply('never-sent', STREET), new Date())).toEqual({
      reason: 'unknown_request',
      message: 'reply to request never-sent, which the hub never sent',
      errors: ['/requestId: no command with this id'],
    });
    expect(await service.acceptReply(reply(command.requestId, EAGLE), new Date())).toEqual({
      reason: 'wrong_device',
      message: `reply to request ${command.requestId} came from device ${EAGLE}; the command went to ${STREET}`,
      errors: ['/deviceId: not the device the command went to'],
    });
    expect(repository.rows.get(command.requestId)!.status).toBe('pending');

    repository.recordReply = () => Promise.reject(new Error('unsupported Unicode escape sequence'));
    expect(await service.acceptReply(reply(command.requestId, STREET), new Date())).toEqual({
      reason: 'storage_refused',
      message: 'the database refused the command reply: unsupported Unicode escape sequence',
      errors: [],
    });
  });

  it('expires commands nobody answered, and records a reply after that as late', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { service, count } = setup();
    const { command } = await service.send(STREET, { name: 'snapshot', timeoutS: 0, expiresInS: 5 }, admin, 'ip');
    vi.setSystemTime(Date.now() + 6_000);
    expect((await service.get(STREET, command.requestId)).status).toBe('expired');
    expect(await count('citywatch_commands_expired_total', 'name="snapshot"')).toBe(1);
    expect(await service.acceptReply(reply(command.requestId, STREET), new Date())).toBeUndefined();
    expect(await service.get(STREET, command.requestId)).toMatchObject({ status: 'late', ok: true });
    expect(await count('citywatch_commands_late_replies_total', 'name="snapshot"')).toBe(1);
    expect(await count('citywatch_commands_expired_total', 'name="snapshot"')).toBe(1);
  });

  it('lists a device newest first in pages, and keeps one device from reading another one', async () => {
    const { service } = setup();
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      ids.push((await service.send(STREET, { name: 'snapshot', timeoutS: 0 }, admin, 'ip')).command.requestId);
    }
    const first = await service.list(STREET, { limit: 2 });
    expect(first.items.map((item) => item.requestId)).toEqual([ids[2], ids[1]]);
    const second = await service.list(STREET, { limit: 2, before: first.nextBefore! });
    expect(second).toEqual({ items: [expect.objectContaining({ requestId: ids[0] })], nextBefore: null });
    expect(await rejection(service.get(EAGLE, ids[0]!))).toBeInstanceOf(NotFoundException);
    expect(await rejection(service.list('23010800001320009999', { limit: 2 }))).toBeInstanceOf(NotFoundException);
  });
});
