/**
 * Keeps docs/protocol.md true: its generated tables must be current, and every example in it must be accepted
 * (or, where it says so, refused for the reason and with the errors it shows).
 *
 * Markers in the doc, each followed by a ```json block:
 *   <!-- example: KIND now=ISO -->            a message the hub accepts at that clock
 *   <!-- rejected: REASON KIND now=ISO -->    a message refused for REASON; the next ```text block shows
 *                                             `reason: REASON` and the error lines, exactly
 *   <!-- example: params COMMAND -->          params that validateCommandParams accepts
 *   <!-- example: registry-import -->         a RegistryImport body
 *   <!-- example: live-passage -->            a LivePassage (socket.io passage:new)
 *   <!-- example: device-status-change -->    a DeviceStatusChange (socket.io device:status)
 * Every mosquitto_pub in a ```sh block goes, as written (with $NOW and $LATER filled in), through the topic parser
 * and the decoder; it must sign in as the device it speaks for, with the secret the registry import gives it, and be
 * accepted unless the block is marked <!-- shell: rejected REASON -->. Commands are published by the hub's side:
 * on an outside broker (port 1883) with the hub's login (`-u citywatch-hub -P "$MQTT_PASSWORD"`).
 * The socket.io tables after <!-- socket-events: server|client --> must list exactly the events of the types.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { describe, expect, it } from 'vitest';
import { blockNames, generatedBlocks, regenerate } from '../scripts/schema-tables';
import { RegistryImport } from './api/registry';
import {
  MESSAGE_KINDS,
  decodeMessage,
  messageKindOf,
  validateCommandParams,
  validateMessage,
  type DecodeResult,
  type MessageKind,
} from './codec';
import { isDeviceId } from './device-id';
import { COMMAND_NAMES } from './payloads/command-payloads';
import { SOCKET_EVENTS, type ClientToServerEvents } from './socket-events';
import { DEFAULT_TOPIC_ROOT, TOPIC_POLICY, TopicScheme } from './topics';

const docPath = resolve(__dirname, '../../docs/protocol.md');

/** Every event a console may send; the type makes this list fail to compile when one is added or removed. */
const CLIENT_EVENTS: Record<keyof ClientToServerEvents, true> = {
  ping: true,
  'alerts:sync': true,
  'alert:claim': true,
  'alert:assign': true,
  'alert:resolve': true,
  'alert:false-alarm': true,
  'alert:reopen': true,
  'alert:comment': true,
};
const doc = readFileSync(docPath, 'utf8');
const registryCheck = TypeCompiler.Compile(RegistryImport);

interface Fenced {
  language: string;
  body: string;
  /** The HTML comment marker directly before the block (blank lines between allowed), if any. */
  marker?: string;
  line: number;
}

function fencedBlocks(text: string): Fenced[] {
  const lines = text.split('\n');
  const blocks: Fenced[] = [];
  let marker: string | undefined;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const comment = /^<!-- ((?:example|rejected|shell): [^>]*?) -->$/.exec(line);
    if (comment) {
      marker = comment[1];
      continue;
    }
    const open = /^```(\w*)$/.exec(line);
    if (open) {
      const start = index;
      const body: string[] = [];
      for (index++; index < lines.length && lines[index] !== '```'; index++) body.push(lines[index]);
      blocks.push({ language: open[1], body: body.join('\n'), marker, line: start + 1 });
      marker = undefined;
      continue;
    }
    if (line.trim() !== '') marker = undefined;
  }
  return blocks;
}

const blocks = fencedBlocks(doc);
const parseNow = (marker: string) => {
  const match = /now=(\S+)/.exec(marker);
  if (!match) throw new Error(`marker "${marker}" has no now=`);
  return Date.parse(match[1]);
};
const where = (block: Fenced) => `docs/protocol.md line ${block.line}`;

function accepted(result: DecodeResult<unknown>, block: Fenced): void {
  if (!result.ok) throw new Error(`${where(block)}: refused (${result.reason}): ${result.errors.join('; ')}`);
}

describe('docs/protocol.md', () => {
  it('has current generated tables, for every message kind and command', () => {
    const names = blockNames(doc);
    for (const kind of MESSAGE_KINDS) expect(names).toContain(`fields ${kind}`);
    for (const name of COMMAND_NAMES) expect(names).toContain(`params ${name}`);
    expect(names.sort()).toEqual(Object.keys(generatedBlocks()).sort());
    expect(
      regenerate(doc) === doc,
      'docs/protocol.md is stale: run npx tsx protocol/scripts/update-protocol-doc.ts',
    ).toBe(true);
  });

  it('marks every JSON block, so none escapes checking', () => {
    const unmarked = blocks.filter((block) => block.language === 'json' && block.marker === undefined);
    expect(unmarked.map(where)).toEqual([]);
  });

  const messageExamples = blocks.filter(
    (block) =>
      block.marker?.startsWith('example: ') &&
      !/^example: (params|registry-import|live-passage|device-status-change)/.test(block.marker),
  );

  it('has an accepted example of every message kind', () => {
    const kinds = new Set(messageExamples.map((block) => block.marker!.split(' ')[1]));
    expect([...kinds].sort()).toEqual([...MESSAGE_KINDS].sort());
  });

  it.each(messageExamples.map((block) => [`${block.marker} (line ${block.line})`, block] as const))(
    'accepts %s',
    (_name, block) => {
      const kind = block.marker!.split(' ')[1] as MessageKind;
      expect(MESSAGE_KINDS).toContain(kind);
      const value = JSON.parse(block.body) as Record<string, unknown>;
      const topicDeviceId = typeof value.deviceId === 'string' ? value.deviceId : undefined;
      accepted(decodeMessage(kind, block.body, { now: parseNow(block.marker!), topicDeviceId }), block);
    },
  );

  const rejectedExamples = blocks.filter((block) => block.marker?.startsWith('rejected: '));

  it.each(rejectedExamples.map((block) => [`${block.marker} (line ${block.line})`, block] as const))(
    'refuses %s exactly as shown',
    (_name, block) => {
      const [, reason, kind] = block.marker!.split(' ');
      const result = validateMessage(kind as MessageKind, JSON.parse(block.body), { now: parseNow(block.marker!) });
      if (result.ok) throw new Error(`${where(block)}: accepted, but the doc says it is refused`);
      const shown = blocks[blocks.indexOf(block) + 1];
      expect(shown.language).toBe('text');
      expect(shown.body).toBe([`reason: ${result.reason}`, ...result.errors].join('\n'));
      expect(result.reason).toBe(reason);
    },
  );

  it.each(
    blocks
      .filter((block) => block.marker?.startsWith('example: params '))
      .map((block) => [block.marker!, block] as const),
  )('accepts %s', (marker, block) => {
    accepted(validateCommandParams(marker.split(' ')[2], JSON.parse(block.body)), block);
  });

  it('documents params for every command', () => {
    const documented = blocks
      .filter((block) => block.marker?.startsWith('example: params '))
      .map((block) => block.marker!.split(' ')[2]);
    expect(documented.sort()).toEqual([...COMMAND_NAMES].sort());
  });

  const registryBlock = blocks.find((block) => block.marker === 'example: registry-import');

  it('shows a valid registry import, the same as the curl body', () => {
    expect(registryBlock).toBeDefined();
    const body = JSON.parse(registryBlock!.body) as unknown;
    expect([...registryCheck.Errors(body)].map((error) => `${error.path}: ${error.message}`)).toEqual([]);
    const curl = blocks
      .flatMap((block) => (block.language === 'sh' ? block.body.split('\n') : []))
      .filter((line) => line.startsWith('curl -X POST http://localhost:8080/api/registry/import '));
    expect(curl).toHaveLength(1);
    expect(curl[0]).toContain('-H "authorization: Bearer $TOKEN"');
    expect(curl[0]).toContain("-H 'content-type: application/json'");
    const data = /-d '([^']*)'$/.exec(curl[0]);
    expect(data).not.toBeNull();
    expect(JSON.parse(data![1])).toEqual(body);
  });

  it('lists every socket.io event, each way', () => {
    const table = (marker: string) => {
      const start = doc.indexOf(`<!-- socket-events: ${marker} -->`);
      expect(start).toBeGreaterThan(0);
      const rows = doc.slice(start).split('\n\n')[1].split('\n').slice(2);
      return rows.map((row) => /^\| `([^`]+)`/.exec(row)?.[1]).sort();
    };
    expect(table('server')).toEqual(Object.values(SOCKET_EVENTS).sort());
    expect(table('client')).toEqual(Object.keys(CLIENT_EVENTS).sort());
  });

  it('shows a LivePassage that is a stored passage without v, images and charConfidences', () => {
    const block = blocks.find((candidate) => candidate.marker === 'example: live-passage');
    expect(block).toBeDefined();
    const { storedAt, ...passage } = JSON.parse(block!.body) as Record<string, unknown>;
    expect(typeof storedAt).toBe('string');
    expect(passage).not.toHaveProperty('v');
    expect(passage).not.toHaveProperty('images');
    expect(passage).not.toHaveProperty('charConfidences');
    accepted(validateMessage('passage', { v: 1, ...passage }, { now: Date.parse(storedAt as string) }), block!);
  });

  it('shows a plausible DeviceStatusChange', () => {
    const block = blocks.find((candidate) => candidate.marker === 'example: device-status-change');
    expect(block).toBeDefined();
    const change = JSON.parse(block!.body) as Record<string, unknown>;
    expect(Object.keys(change).sort()).toEqual(['at', 'deviceId', 'kind', 'reason', 'state']);
    expect(isDeviceId(change.deviceId)).toBe(true);
    expect(['online', 'offline']).toContain(change.state);
    expect(Number.isNaN(Date.parse(change.at as string))).toBe(false);
    expect(['startup', 'shutdown', 'last_will', 'reconnect', 'heartbeat_timeout', 'heartbeat']).toContain(
      change.reason,
    );
  });

  describe('mosquitto examples', () => {
    const SHELL_NOW = '2026-11-27T00:15:30Z';
    /** `$LATER` in the examples: a minute after `$NOW` (`date -u -d '+1 minute' ...`). */
    const SHELL_LATER = '2026-11-27T00:16:30Z';
    /** The hub's own login at an outside broker (MQTT_USERNAME / MQTT_PASSWORD), as docs/operations.md sets it up. */
    const HUB_LOGIN = /^mosquitto_(pub|sub) -h localhost -p 1883 -u citywatch-hub -P "\$MQTT_PASSWORD" /;
    const scheme = new TopicScheme(DEFAULT_TOPIC_ROOT);
    const secrets = new Map(
      (
        JSON.parse(registryBlock?.body ?? '{"devices":[]}') as { devices: { id: string; secret?: string }[] }
      ).devices.map((device) => [device.id, device.secret] as const),
    );
    const commands = blocks
      .filter((block) => block.language === 'sh')
      .flatMap((block) =>
        block.body
          .replace(/\\\n\s*/g, '')
          .split('\n')
          .filter((line) => line.startsWith('mosquitto_'))
          .map((line) => ({ line, block })),
      );

    it('exist for a passage, a status, a heartbeat, a face, an incident, a command and a command reply', () => {
      const kinds = commands
        .filter(({ line }) => line.startsWith('mosquitto_pub '))
        .map(({ line }) => messageKindOf(scheme.parse(/-t '([^']+)'/.exec(line)![1])));
      for (const kind of ['passage', 'status', 'heartbeat', 'face', 'incident', 'command', 'command-reply'] as const) {
        expect(kinds).toContain(kind);
      }
    });

    it.each(commands.map(({ line, block }) => [line.slice(0, 100), line, block] as const))(
      '%s...',
      (_name, line, block) => {
        const topic = /-t '([^']+)'/.exec(line)?.[1];
        expect(topic).toBeDefined();
        const hub = HUB_LOGIN.exec(line);
        if (hub) {
          // The hub's side: it publishes commands and listens for replies.
          if (hub[1] === 'sub') {
            expect(scheme.parse(topic!.replace(/\/\+$/, '/x')).channel).toBe('command-reply');
            return;
          }
          expect(scheme.parse(topic!).channel).toBe('command');
        } else {
          // Every other client signs in as a registered device (on the embedded broker or an outside one), with
          // the secret the import gave it.
          const login = /^mosquitto_(pub|sub) -h localhost -p (?:11883|1883) -u ([0-9]{20}) -P (\S+) /.exec(line);
          expect(login).not.toBeNull();
          const [, tool, username, password] = login!;
          expect(secrets.get(username)).toBe(password);
          if (tool === 'sub') {
            // A device listens for its own commands, nothing else.
            expect(topic).toBe(scheme.deviceCommandSubscription(username));
            return;
          }
          const own = scheme.parse(topic!);
          expect(own.deviceId).toBe(username);
          // Only the hub sends commands.
          expect(own.channel).not.toBe('command');
        }
        const parsed = scheme.parse(topic!);
        const policy = TOPIC_POLICY[parsed.channel];
        expect(line).toContain(` -q ${policy.qos} `);
        expect(/ -r /.test(line)).toBe(policy.retain);
        const payload = /-m '(.*)'$/
          .exec(line)?.[1]
          ?.replaceAll(`'"$NOW"'`, SHELL_NOW)
          .replaceAll(`'"$LATER"'`, SHELL_LATER);
        expect(payload).toBeDefined();
        expect(payload).not.toContain("'");
        const result = decodeMessage(messageKindOf(parsed), payload!, {
          now: Date.parse(SHELL_NOW) + 2_000,
          topicDeviceId: parsed.deviceId,
        });
        const expectRefusal = /^shell: rejected (\w+)$/.exec(block.marker ?? '');
        if (expectRefusal) {
          expect(result.ok).toBe(false);
          expect(!result.ok && result.reason).toBe(expectRefusal[1]);
        } else {
          accepted(result, block);
        }
      },
    );
  });
});
