import { describe, expect, it } from 'vitest';
import { makeDeviceId } from './device-id';
import { DEFAULT_TOPIC_ROOT, EVENT_KINDS, TOPIC_POLICY, TopicError, TopicScheme, type ParsedTopic } from './topics';

const deviceId = makeDeviceId({ kind: 'checkpoint', serial: 42 });

function parseError(scheme: TopicScheme, topic: string): TopicError {
  try {
    scheme.parse(topic);
  } catch (error) {
    expect(error).toBeInstanceOf(TopicError);
    return error as TopicError;
  }
  throw new Error(`"${topic}" was accepted`);
}

describe.each([DEFAULT_TOPIC_ROOT, 'test-abc/v1', 'pingfang/city/v12'])('TopicScheme with root %s', (root) => {
  const scheme = new TopicScheme(root);

  const cases: [string, string, ParsedTopic][] = [
    ['status', scheme.status(deviceId), { channel: 'status', deviceId }],
    ['heartbeat', scheme.heartbeat(deviceId), { channel: 'heartbeat', deviceId }],
    ...EVENT_KINDS.map((kind): [string, string, ParsedTopic] => [
      `event ${kind}`,
      scheme.event(deviceId, kind),
      { channel: 'event', deviceId, kind },
    ]),
    ['command', scheme.command(deviceId, 'ptz_preset'), { channel: 'command', deviceId, name: 'ptz_preset' }],
    [
      'command reply',
      scheme.commandReply(deviceId, 'Req_01-abc'),
      { channel: 'command-reply', deviceId, requestId: 'Req_01-abc' },
    ],
  ];

  it.each(cases)('%s round-trips through parse', (_name, topic, parsed) => {
    expect(topic.startsWith(`${root}/${deviceId}/`)).toBe(true);
    expect(scheme.parse(topic)).toEqual(parsed);
  });

  it('builds the documented topic strings', () => {
    expect(scheme.status(deviceId)).toBe(`${root}/${deviceId}/status`);
    expect(scheme.event(deviceId, 'passage')).toBe(`${root}/${deviceId}/events/passage`);
    expect(scheme.command(deviceId, 'reboot')).toBe(`${root}/${deviceId}/cmd/reboot`);
    expect(scheme.commandReply(deviceId, 'r1')).toBe(`${root}/${deviceId}/cmd-reply/r1`);
  });

  it('subscription filters cover every device-sent channel and nothing sent to devices', () => {
    const filters = scheme.hubSubscriptions();
    expect(filters).toEqual([`${root}/+/status`, `${root}/+/heartbeat`, `${root}/+/events/+`, `${root}/+/cmd-reply/+`]);
    expect(scheme.deviceCommandSubscription(deviceId)).toBe(`${root}/${deviceId}/cmd/+`);
    expect(scheme.devicePrefix(deviceId)).toBe(`${root}/${deviceId}`);
  });

  it('rejects a topic under a foreign root, naming the expected root', () => {
    const error = parseError(scheme, `other/v1/${deviceId}/status`);
    expect(error.message).toContain(`not under the root "${root}"`);
    expect(error.topic).toBe(`other/v1/${deviceId}/status`);
  });

  it('rejects the right root with another version', () => {
    const other = root.replace(/v[0-9]+$/, 'v2');
    expect(parseError(scheme, `${other}/${deviceId}/status`).message).toContain('not under the root');
  });

  it.each([
    ['19 digits', deviceId.slice(1)],
    ['21 digits', `${deviceId}0`],
    ['letters', `${deviceId.slice(0, 19)}A`],
    ['a wildcard', '+'],
    ['nothing', ''],
  ])('rejects a device id with %s', (_name, badId) => {
    const error = parseError(scheme, `${root}/${badId}/status`);
    expect(error.message).toContain('no valid 20-digit device id');
    expect(error.message).toContain(`got "${badId}"`);
  });

  it('rejects the bare root', () => {
    expect(parseError(scheme, root).message).toContain('no valid 20-digit device id');
  });

  it('rejects an unknown event kind, listing the known ones', () => {
    const error = parseError(scheme, `${root}/${deviceId}/events/parking`);
    expect(error.message).toContain('unknown event kind "parking"');
    expect(error.message).toContain('passage, face, incident');
    expect(parseError(scheme, `${root}/${deviceId}/events`).message).toContain('unknown event kind ""');
  });

  it.each([`/status/extra`, `/heartbeat/1`, `/events/passage/2`, `/cmd/reboot/now`, `/cmd-reply/r1/x`, `/status/`])(
    'rejects extra levels: ...%s',
    (suffix) => {
      expect(parseError(scheme, `${root}/${deviceId}${suffix}`).message).toContain('too many levels');
    },
  );

  it('rejects unknown channels, bad command names and bad request ids', () => {
    expect(parseError(scheme, `${root}/${deviceId}/state`).message).toContain('unknown channel "state"');
    expect(parseError(scheme, `${root}/${deviceId}`).message).toContain('unknown channel ""');
    expect(parseError(scheme, `${root}/${deviceId}/cmd/Reboot`).message).toContain('bad command name "Reboot"');
    expect(parseError(scheme, `${root}/${deviceId}/cmd`).message).toContain('bad command name ""');
    expect(parseError(scheme, `${root}/${deviceId}/cmd-reply/a.b`).message).toContain('bad request id "a.b"');
  });

  it('refuses to build topics from bad parts', () => {
    expect(() => scheme.status('123')).toThrow(/device id must be 20 digits, got "123"/);
    expect(() => scheme.event('', 'face')).toThrow(TopicError);
    expect(() => scheme.command(deviceId, 'cmd/x')).toThrow(/bad command name "cmd\/x"/);
    expect(() => scheme.command(deviceId, '+')).toThrow(TopicError);
    expect(() => scheme.commandReply(deviceId, 'x'.repeat(65))).toThrow(/bad request id/);
    expect(() => scheme.commandReply(deviceId, '#')).toThrow(TopicError);
  });
});

describe('TopicScheme roots', () => {
  it('defaults to city/v1', () => {
    expect(new TopicScheme().root).toBe('city/v1');
  });

  it('does not confuse a root with one that extends it', () => {
    const scheme = new TopicScheme('city/v1');
    expect(() => scheme.parse(`city/v10/${deviceId}/status`)).toThrow(/not under the root "city\/v1"/);
    expect(() => scheme.parse(`xcity/v1/${deviceId}/status`)).toThrow(/not under the root/);
    expect(() => new TopicScheme('test-abc/v1').parse(`city/v1/${deviceId}/status`)).toThrow(
      /not under the root "test-abc\/v1"/,
    );
  });

  it.each(['city', 'city/v1/', '/city/v1', 'city/+/v1', 'city/#', 'city v1/v1', 'city/V1', ''])(
    'refuses the root "%s"',
    (root) => {
      expect(() => new TopicScheme(root)).toThrow(/topic root must be plain segments ending in a version/);
    },
  );
});

describe('TOPIC_POLICY', () => {
  it('retains only status, and sends everything but heartbeats at QoS 1', () => {
    expect(TOPIC_POLICY).toEqual({
      status: { qos: 1, retain: true },
      heartbeat: { qos: 0, retain: false },
      event: { qos: 1, retain: false },
      command: { qos: 1, retain: false },
      'command-reply': { qos: 1, retain: false },
    });
  });
});
