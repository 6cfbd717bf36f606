import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { CommandPayload, CommandReplyPayload, COMMAND_PARAMS, type CommandName } from './payloads/command-payloads';
import { DeviceStatusPayload, HeartbeatPayload } from './payloads/device-payloads';
import { FaceEventPayload, IncidentEventPayload, PassageEventPayload } from './payloads/event-payloads';
import type { ParsedTopic } from './topics';

/** Every kind of message on the wire, with its schema, size limit and the field that dates it. */
export const MESSAGES = {
  status: { schema: DeviceStatusPayload, maxBytes: 2 * 1024, timeField: 'at' },
  heartbeat: { schema: HeartbeatPayload, maxBytes: 4 * 1024, timeField: 'at' },
  passage: { schema: PassageEventPayload, maxBytes: 64 * 1024, timeField: 'passTime' },
  face: { schema: FaceEventPayload, maxBytes: 400 * 1024, timeField: 'shotTime' },
  incident: { schema: IncidentEventPayload, maxBytes: 200 * 1024, timeField: 'at' },
  command: { schema: CommandPayload, maxBytes: 16 * 1024, timeField: 'issuedAt' },
  'command-reply': { schema: CommandReplyPayload, maxBytes: 16 * 1024, timeField: 'at' },
} as const satisfies Record<string, { schema: TSchema; maxBytes: number; timeField: string }>;

export type MessageKind = keyof typeof MESSAGES;
export type MessagePayload<K extends MessageKind> = Static<(typeof MESSAGES)[K]['schema']>;
export const MESSAGE_KINDS = Object.keys(MESSAGES) as MessageKind[];

/** Why a message was refused; these words are stored with dead letters and used as metric labels. */
export type RejectReason = 'oversize' | 'invalid_json' | 'schema' | 'time_window' | 'device_mismatch' | 'unknown_topic';

export interface DecodeFailure {
  ok: false;
  reason: RejectReason;
  /** One readable sentence. */
  message: string;
  /** Each problem found, as `path: what is wrong`. */
  errors: string[];
}
export interface DecodeSuccess<T> {
  ok: true;
  value: T;
}
export type DecodeResult<T> = DecodeSuccess<T> | DecodeFailure;

export interface DecodeOptions {
  /** The device id the topic names; the payload must carry the same. */
  topicDeviceId?: string;
  /** Clock for the time window, in ms since the epoch. */
  now?: number;
  /** How old a timestamp may be (an edge spool's backlog after an outage); default 30 days. */
  maxPastMs?: number;
  /** How far ahead of the hub's clock a timestamp may be; default 5 minutes. */
  maxFutureMs?: number;
}

export const DEFAULT_MAX_PAST_MS = 30 * 86_400_000;
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;
const MAX_ERRORS = 5;

export class ProtocolError extends Error {
  constructor(readonly failure: DecodeFailure) {
    super(failure.message);
    this.name = 'ProtocolError';
  }
}

const checkers = new Map<MessageKind, TypeCheck<TSchema>>(
  MESSAGE_KINDS.map((kind) => [kind, TypeCompiler.Compile(MESSAGES[kind].schema)]),
);
const commandParamCheckers = new Map<string, TypeCheck<TSchema>>(
  Object.entries(COMMAND_PARAMS).map(([name, schema]) => [name, TypeCompiler.Compile(schema)]),
);

function fail(reason: RejectReason, message: string, errors: string[] = []): DecodeFailure {
  return { ok: false, reason, message, errors };
}

function schemaErrors(check: TypeCheck<TSchema>, value: unknown): string[] {
  const errors: string[] = [];
  for (const error of check.Errors(value)) {
    errors.push(`${error.path || '/'}: ${error.message}`);
    if (errors.length >= MAX_ERRORS) break;
  }
  return errors;
}

/** Checks an already parsed value against a message kind: schema, then the rules a schema cannot say. */
export function validateMessage<K extends MessageKind>(
  kind: K,
  value: unknown,
  options: DecodeOptions = {},
): DecodeResult<MessagePayload<K>> {
  const check = checkers.get(kind)!;
  if (!check.Check(value)) {
    const errors = schemaErrors(check, value);
    return fail('schema', `${kind} payload does not match the schema: ${errors[0] ?? 'invalid'}`, errors);
  }
  const payload = value as Record<string, unknown>;
  if (options.topicDeviceId !== undefined && 'deviceId' in payload && payload.deviceId !== options.topicDeviceId) {
    return fail('device_mismatch', `payload deviceId ${String(payload.deviceId)} differs from the topic's ${options.topicDeviceId}`, [
      '/deviceId: must equal the device id in the topic',
    ]);
  }
  const timeField = MESSAGES[kind].timeField;
  const stamp = Date.parse(payload[timeField] as string);
  if (Number.isNaN(stamp)) {
    return fail('schema', `${timeField} is not a real date`, [`/${timeField}: not a real date`]);
  }
  const now = options.now ?? Date.now();
  if (stamp < now - (options.maxPastMs ?? DEFAULT_MAX_PAST_MS) || stamp > now + (options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS)) {
    return fail('time_window', `${timeField} ${payload[timeField] as string} is outside the accepted time window`, [
      `/${timeField}: too far in the past or the future`,
    ]);
  }
  if (kind === 'passage') {
    const images = (payload.images as { ref?: string; jpegBase64?: string }[] | undefined) ?? [];
    const bad = images.findIndex((image) => (image.ref === undefined) === (image.jpegBase64 === undefined));
    if (bad >= 0) {
      return fail('schema', 'each passage image needs exactly one of ref or jpegBase64', [`/images/${bad}: exactly one of ref or jpegBase64`]);
    }
  }
  return { ok: true, value: value as MessagePayload<K> };
}

/** Decodes raw MQTT payload bytes: size limit, JSON, schema, time window, topic/payload agreement. */
export function decodeMessage<K extends MessageKind>(
  kind: K,
  raw: Uint8Array | string,
  options: DecodeOptions = {},
): DecodeResult<MessagePayload<K>> {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  const { maxBytes } = MESSAGES[kind];
  if (size > maxBytes) {
    return fail('oversize', `${kind} payload is ${size} bytes, more than the ${maxBytes} allowed`);
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch (error) {
    return fail('invalid_json', `payload is not valid JSON: ${(error as Error).message}`);
  }
  return validateMessage(kind, value, options);
}

/** Validates and serialises a payload for publishing; throws ProtocolError on anything the hub would refuse. */
export function encodeMessage<K extends MessageKind>(kind: K, value: MessagePayload<K>, options: DecodeOptions = {}): Buffer {
  const result = validateMessage(kind, value, options);
  if (!result.ok) throw new ProtocolError(result);
  const bytes = Buffer.from(JSON.stringify(value));
  if (bytes.byteLength > MESSAGES[kind].maxBytes) {
    throw new ProtocolError(fail('oversize', `${kind} payload is ${bytes.byteLength} bytes, more than the ${MESSAGES[kind].maxBytes} allowed`));
  }
  return bytes;
}

/** Validates a command's params against that command's own schema. */
export function validateCommandParams(name: string, params: unknown): DecodeResult<Record<string, unknown>> {
  const check = commandParamCheckers.get(name);
  if (!check) return fail('schema', `unknown command "${name}"`, [`/name: not one of the known commands`]);
  if (!check.Check(params)) {
    const errors = schemaErrors(check, params);
    return fail('schema', `params of ${name} are invalid: ${errors[0] ?? 'invalid'}`, errors);
  }
  return { ok: true, value: params as Record<string, unknown> };
}

export function isCommandName(name: string): name is CommandName {
  return commandParamCheckers.has(name);
}

/** Which message kind a parsed topic carries. */
export function messageKindOf(topic: ParsedTopic): MessageKind {
  switch (topic.channel) {
    case 'status':
      return 'status';
    case 'heartbeat':
      return 'heartbeat';
    case 'event':
      return topic.kind;
    case 'command':
      return 'command';
    case 'command-reply':
      return 'command-reply';
  }
}
