/**
 * Markdown tables of the wire contract, made from the TypeBox schemas and the topic policy, so that
 * docs/protocol.md cannot drift from the code. The blocks between
 *   <!-- generated: NAME -->  and  <!-- end generated -->
 * in the doc are these tables; `npx tsx protocol/scripts/update-protocol-doc.ts` rewrites them and a unit test
 * (protocol/src/protocol-doc.spec.ts) fails when they are stale.
 */
import type { TSchema } from '@sinclair/typebox';
import { DEFAULT_MAX_FUTURE_MS, DEFAULT_MAX_PAST_MS, MESSAGES, type MessageKind } from '../src/codec';
import { DEVICE_ID_PATTERN, DEVICE_KINDS, DEVICE_TYPE_CODES } from '../src/device-id';
import { COMMAND_NAMES, COMMAND_PARAMS } from '../src/payloads/command-payloads';
import { BASE64_PATTERN, Timestamp } from '../src/payloads/common';
import { PLATE_PATTERN, UNREADABLE_PLATES } from '../src/payloads/event-payloads';
import { RegistryImport } from '../src/api/registry';
import { DEFAULT_TOPIC_ROOT, TOPIC_POLICY, TopicScheme, type TopicChannel } from '../src/topics';

const code = (text: string | number | boolean) => `\`${String(text)}\``;
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function bytes(count: number): string {
  return count % 1024 === 0 ? `${count / 1024} KiB` : `${count.toLocaleString('en-US')} bytes`;
}

function range(schema: TSchema): string | undefined {
  const { minimum, maximum } = schema as { minimum?: number; maximum?: number };
  const show = (value: number) =>
    Number.isSafeInteger(value) && value >= 10_000 ? value.toLocaleString('en-US') : String(value);
  if (minimum !== undefined && maximum !== undefined) return `${show(minimum)} to ${show(maximum)}`;
  if (minimum !== undefined) return `at least ${show(minimum)}`;
  if (maximum !== undefined) return `at most ${show(maximum)}`;
  return undefined;
}

function lengths(schema: TSchema): string | undefined {
  const { minLength, maxLength } = schema as { minLength?: number; maxLength?: number };
  if (minLength !== undefined && maxLength !== undefined) return `${minLength} to ${maxLength} characters`;
  if (maxLength !== undefined) return `at most ${maxLength} characters`;
  if (minLength !== undefined) return `at least ${minLength} characters`;
  return undefined;
}

function isConst(schema: TSchema): boolean {
  return 'const' in schema;
}

/** Type and limits of a schema that is not an object or array of objects. */
function describeLeaf(schema: TSchema): { type: string; limits: string } {
  if (isConst(schema))
    return {
      type: typeof schema.const === 'number' ? 'integer' : 'string',
      limits: `always ${code(JSON.stringify(schema.const))}`,
    };
  if (Array.isArray(schema.anyOf)) {
    const flatten = (list: TSchema[]): TSchema[] =>
      list.flatMap((variant) => (Array.isArray(variant.anyOf) ? flatten(variant.anyOf as TSchema[]) : [variant]));
    const variants = flatten(schema.anyOf as TSchema[]);
    const constants = variants.filter(isConst).map((variant) => code(String(variant.const)));
    const others = variants.filter((variant) => !isConst(variant)).map((variant) => describeLeaf(variant));
    const parts = others.map((other) => `${other.type}${other.limits ? ` (${other.limits})` : ''}`);
    if (constants.length > 0) parts.push(`one of ${constants.join(', ')}`);
    const types = new Set([
      ...others.map((other) => other.type),
      ...variants.filter(isConst).map((v) => typeof v.const),
    ]);
    if (types.size === 1 && others.length <= 1) {
      const only = others[0];
      return {
        type: [...types][0] === 'number' ? 'number' : [...types][0],
        limits: [only?.limits, constants.length > 0 ? `${only ? 'or ' : ''}one of ${constants.join(', ')}` : undefined]
          .filter(Boolean)
          .join(', '),
      };
    }
    return { type: [...types].join(' or '), limits: parts.join(' or ') };
  }
  switch (schema.type) {
    case 'string': {
      const pattern = schema.pattern as string | undefined;
      if (pattern === Timestamp.pattern)
        return { type: 'timestamp', limits: 'ISO 8601 with a zone; see [Timestamps](#timestamps)' };
      if (pattern === DEVICE_ID_PATTERN)
        return { type: 'device id', limits: '20 digits; see [Device ids](#device-ids)' };
      if (pattern === PLATE_PATTERN) return { type: 'string', limits: 'a plate; see [Plates](#plates)' };
      if (pattern === BASE64_PATTERN) {
        const max = schema.maxLength as number;
        const decodedKiB = Math.round(((max / 4) * 3) / 1024);
        return { type: 'base64', limits: `4 to ${max.toLocaleString('en-US')} characters (${decodedKiB} KiB decoded)` };
      }
      const limits = [lengths(schema), pattern === undefined ? undefined : `matches ${code(pattern)}`].filter(Boolean);
      return { type: 'string', limits: limits.join(', ') };
    }
    case 'integer':
    case 'number':
      return { type: schema.type, limits: range(schema) ?? '' };
    case 'boolean':
      return { type: 'boolean', limits: '' };
    default:
      return { type: 'any JSON', limits: '' };
  }
}

interface Row {
  field: string;
  type: string;
  required: boolean;
  limits: string;
  meaning: string;
}

function rows(schema: TSchema, prefix: string, out: Row[]): Row[] {
  const properties = (schema.properties ?? {}) as Record<string, TSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  for (const [key, property] of Object.entries(properties)) {
    const field = `${prefix}${key}`;
    const meaning = (property.description as string | undefined) ?? '';
    if (property.type === 'object' && property.properties) {
      out.push({
        field,
        type: 'object',
        required: required.has(key),
        limits: property.additionalProperties === false ? 'no other fields' : '',
        meaning,
      });
      rows(property, `${field}.`, out);
    } else if (property.type === 'object' && property.patternProperties) {
      const [[keyPattern, value]] = Object.entries(property.patternProperties as Record<string, TSchema>);
      const valueDescription =
        value.type === undefined && !value.anyOf ? 'any JSON' : describeLeaf(value).limits || describeLeaf(value).type;
      const limits = [
        keyPattern === '^(.*)$' ? 'any keys' : `keys match ${code(keyPattern)}`,
        `values: ${valueDescription}`,
        property.maxProperties === undefined ? undefined : `at most ${property.maxProperties as number} entries`,
      ].filter(Boolean);
      out.push({ field, type: 'object (map)', required: required.has(key), limits: limits.join('; '), meaning });
    } else if (property.type === 'array') {
      const items = property.items as TSchema;
      const count = [
        property.minItems === undefined
          ? undefined
          : `at least ${(property.minItems as number).toLocaleString('en-US')}`,
        property.maxItems === undefined
          ? undefined
          : `at most ${(property.maxItems as number).toLocaleString('en-US')}`,
      ]
        .filter(Boolean)
        .join(', ');
      if (items.type === 'object') {
        const itemNote = (items.description as string | undefined) ?? '';
        out.push({
          field,
          type: 'array of objects',
          required: required.has(key),
          limits: `${count} items`,
          meaning: [meaning, itemNote].filter(Boolean).join('; each: '),
        });
        rows(items, `${field}[].`, out);
      } else {
        const item = describeLeaf(items);
        out.push({
          field,
          type: `array of ${item.type}`,
          required: required.has(key),
          limits: [`${count} items`, item.limits ? `each ${item.limits}` : ''].filter(Boolean).join(', '),
          meaning,
        });
      }
    } else {
      const { type, limits } = describeLeaf(property);
      out.push({ field, type, required: required.has(key), limits, meaning });
    }
  }
  return out;
}

export function fieldTable(schema: TSchema): string {
  const lines = ['| Field | Type | Required | Limits | Meaning |', '| --- | --- | --- | --- | --- |'];
  for (const row of rows(schema, '', [])) {
    lines.push(
      `| ${code(row.field)} | ${row.type} | ${row.required ? 'yes' : 'no'} | ${cell(row.limits)} | ${cell(row.meaning)} |`,
    );
  }
  return lines.join('\n');
}

const PUBLISHERS: Record<TopicChannel, string> = {
  status: 'edge agent (and the broker, for the last will)',
  heartbeat: 'edge agent',
  event: 'edge agent',
  command: 'hub',
  'command-reply': 'edge agent',
};

export function topicTable(): string {
  const scheme = new TopicScheme(DEFAULT_TOPIC_ROOT);
  const id = '{deviceId}';
  const topics: [TopicChannel, string, MessageKind][] = [
    ['status', `${scheme.root}/${id}/status`, 'status'],
    ['heartbeat', `${scheme.root}/${id}/heartbeat`, 'heartbeat'],
    ['event', `${scheme.root}/${id}/events/passage`, 'passage'],
    ['event', `${scheme.root}/${id}/events/face`, 'face'],
    ['event', `${scheme.root}/${id}/events/incident`, 'incident'],
    ['command', `${scheme.root}/${id}/cmd/{name}`, 'command'],
    ['command-reply', `${scheme.root}/${id}/cmd-reply/{requestId}`, 'command-reply'],
  ];
  const lines = [
    '| Topic | Published by | Payload | QoS | Retain | Max size | Time field |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [channel, topic, kind] of topics) {
    const { qos, retain } = TOPIC_POLICY[channel];
    const message = MESSAGES[kind];
    lines.push(
      `| ${code(topic)} | ${PUBLISHERS[channel]} | [${kind}](#${kind}) | ${qos} | ${retain ? 'yes' : 'no'} | ${bytes(message.maxBytes)} | ${code(message.timeField)} |`,
    );
  }
  return lines.join('\n');
}

/** Every generated block of docs/protocol.md, by the name in its marker. */
export function generatedBlocks(): Record<string, string> {
  const blocks: Record<string, string> = { topics: topicTable() };
  for (const kind of Object.keys(MESSAGES) as MessageKind[])
    blocks[`fields ${kind}`] = fieldTable(MESSAGES[kind].schema);
  for (const name of COMMAND_NAMES) blocks[`params ${name}`] = fieldTable(COMMAND_PARAMS[name]);
  blocks['fields registry-import'] = fieldTable(RegistryImport);
  blocks['device-types'] = [
    '| Kind | Type code (digits 11-13) |',
    '| --- | --- |',
    ...DEVICE_KINDS.map((kind) => `| ${code(kind)} | ${code(DEVICE_TYPE_CODES[kind])} |`),
  ].join('\n');
  blocks.plates = [
    `- Pattern: ${code(PLATE_PATTERN)}`,
    `- Or exactly one of: ${UNREADABLE_PLATES.map((plate) => code(plate)).join(', ')}`,
  ].join('\n');
  blocks['time-window'] = [
    `- Oldest accepted: ${DEFAULT_MAX_PAST_MS / 86_400_000} days before the hub's clock (\`DEFAULT_MAX_PAST_MS\`), except for \`status\`.`,
    `- Newest accepted: ${DEFAULT_MAX_FUTURE_MS / 60_000} minutes after the hub's clock (\`DEFAULT_MAX_FUTURE_MS\`).`,
  ].join('\n');
  return blocks;
}

const BLOCK = /(<!-- generated: ([a-z_ -]+) -->\n)([\s\S]*?)(<!-- end generated -->)/g;

/** The doc with every generated block replaced by its current content; throws on an unknown block name. */
export function regenerate(doc: string): string {
  const blocks = generatedBlocks();
  return doc.replace(BLOCK, (_match, open: string, name: string, _old: string, close: string) => {
    const content = blocks[name];
    if (content === undefined) throw new Error(`docs/protocol.md names an unknown generated block "${name}"`);
    // Prettier would realign the tables, and the doc would no longer be exactly what this script writes.
    return `${open}<!-- prettier-ignore-start -->\n\n${content}\n\n<!-- prettier-ignore-end -->\n${close}`;
  });
}

/** Names of the generated blocks the doc contains. */
export function blockNames(doc: string): string[] {
  return [...doc.matchAll(BLOCK)].map((match) => match[2]);
}
