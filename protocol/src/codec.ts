import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
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

/** The largest payload of any kind (a face capture with its inline crop). */
export const MAX_PAYLOAD_BYTES = Math.max(...MESSAGE_KINDS.map((kind) => MESSAGES[kind].maxBytes));
/**
 * What an MQTT PUBLISH carries besides its payload, generously: fixed header (at most 5 bytes), topic
 * (2 + its length: a root, a 20-digit device id and a channel, well under 1 KB), packet id (2) and MQTT 5
 * properties.
 */
export const MQTT_PACKET_OVERHEAD_BYTES = 8 * 1024;
/**
 * The largest MQTT packet a broker needs to accept from a device (409,600 + 8,192 = 417,792 bytes): the
 * embedded broker closes a connection that announces a bigger one, and the shipped Mosquitto and EMQX
 * configurations set the same `max_packet_size`, so no broker buffers more than this for one message.
 */
export const MAX_MQTT_PACKET_BYTES = MAX_PAYLOAD_BYTES + MQTT_PACKET_OVERHEAD_BYTES;

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
/** JSON is UTF-8 (RFC 8259); a payload that is not is refused rather than decoded with replacement characters. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

function fail(reason: RejectReason, message: string, errors: string[] = []): DecodeFailure {
  return { ok: false, reason, message, errors };
}

/** A short rendering of a received value for an error line. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** What a schema accepts, in words, for the error of a union (TypeBox only says "Expected union value"). */
function describeSchema(schema: TSchema): string {
  if ('const' in schema) return JSON.stringify(schema.const);
  if (Array.isArray(schema.anyOf)) return describeUnion(schema.anyOf as TSchema[]);
  if (typeof schema.pattern === 'string' && typeof schema.description === 'string') return schema.description;
  const limits: string[] = [];
  if (typeof schema.maxLength === 'number') limits.push(`at most ${schema.maxLength} characters`);
  if (typeof schema.pattern === 'string') limits.push(`matching ${schema.pattern}`);
  if (typeof schema.minimum === 'number' && typeof schema.maximum === 'number') {
    limits.push(`from ${schema.minimum} to ${schema.maximum}`);
  }
  const type = typeof schema.type === 'string' ? schema.type : 'value';
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}${limits.length > 0 ? ` ${limits.join(', ')}` : ''}`;
}

function describeUnion(variants: TSchema[]): string {
  const constants = variants.filter((variant) => 'const' in variant).map((variant) => JSON.stringify(variant.const));
  const others = variants.filter((variant) => !('const' in variant)).map(describeSchema);
  if (constants.length > 1) others.push(`one of ${constants.join(', ')}`);
  else others.push(...constants);
  return others.join(' or ');
}

function describeError(error: ValueError): string {
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'required field is missing';
    case ValueErrorType.ObjectAdditionalProperties:
      return 'field is not allowed here';
    case ValueErrorType.Union:
      return `expected ${describeUnion((error.schema.anyOf ?? []) as TSchema[])}, got ${shown(error.value)}`;
    case ValueErrorType.Object:
    case ValueErrorType.Array:
      return `${error.message.toLowerCase()}, got ${shown(error.value)}`;
    default:
      return error.value !== null && typeof error.value === 'object'
        ? error.message
        : `${error.message}, got ${shown(error.value)}`;
  }
}

/** Up to MAX_ERRORS lines of `path: what is wrong`, one per path (TypeBox repeats a missing field as "not an integer"). */
function schemaErrors(check: TypeCheck<TSchema>, value: unknown): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const error of check.Errors(value)) {
    const path = error.path || '/';
    if (seen.has(path)) continue;
    seen.add(path);
    errors.push(`${path}: ${describeError(error)}`);
    if (errors.length >= MAX_ERRORS) break;
  }
  return errors;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Milliseconds since the epoch of a string that already matches the Timestamp pattern, or NaN when it names
 * no real instant. Date.parse alone rolls 2026-02-30 over to 2 March and takes 24:00 as the next midnight.
 */
function timestampMs(text: string): number {
  const year = Number(text.slice(0, 4));
  const month = Number(text.slice(5, 7));
  const day = Number(text.slice(8, 10));
  const hour = Number(text.slice(11, 13));
  if (month < 1 || month > 12 || day < 1 || hour > 23) return Number.NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return Number.NaN;
  return Date.parse(text);
}

/**
 * Kinds whose time field may be older than maxPastMs. A status is retained by the broker and a last will
 * carries the time its agent connected, so an old one is normal: the hub must not dead-letter a device's
 * offline notice because the device had been connected for more than a month.
 */
const NO_PAST_LIMIT: ReadonlySet<MessageKind> = new Set<MessageKind>(['status']);

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
    return fail(
      'device_mismatch',
      `payload deviceId ${String(payload.deviceId)} differs from the topic's ${options.topicDeviceId}`,
      ['/deviceId: must equal the device id in the topic'],
    );
  }
  const timeField = MESSAGES[kind].timeField;
  const stamp = timestampMs(payload[timeField] as string);
  if (Number.isNaN(stamp)) {
    return fail('schema', `${timeField} ${payload[timeField] as string} is not a real date and time`, [
      `/${timeField}: not a real date and time`,
    ]);
  }
  const now = options.now ?? Date.now();
  const maxPastMs = options.maxPastMs ?? DEFAULT_MAX_PAST_MS;
  const maxFutureMs = options.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS;
  if (stamp > now + maxFutureMs) {
    return fail(
      'time_window',
      `${timeField} ${payload[timeField] as string} is more than ${maxFutureMs / 1000} s ahead of the hub's clock`,
      [`/${timeField}: too far in the future`],
    );
  }
  if (stamp < now - maxPastMs && !NO_PAST_LIMIT.has(kind)) {
    return fail(
      'time_window',
      `${timeField} ${payload[timeField] as string} is more than ${maxPastMs / 86_400_000} days in the past`,
      [`/${timeField}: too far in the past`],
    );
  }
  if (kind === 'command' && payload.expiresAt !== undefined) {
    const expires = timestampMs(payload.expiresAt as string);
    if (Number.isNaN(expires)) {
      return fail('schema', `expiresAt ${payload.expiresAt as string} is not a real date and time`, [
        '/expiresAt: not a real date and time',
      ]);
    }
    if (expires <= stamp) {
      return fail('schema', 'expiresAt must be later than issuedAt', ['/expiresAt: not later than issuedAt']);
    }
  }
  if (kind === 'passage') {
    const images = (payload.images as { kind: string; ref?: string; jpegBase64?: string }[] | undefined) ?? [];
    for (let index = 0; index < images.length; index++) {
      const image = images[index];
      if ((image.ref === undefined) === (image.jpegBase64 === undefined)) {
        return fail('schema', 'each passage image needs exactly one of ref or jpegBase64', [
          `/images/${index}: exactly one of ref or jpegBase64`,
        ]);
      }
      if (image.jpegBase64 !== undefined && image.kind !== 'plate') {
        return fail('schema', `only plate images may travel inline; a ${image.kind} image needs a ref`, [
          `/images/${index}/jpegBase64: only for kind plate`,
        ]);
      }
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
    return fail('oversize', `${kind} payload is ${size} bytes, more than the ${maxBytes} allowed`, [
      `/: ${size} bytes, at most ${maxBytes}`,
    ]);
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : utf8.decode(raw));
  } catch (error) {
    const message = error instanceof TypeError ? 'not UTF-8' : (error as Error).message;
    return fail('invalid_json', `payload is not valid JSON: ${message}`, [`/: ${message}`]);
  }
  return validateMessage(kind, value, options);
}

/** Validates and serialises a payload for publishing; throws ProtocolError on anything the hub would refuse. */
export function encodeMessage<K extends MessageKind>(
  kind: K,
  value: MessagePayload<K>,
  options: DecodeOptions = {},
): Buffer {
  const result = validateMessage(kind, value, options);
  if (!result.ok) throw new ProtocolError(result);
  const bytes = Buffer.from(JSON.stringify(value));
  if (bytes.byteLength > MESSAGES[kind].maxBytes) {
    throw new ProtocolError(
      fail(
        'oversize',
        `${kind} payload is ${bytes.byteLength} bytes, more than the ${MESSAGES[kind].maxBytes} allowed`,
      ),
    );
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
