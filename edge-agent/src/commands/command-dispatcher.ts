import {
  COMMAND_NAMES,
  decodeMessage,
  isCommandName,
  TopicError,
  validateCommandParams,
  type CommandParams,
  type CommandReplyPayload,
  type TopicScheme,
} from '@citywatch/protocol';
import { silentLogger, type Logger } from '../util/logger';
import type { DeviceControls, DeviceSettings, SettingValue } from './device-controls';

export type CommandReply = Omit<CommandReplyPayload, 'v' | 'deviceId' | 'at'>;

export interface CommandTarget {
  deviceId: string;
  kind: string;
  controls: DeviceControls;
  settings: DeviceSettings;
  reply(reply: CommandReply): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9_-]{1,64}$/;
const REMEMBERED_REQUESTS = 200;

/**
 * Turns command messages into calls on a device's controls and publishes one reply per request:
 * `ok: true` with a result, or `ok: false` with a readable error. Malformed, expired and unknown
 * commands get an error reply whenever their requestId can be read; a redelivered request
 * (same requestId) is answered again without running twice.
 */
export class CommandDispatcher {
  private readonly answered = new Map<string, CommandReply>();
  private readonly logger: Logger;

  constructor(
    private readonly topics: TopicScheme,
    logger: Logger = silentLogger,
    private readonly clock: () => number = Date.now,
  ) {
    this.logger = logger;
  }

  async handle(target: CommandTarget, topic: string, raw: Buffer): Promise<CommandReply | undefined> {
    const log = this.logger.child({ deviceId: target.deviceId });
    let name: string;
    try {
      const parsed = this.topics.parse(topic);
      if (parsed.channel !== 'command' || parsed.deviceId !== target.deviceId)
        throw new TopicError('not a command for this device', topic);
      name = parsed.name;
    } catch (error) {
      log.warn('ignored a message on an unexpected topic', { topic, error });
      return undefined;
    }

    const decoded = decodeMessage('command', raw, { now: this.clock() });
    if (!decoded.ok) {
      const requestId = readableRequestId(raw);
      log.warn('malformed command', { command: name, requestId, reason: decoded.reason, errors: decoded.errors });
      if (requestId === undefined) return undefined;
      return this.send(target, requestId, { requestId, ok: false, error: `malformed command: ${decoded.message}` });
    }
    const command = decoded.value;
    const requestId = command.requestId;
    const earlier = this.answered.get(`${target.deviceId}/${requestId}`);
    if (earlier) {
      await target.reply(earlier);
      return earlier;
    }
    if (command.expiresAt !== undefined && Date.parse(command.expiresAt) < this.clock()) {
      return this.send(target, requestId, { requestId, ok: false, error: `command expired at ${command.expiresAt}` });
    }
    if (!isCommandName(name)) {
      return this.send(target, requestId, {
        requestId,
        ok: false,
        error: `unknown command "${name}"; this agent knows ${COMMAND_NAMES.join(', ')}`,
      });
    }
    const params = validateCommandParams(name, command.params);
    if (!params.ok) {
      return this.send(target, requestId, { requestId, ok: false, error: params.message });
    }

    let afterReply: (() => Promise<void>) | undefined;
    let reply: CommandReply;
    try {
      const outcome = await this.run(target, name, params.value as never);
      reply = { requestId, ok: true, result: outcome.result };
      afterReply = outcome.afterReply;
    } catch (error) {
      reply = { requestId, ok: false, error: truncate((error as Error).message || String(error), 500) };
    }
    log.info('command handled', { command: name, requestId, ok: reply.ok, error: reply.error });
    await this.send(target, requestId, reply);
    if (afterReply) {
      afterReply().catch((error: unknown) =>
        log.error('command follow-up failed', { command: name, requestId, error }),
      );
    }
    return reply;
  }

  private async run<K extends (typeof COMMAND_NAMES)[number]>(
    target: CommandTarget,
    name: K,
    params: CommandParams[K],
  ): Promise<{ result?: CommandReply['result']; afterReply?: () => Promise<void> }> {
    const { controls } = target;
    const lacks = (what: string) => new Error(`device ${target.deviceId} (${target.kind}) has no ${what}`);
    switch (name) {
      case 'snapshot': {
        if (!controls.snapshot) throw lacks('snapshot capability');
        const { channel } = params as CommandParams['snapshot'];
        const { imageRef } = await controls.snapshot(channel ?? 1);
        return { result: { imageRef } };
      }
      case 'config_update': {
        const { settings } = params as CommandParams['config_update'];
        const message = await target.settings.apply(settings as Record<string, SettingValue>);
        return { result: { message } };
      }
      case 'ptz_preset': {
        if (!controls.gotoPreset) throw lacks('PTZ control');
        return { result: { message: await controls.gotoPreset((params as CommandParams['ptz_preset']).preset) } };
      }
      case 'loudspeaker': {
        if (!controls.speak) throw lacks('loudspeaker');
        const { message, repeat } = params as CommandParams['loudspeaker'];
        return { result: { message: await controls.speak(message, repeat ?? 1) } };
      }
      case 'reboot': {
        const reboot = controls.reboot;
        if (!reboot) throw lacks('remote reboot');
        const delayS = (params as CommandParams['reboot']).delayS ?? 0;
        return {
          result: { message: `rebooting in ${delayS} s` },
          afterReply: () => reboot.call(controls, delayS),
        };
      }
    }
    throw new Error(`unknown command "${String(name)}"`);
  }

  private async send(target: CommandTarget, requestId: string, reply: CommandReply): Promise<CommandReply> {
    const key = `${target.deviceId}/${requestId}`;
    this.answered.set(key, reply);
    if (this.answered.size > REMEMBERED_REQUESTS) this.answered.delete(this.answered.keys().next().value as string);
    try {
      await target.reply(reply);
    } catch (error) {
      this.logger.warn('command reply not sent', { deviceId: target.deviceId, requestId, error });
    }
    return reply;
  }
}

/** The requestId of a command that failed validation, if its JSON still carries a usable one. */
function readableRequestId(raw: Buffer): string | undefined {
  try {
    const value = JSON.parse(raw.toString('utf8')) as { requestId?: unknown };
    return typeof value.requestId === 'string' && REQUEST_ID.test(value.requestId) ? value.requestId : undefined;
  } catch {
    return undefined;
  }
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
