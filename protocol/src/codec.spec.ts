import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MAX_PAST_MS,
  MAX_MQTT_PACKET_BYTES,
  MAX_PAYLOAD_BYTES,
  MESSAGES,
  MESSAGE_KINDS,
  ProtocolError,
  decodeMessage,
  encodeMessage,
  isCommandName,
  messageKindOf,
  validateCommandParams,
  validateMessage,
  type DecodeFailure,
  type DecodeResult,
  type MessageKind,
  type RejectReason,
} from './codec';
import { COMMAND_NAMES } from './payloads/command-payloads';
import { INLINE_LIMITS } from './payloads/event-payloads';
import { EXAMPLE_DEVICES, EXAMPLE_NOW, MESSAGE_EXAMPLES, TINY_JPEG_BASE64 } from './testing/message-examples';
import { TopicScheme } from './topics';

const now = EXAMPLE_NOW;
const DAY = 86_400_000;

type Loose = Record<string, unknown>;
const example = (kind: MessageKind): Loose => MESSAGE_EXAMPLES[kind]() as Loose;

function rejected(result: DecodeResult<unknown>, reason: RejectReason): DecodeFailure {
  if (result.ok) throw new Error(`expected a ${reason} rejection, but the message was accepted`);
  expect(result.reason).toBe(reason);
  expect(result.message.length).toBeGreaterThan(0);
  expect(result.errors.length).toBeGreaterThan(0);
  for (const line of result.errors) expect(line).toMatch(/^\/[^:]*: \S/);
  return result;
}

function accepted<T>(result: DecodeResult<T>): T {
  if (!result.ok) throw new Error(`expected acceptance, got ${result.reason}: ${result.errors.join('; ')}`);
  return result.value;
}

/** Validates a passage example after `change`. */
function passageWith(change: (payload: Loose) => void, options = { now }): DecodeResult<unknown> {
  const payload = example('passage');
  change(payload);
  return validateMessage('passage', payload, options);
}

/** The time field of each kind, moved to `ms`. */
function at(kind: MessageKind, ms: number): Loose {
  const payload = example(kind);
  payload[MESSAGES[kind].timeField] = new Date(ms).toISOString();
  if (kind === 'command') delete payload.expiresAt;
  return payload;
}

describe('round trips', () => {
  it('has an example for every message kind', () => {
    expect(Object.keys(MESSAGE_EXAMPLES).sort()).toEqual([...MESSAGE_KINDS].sort());
  });

  it.each(MESSAGE_KINDS)('%s: encodeMessage then decodeMessage gives the same value', (kind) => {
    const value = MESSAGE_EXAMPLES[kind]();
    const bytes = encodeMessage(kind, value, { now });
    expect(JSON.parse(bytes.toString('utf8'))).toEqual(value);
    const topicDeviceId = 'deviceId' in value ? value.deviceId : undefined;
    expect(accepted(decodeMessage(kind, bytes, { now, topicDeviceId }))).toEqual(value);
    expect(accepted(decodeMessage(kind, bytes.toString('utf8'), { now, topicDeviceId }))).toEqual(value);
  });

  it.each(MESSAGE_KINDS)('%s: decodes from a Uint8Array view into a larger buffer', (kind) => {
    const bytes = encodeMessage(kind, MESSAGE_EXAMPLES[kind](), { now });
    const pool = new Uint8Array(bytes.length + 20).fill(0x7b); // '{' around it would break a careless decoder
    pool.set(bytes, 10);
    expect(accepted(decodeMessage(kind, pool.subarray(10, 10 + bytes.length), { now }))).toEqual(
      MESSAGE_EXAMPLES[kind](),
    );
  });

  it('goes from a parsed topic to the right kind', () => {
    const scheme = new TopicScheme();
    const id = EXAMPLE_DEVICES.checkpoint;
    expect(messageKindOf(scheme.parse(scheme.status(id)))).toBe('status');
    expect(messageKindOf(scheme.parse(scheme.heartbeat(id)))).toBe('heartbeat');
    expect(messageKindOf(scheme.parse(scheme.event(id, 'passage')))).toBe('passage');
    expect(messageKindOf(scheme.parse(scheme.event(id, 'face')))).toBe('face');
    expect(messageKindOf(scheme.parse(scheme.event(id, 'incident')))).toBe('incident');
    expect(messageKindOf(scheme.parse(scheme.command(id, 'reboot')))).toBe('command');
    expect(messageKindOf(scheme.parse(scheme.commandReply(id, 'r1')))).toBe('command-reply');
  });

  it('encodeMessage throws a ProtocolError carrying the failure', () => {
    const payload = MESSAGE_EXAMPLES.passage();
    payload.laneNo = 0;
    try {
      encodeMessage('passage', payload, { now });
      throw new Error('encoded an invalid passage');
    } catch (error) {
      expect(error).toBeInstanceOf(ProtocolError);
      const failure = (error as ProtocolError).failure;
      expect(failure.reason).toBe('schema');
      expect(failure.errors[0]).toMatch(/^\/laneNo: /);
      expect((error as Error).message).toContain('/laneNo');
    }
  });

  it('encodeMessage refuses a payload that passes the schema but is over the size limit', () => {
    const payload = MESSAGE_EXAMPLES.passage();
    const big = Buffer.alloc(INLINE_LIMITS.plateImageBytes, 1).toString('base64'); // 43,692 characters each
    payload.images = [1, 2, 3, 4].map(() => ({ kind: 'plate' as const, jpegBase64: big }));
    expect(() => encodeMessage('passage', payload, { now })).toThrow(/more than the 65536 allowed/);
  });
});

describe('raw bytes', () => {
  it.each(['{"v":1,', '', 'null,', "{'v':1}", '\u00ff'])('refuses %o as invalid_json', (raw) => {
    const failure = rejected(decodeMessage('passage', raw, { now }), 'invalid_json');
    expect(failure.message).toMatch(/^payload is not valid JSON: /);
  });

  it('refuses bytes that are not UTF-8 as invalid_json', () => {
    const json = Buffer.from(JSON.stringify(example('incident')));
    const broken = Buffer.concat([json.subarray(0, 20), Buffer.from([0xc3, 0x28]), json.subarray(20)]);
    const failure = rejected(decodeMessage('incident', broken, { now }), 'invalid_json');
    expect(failure.message).toContain('not UTF-8');
  });

  it('refuses JSON of the wrong shape as schema, naming the root', () => {
    for (const raw of ['null', '[]', '42', '"passage"']) {
      const failure = rejected(decodeMessage('passage', raw, { now }), 'schema');
      expect(failure.errors[0]).toMatch(/^\/: expected object/);
    }
  });

  it.each(MESSAGE_KINDS)('%s: accepts exactly maxBytes and refuses one byte more as oversize', (kind) => {
    const json = JSON.stringify(example(kind));
    const { maxBytes } = MESSAGES[kind];
    const full = json + ' '.repeat(maxBytes - Buffer.byteLength(json));
    expect(Buffer.byteLength(full)).toBe(maxBytes);
    accepted(decodeMessage(kind, full, { now }));
    const failure = rejected(decodeMessage(kind, `${full} `, { now }), 'oversize');
    expect(failure.message).toBe(`${kind} payload is ${maxBytes + 1} bytes, more than the ${maxBytes} allowed`);
    rejected(decodeMessage(kind, Buffer.from(`${full} `), { now }), 'oversize');
  });

  it('counts bytes, not characters, for the size limit', () => {
    const payload = example('incident');
    payload.description = '违'.repeat(500); // 500 characters, 1,500 bytes
    const json = JSON.stringify(payload);
    const padded = json + ' '.repeat(MESSAGES.incident.maxBytes - json.length);
    rejected(decodeMessage('incident', padded, { now }), 'oversize');
  });
});

describe('MQTT packet size', () => {
  /** Bytes of an MQTT 5 QoS 1 PUBLISH: fixed header, topic, packet id, empty properties, payload. */
  const publishBytes = (topic: string, payloadBytes: number) => {
    const remaining = 2 + Buffer.byteLength(topic) + 2 + 1 + payloadBytes;
    const lengthBytes = remaining < 128 ? 1 : remaining < 16_384 ? 2 : remaining < 2_097_152 ? 3 : 4;
    return 1 + lengthBytes + remaining;
  };

  it('leaves room for the largest payload of every kind on a long topic, and for nothing much bigger', () => {
    expect(MAX_PAYLOAD_BYTES).toBe(MESSAGES.face.maxBytes);
    const topics = new TopicScheme(`${'district-'.repeat(20)}city/v1`);
    const device = EXAMPLE_DEVICES.face;
    for (const kind of MESSAGE_KINDS) {
      const topic = topics.commandReply(device, 'r'.repeat(64));
      expect(publishBytes(topic, MESSAGES[kind].maxBytes)).toBeLessThanOrEqual(MAX_MQTT_PACKET_BYTES);
    }
    expect(MAX_MQTT_PACKET_BYTES).toBeLessThan(MAX_PAYLOAD_BYTES * 1.05);
  });
});

describe('schema', () => {
  const requiredFields = (kind: MessageKind): string[] => (MESSAGES[kind].schema.required ?? []) as string[];

  it.each(MESSAGE_KINDS.flatMap((kind) => requiredFields(kind).map((field) => [kind, field] as const)))(
    '%s without %s is refused, naming the field',
    (kind, field) => {
      const payload = example(kind);
      delete payload[field];
      const failure = rejected(validateMessage(kind, payload, { now }), 'schema');
      expect(failure.errors).toEqual([`/${field}: required field is missing`]);
      expect(failure.message).toBe(`${kind} payload does not match the schema: /${field}: required field is missing`);
    },
  );

  it.each(MESSAGE_KINDS)('%s with an extra field is refused, naming it', (kind) => {
    const payload = example(kind);
    payload.colour = 'red';
    const failure = rejected(validateMessage(kind, payload, { now }), 'schema');
    expect(failure.errors).toEqual(['/colour: field is not allowed here']);
  });

  it.each<[MessageKind, (payload: Loose) => void, string]>([
    ['heartbeat', (p) => ((p.health as Loose).gpuPercent = 3), '/health/gpuPercent: field is not allowed here'],
    ['face', (p) => ((p.box as Loose).z = 3), '/box/z: field is not allowed here'],
    ['passage', (p) => ((p.images as Loose[])[0].url = 'x'), '/images/0/url: field is not allowed here'],
    ['command-reply', (p) => ((p.result as Loose).code = 0), '/result/code: field is not allowed here'],
  ])('%s with an extra nested field is refused', (kind, change, line) => {
    const payload = example(kind);
    change(payload);
    expect(rejected(validateMessage(kind, payload, { now }), 'schema').errors).toEqual([line]);
  });

  it.each<[MessageKind, string, unknown, RegExp]>([
    ['passage', 'laneNo', '2', /^\/laneNo: Expected integer, got "2"$/],
    ['passage', 'laneNo', 2.5, /^\/laneNo: Expected integer, got 2.5$/],
    ['passage', 'laneNo', 100, /^\/laneNo: Expected integer to be less or equal to 99, got 100$/],
    ['passage', 'speedKmh', '42', /^\/speedKmh: Expected number, got "42"$/],
    ['passage', 'speedKmh', -1, /^\/speedKmh: .*greater or equal to 0/],
    ['passage', 'plateConfidence', 1.01, /^\/plateConfidence: .*less or equal to 1/],
    ['passage', 'direction', 'north', /^\/direction: expected one of "N", "NE", .* got "north"$/],
    ['passage', 'vehicleClass', null, /^\/vehicleClass: expected one of "car", .* got null$/],
    ['passage', 'images', {}, /^\/images: expected array, got an object$/],
    ['passage', 'v', 2, /^\/v: Expected 1, got 2$/],
    ['passage', 'eventId', 'short', /^\/eventId: Expected string to match/],
    ['passage', 'tollgateId', 'TG 1', /^\/tollgateId: Expected string to match/],
    ['status', 'state', 'sleeping', /^\/state: expected one of "online", "offline", got "sleeping"$/],
    ['heartbeat', 'health', 'fine', /^\/health: expected object, got "fine"$/],
    ['heartbeat', 'seq', -1, /^\/seq: /],
    ['face', 'box', [1, 2, 3, 4], /^\/box: expected object, got an array$/],
    ['incident', 'kind', 'fire', /^\/kind: expected one of "illegal_parking", .* got "fire"$/],
    ['incident', 'description', 'x'.repeat(501), /^\/description: .*500.*, got "xxx/],
    ['command', 'params', [], /^\/params: expected object, got an array$/],
    ['command-reply', 'ok', 'yes', /^\/ok: Expected boolean, got "yes"$/],
  ])('%s with %s = %o is refused', (kind, field, value, line) => {
    const payload = example(kind);
    payload[field] = value;
    const failure = rejected(validateMessage(kind, payload, { now }), 'schema');
    expect(failure.errors[0]).toMatch(line);
    expect(failure.message).toContain(`/${field}`);
  });

  it('reports at most five problems, one per field', () => {
    const failure = rejected(
      validateMessage('passage', { v: 1, laneNo: 'x', speedKmh: 'y', a: 1, b: 2, c: 3 }, { now }),
      'schema',
    );
    expect(failure.errors).toHaveLength(5);
    expect(new Set(failure.errors.map((line) => line.split(':')[0])).size).toBe(5);
  });
});

describe('plates', () => {
  it.each([
    '黑A12345',
    '黑AD12345', // new-energy, 6 characters after the letter
    '京N8P8F8',
    '粤B1234学',
    '沪A0001警',
    '琼EF1234挂',
    '无牌',
    '未识别',
  ])('accepts %s', (plateNo) => {
    accepted(passageWith((p) => (p.plateNo = plateNo)));
  });

  it.each([
    ['黑AI2345', 'the letter I'],
    ['黑A1234O', 'the letter O'],
    ['黑I12345', 'I as the office letter'],
    ['哈A12345', 'a character that is no province'],
    ['AA12345', 'no province character'],
    ['黑a12345', 'a lower-case letter'],
    ['黑A1234', 'too short'],
    ['黑A1234567', 'too long'],
    ['黑112345', 'a digit as the office letter'],
    ['黑A 12345', 'a space'],
    ['', 'nothing'],
    ['无', 'half of 无牌'],
  ])('refuses %s (%s), explaining what a plate is', (plateNo) => {
    const failure = rejected(
      passageWith((p) => (p.plateNo = plateNo)),
      'schema',
    );
    expect(failure.errors[0]).toContain('/plateNo: expected a plate (province character');
    expect(failure.errors[0]).toContain('or one of "无牌", "未识别"');
    expect(failure.errors[0]).toContain(`got ${JSON.stringify(plateNo)}`);
  });
});

describe('timestamps', () => {
  it.each(MESSAGE_KINDS)('%s: accepts the edges of the window and refuses beyond them', (kind) => {
    accepted(validateMessage(kind, at(kind, now - DEFAULT_MAX_PAST_MS), { now }));
    accepted(validateMessage(kind, at(kind, now + DEFAULT_MAX_FUTURE_MS), { now }));
    const future = rejected(validateMessage(kind, at(kind, now + DEFAULT_MAX_FUTURE_MS + 1), { now }), 'time_window');
    const field = MESSAGES[kind].timeField;
    expect(future.message).toContain(`${field} `);
    expect(future.message).toContain('more than 300 s ahead');
    expect(future.errors).toEqual([`/${field}: too far in the future`]);
  });

  it.each(MESSAGE_KINDS.filter((kind) => kind !== 'status'))('%s: refuses a time older than 30 days', (kind) => {
    const failure = rejected(validateMessage(kind, at(kind, now - DEFAULT_MAX_PAST_MS - 1), { now }), 'time_window');
    expect(failure.message).toContain('more than 30 days in the past');
    expect(failure.errors).toEqual([`/${MESSAGES[kind].timeField}: too far in the past`]);
  });

  it('accepts an old status: retained messages and last wills carry the time the agent connected', () => {
    const status = at('status', now - 400 * DAY);
    status.state = 'offline';
    status.reason = 'last_will';
    accepted(validateMessage('status', status, { now }));
    rejected(validateMessage('status', at('status', now + DEFAULT_MAX_FUTURE_MS + 1), { now }), 'time_window');
  });

  it('honours maxPastMs and maxFutureMs', () => {
    const hourOld = at('passage', now - 3_600_000);
    accepted(validateMessage('passage', hourOld, { now }));
    rejected(validateMessage('passage', hourOld, { now, maxPastMs: 3_599_999 }), 'time_window');
    const minuteAhead = at('passage', now + 60_000);
    accepted(validateMessage('passage', minuteAhead, { now }));
    rejected(validateMessage('passage', minuteAhead, { now, maxFutureMs: 1_000 }), 'time_window');
  });

  it('compares instants, not clock readings: zones are honoured', () => {
    // 08:20:30+08:00 is 00:20:30Z, 4 min 55 s after now: accepted. 08:20:36+08:00 is past the 5 minutes.
    accepted(passageWith((p) => (p.passTime = '2026-11-27T08:20:30+08:00')));
    rejected(
      passageWith((p) => (p.passTime = '2026-11-27T08:20:36+08:00')),
      'time_window',
    );
    accepted(passageWith((p) => (p.passTime = '2026-11-26T19:15:30-05:00')));
  });

  it('uses the real clock when no now is given', () => {
    const payload = at('heartbeat', Date.now());
    accepted(validateMessage('heartbeat', payload));
    rejected(validateMessage('heartbeat', at('heartbeat', now - DEFAULT_MAX_PAST_MS - DAY)), 'time_window');
  });

  it.each([
    '2026-02-30T08:00:00Z',
    '2026-02-29T08:00:00Z', // 2026 is not a leap year
    '2100-02-29T08:00:00Z', // nor is 2100
    '2026-04-31T08:00:00Z',
    '2026-11-31T08:00:00+08:00',
    '2026-13-01T08:00:00Z',
    '2026-00-10T08:00:00Z',
    '2026-11-00T08:00:00Z',
    '2026-11-27T24:00:00Z',
    '2026-11-27T08:60:00Z',
    '2026-11-27T08:00:61Z',
    '2026-11-27T08:00:00+25:00',
  ])('refuses %s, which matches the pattern but names no real time, as schema', (passTime) => {
    const failure = rejected(
      passageWith((p) => (p.passTime = passTime)),
      'schema',
    );
    expect(failure.message).toBe(`passTime ${passTime} is not a real date and time`);
    expect(failure.errors).toEqual(['/passTime: not a real date and time']);
  });

  it.each(['2024-02-29T08:00:00Z', '2000-02-29T23:59:59.999999999Z', '2026-12-31T23:59:59+14:00'])(
    'accepts the real date %s (given a clock near it)',
    (passTime) => {
      accepted(passageWith((p) => (p.passTime = passTime), { now: Date.parse(passTime) }));
    },
  );

  it.each([
    '2026-11-27T08:15:30',
    '2026-11-27 08:15:30Z',
    '2026-11-27T08:15Z',
    '2026-11-27',
    '1764231330120',
    '2026-11-27T08:15:30.1234567890Z',
    '2026-11-27T08:15:30+0800',
  ])('refuses %s, which is not ISO 8601 with a zone, as schema', (passTime) => {
    const failure = rejected(
      passageWith((p) => (p.passTime = passTime)),
      'schema',
    );
    expect(failure.errors[0]).toMatch(/^\/passTime: /);
  });

  it('refuses a command whose expiresAt is not a real date, or not after issuedAt', () => {
    const command = example('command');
    command.expiresAt = '2026-02-30T00:00:00Z';
    expect(rejected(validateMessage('command', command, { now }), 'schema').errors).toEqual([
      '/expiresAt: not a real date and time',
    ]);
    command.expiresAt = command.issuedAt;
    expect(rejected(validateMessage('command', command, { now }), 'schema').message).toBe(
      'expiresAt must be later than issuedAt',
    );
    delete command.expiresAt;
    accepted(validateMessage('command', command, { now }));
  });
});

describe('topic and payload agreement', () => {
  const other = '23010800001219999999';

  it.each(MESSAGE_KINDS.filter((kind) => kind !== 'command'))(
    '%s naming another device than its topic is refused as device_mismatch',
    (kind) => {
      const payload = example(kind);
      const failure = rejected(validateMessage(kind, payload, { now, topicDeviceId: other }), 'device_mismatch');
      expect(failure.message).toBe(`payload deviceId ${String(payload.deviceId)} differs from the topic's ${other}`);
      expect(failure.errors).toEqual(['/deviceId: must equal the device id in the topic']);
      accepted(validateMessage(kind, payload, { now, topicDeviceId: payload.deviceId as string }));
    },
  );

  it('a command carries no device id, so the topic alone names the device', () => {
    accepted(validateMessage('command', example('command'), { now, topicDeviceId: other }));
  });

  it('checks the schema before the topic: a malformed deviceId is a schema problem', () => {
    const payload = example('passage');
    payload.deviceId = '123';
    rejected(validateMessage('passage', payload, { now, topicDeviceId: other }), 'schema');
  });
});

describe('passage images', () => {
  it('refuses an image with both ref and jpegBase64', () => {
    const failure = rejected(
      passageWith((p) => ((p.images as Loose[])[1].ref = 'plates/1.jpg')),
      'schema',
    );
    expect(failure.message).toBe('each passage image needs exactly one of ref or jpegBase64');
    expect(failure.errors).toEqual(['/images/1: exactly one of ref or jpegBase64']);
  });

  it('refuses an image with neither', () => {
    const failure = rejected(
      passageWith((p) => (p.images = [{ kind: 'scene', ref: 'a.jpg' }, { kind: 'scene' }])),
      'schema',
    );
    expect(failure.errors).toEqual(['/images/1: exactly one of ref or jpegBase64']);
  });

  it('refuses inline images other than plate crops', () => {
    const failure = rejected(
      passageWith((p) => (p.images = [{ kind: 'scene', jpegBase64: TINY_JPEG_BASE64 }])),
      'schema',
    );
    expect(failure.message).toContain('a scene image needs a ref');
    expect(failure.errors).toEqual(['/images/0/jpegBase64: only for kind plate']);
  });

  it('accepts no images, and at most four', () => {
    accepted(passageWith((p) => delete p.images));
    accepted(passageWith((p) => (p.images = [])));
    const five = Array.from({ length: 5 }, (_, i) => ({ kind: 'scene', ref: `s/${i}.jpg` }));
    expect(
      rejected(
        passageWith((p) => (p.images = five)),
        'schema',
      ).errors[0],
    ).toMatch(/^\/images: .*4/);
  });

  it('accepts an inline plate crop up to 32 KiB decoded, and refuses a longer one', () => {
    const longest = Buffer.alloc(INLINE_LIMITS.plateImageBytes, 0xab).toString('base64');
    accepted(passageWith((p) => (p.images = [{ kind: 'plate', jpegBase64: longest }])));
    const tooLong = Buffer.alloc(INLINE_LIMITS.plateImageBytes + 3, 0xab).toString('base64');
    const failure = rejected(
      passageWith((p) => (p.images = [{ kind: 'plate', jpegBase64: tooLong }])),
      'schema',
    );
    expect(failure.errors[0]).toMatch(/^\/images\/0\/jpegBase64: .*length less or equal to 43692/);
  });

  it.each([
    ['not a multiple of 4 characters', '/9j/2Q='],
    ['padding in the middle', '/9j=/2Q='],
    ['three padding characters', '/9j/2==='],
    ['base64url characters', '-9j_2Q=='],
    ['white space', '/9j/ 2Q=='],
  ])('refuses base64 with %s', (_name, jpegBase64) => {
    const failure = rejected(
      passageWith((p) => (p.images = [{ kind: 'plate', jpegBase64 }])),
      'schema',
    );
    expect(failure.errors[0]).toMatch(/^\/images\/0\/jpegBase64: Expected string to match/);
  });
});

describe('inline images of faces and incidents', () => {
  it('accepts a face crop up to 256 KiB decoded and refuses a longer one as schema, not oversize', () => {
    const face = example('face');
    face.faceJpegBase64 = Buffer.alloc(INLINE_LIMITS.faceImageBytes, 1).toString('base64');
    accepted(decodeMessage('face', JSON.stringify(face), { now }));
    face.faceJpegBase64 = Buffer.alloc(INLINE_LIMITS.faceImageBytes + 3, 1).toString('base64');
    const failure = rejected(decodeMessage('face', JSON.stringify(face), { now }), 'schema');
    expect(failure.errors[0]).toMatch(/^\/faceJpegBase64: Expected string length less or equal to 349528/);
  });

  it('accepts an incident scene up to 128 KiB decoded inline', () => {
    const incident = example('incident');
    delete incident.imageRef;
    incident.imageJpegBase64 = Buffer.alloc(INLINE_LIMITS.incidentImageBytes, 1).toString('base64');
    accepted(decodeMessage('incident', JSON.stringify(incident), { now }));
    incident.imageJpegBase64 = Buffer.alloc(INLINE_LIMITS.incidentImageBytes + 3, 1).toString('base64');
    expect(rejected(decodeMessage('incident', JSON.stringify(incident), { now }), 'schema').errors[0]).toMatch(
      /^\/imageJpegBase64: /,
    );
  });
});

describe('command params', () => {
  it.each<[string, unknown]>([
    ['snapshot', {}],
    ['snapshot', { channel: 16 }],
    ['config_update', { settings: { 'detector.threshold': 0.6, upload: true, name: 'gate 3' } }],
    ['config_update', { settings: {} }],
    ['ptz_preset', { preset: 1 }],
    ['ptz_preset', { preset: 255 }],
    ['loudspeaker', { message: '请勿在此停车' }],
    ['loudspeaker', { message: 'x'.repeat(200), repeat: 5 }],
    ['reboot', {}],
    ['reboot', { delayS: 600 }],
  ])('accepts %s %o', (name, params) => {
    expect(accepted(validateCommandParams(name, params))).toEqual(params);
  });

  it.each<[string, unknown, RegExp]>([
    ['snapshot', { channel: 0 }, /^\/channel: .*greater or equal to 1/],
    ['snapshot', { channel: 1, quality: 90 }, /^\/quality: field is not allowed here$/],
    ['snapshot', null, /^\/: expected object, got null$/],
    ['config_update', {}, /^\/settings: required field is missing$/],
    ['config_update', { settings: { '1st': 1 } }, /^\/settings\/1st: field is not allowed here$/],
    ['config_update', { settings: { 'bad key': 1 } }, /^\/settings\/bad key: field is not allowed here$/],
    [
      'config_update',
      { settings: { mode: { nested: true } } },
      /^\/settings\/mode: expected a string .* or a number or a boolean, got an object$/,
    ],
    [
      'config_update',
      { settings: { note: 'x'.repeat(257) } },
      /^\/settings\/note: expected a string at most 256 characters/,
    ],
    [
      'config_update',
      { settings: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])) },
      /^\/settings: .*64/,
    ],
    ['ptz_preset', {}, /^\/preset: required field is missing$/],
    ['ptz_preset', { preset: 256 }, /^\/preset: .*less or equal to 255/],
    ['ptz_preset', { preset: '3' }, /^\/preset: Expected integer, got "3"$/],
    ['loudspeaker', { message: '' }, /^\/message: .*length greater or equal to 1/],
    ['loudspeaker', { message: 'x'.repeat(201) }, /^\/message: .*length less or equal to 200/],
    ['loudspeaker', { message: 'hi', repeat: 6 }, /^\/repeat: /],
    ['reboot', { delayS: 601 }, /^\/delayS: /],
    ['reboot', { now: true }, /^\/now: field is not allowed here$/],
  ])('refuses %s %o', (name, params, line) => {
    const failure = rejected(validateCommandParams(name, params), 'schema');
    expect(failure.message).toMatch(new RegExp(`^params of ${name} are invalid: /`));
    expect(failure.errors[0]).toMatch(line);
  });

  it('refuses an unknown command, naming it', () => {
    const failure = rejected(validateCommandParams('self_destruct', {}), 'schema');
    expect(failure.message).toBe('unknown command "self_destruct"');
    expect(failure.errors).toEqual(['/name: not one of the known commands']);
    expect(validateCommandParams('toString', {}).ok).toBe(false);
  });

  it('knows exactly the documented command names', () => {
    for (const name of COMMAND_NAMES) expect(isCommandName(name)).toBe(true);
    expect(isCommandName('self_destruct')).toBe(false);
    expect(isCommandName('constructor')).toBe(false);
  });

  it('the command envelope accepts any params; validateCommandParams judges them', () => {
    const command = example('command');
    command.params = { anything: [1, 2, 3] };
    accepted(validateMessage('command', command, { now }));
  });
});
