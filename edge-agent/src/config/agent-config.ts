import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import {
  DEFAULT_TOPIC_ROOT,
  DEVICE_ID_PATTERN,
  DEVICE_KINDS,
  DIRECTIONS,
  isDeviceId,
  type DeviceKind,
} from '@citywatch/protocol';

const DeviceConfig = Type.Object(
  {
    id: Type.String({ pattern: DEVICE_ID_PATTERN }),
    kind: Type.Union(DEVICE_KINDS.map((kind) => Type.Literal(kind))),
    /** Broker password; prefer `secretEnv` or CITYWATCH_DEVICE_SECRET_<id> to keep it out of the file. */
    secret: Type.Optional(Type.String({ minLength: 1 })),
    secretEnv: Type.Optional(Type.String({ pattern: '^[A-Z_][A-Z0-9_]*$' })),
    name: Type.Optional(Type.String()),
    hasLoudspeaker: Type.Optional(Type.Boolean()),
    heartbeatIntervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    lane: Type.Optional(
      Type.Object(
        {
          tollgateId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,32}$' }),
          laneNo: Type.Integer({ minimum: 1, maximum: 99 }),
          direction: Type.Union(DIRECTIONS.map((d) => Type.Literal(d))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

const SourceConfig = Type.Union([
  Type.Object(
    {
      type: Type.Literal('folder'),
      path: Type.String({ minLength: 1 }),
      deviceId: Type.Optional(Type.String({ pattern: DEVICE_ID_PATTERN })),
      pollMs: Type.Optional(Type.Integer({ minimum: 50 })),
      settleMs: Type.Optional(Type.Integer({ minimum: 0 })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('http'),
      host: Type.Optional(Type.String()),
      port: Type.Integer({ minimum: 0, maximum: 65535 }),
      token: Type.Optional(Type.String({ minLength: 8 })),
      maxBodyBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
    },
    { additionalProperties: false },
  ),
]);

export const AgentConfigSchema = Type.Object(
  {
    broker: Type.Object(
      {
        url: Type.String({ pattern: '^(mqtt|mqtts|ws|wss)://' }),
        caFile: Type.Optional(Type.String()),
        certFile: Type.Optional(Type.String()),
        keyFile: Type.Optional(Type.String()),
        rejectUnauthorized: Type.Optional(Type.Boolean()),
        keepaliveS: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
        reconnectPeriodMs: Type.Optional(Type.Integer({ minimum: 100 })),
      },
      { additionalProperties: false },
    ),
    topicRoot: Type.Optional(Type.String()),
    dataDir: Type.String({ minLength: 1 }),
    spool: Type.Optional(
      Type.Object(
        {
          maxBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
          sync: Type.Optional(Type.Union([Type.Literal('commit'), Type.Literal('checkpoint')])),
          commitIntervalMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
        },
        { additionalProperties: false },
      ),
    ),
    publish: Type.Optional(
      Type.Object(
        {
          window: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          backlogRatePerS: Type.Optional(Type.Number({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    heartbeatIntervalS: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600 })),
    images: Type.Optional(
      Type.Object({ publicBaseUrl: Type.Optional(Type.String()) }, { additionalProperties: false }),
    ),
    devices: Type.Array(DeviceConfig, { minItems: 1 }),
    sources: Type.Optional(Type.Array(SourceConfig)),
  },
  { additionalProperties: false },
);

export type AgentConfig = Static<typeof AgentConfigSchema>;
export type DeviceConfig = Static<typeof DeviceConfig>;
export type SourceConfig = Static<typeof SourceConfig>;

const check = TypeCompiler.Compile(AgentConfigSchema);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid agent configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the agent's configuration from a JSON file (optional) and the environment, which wins:
 *   CITYWATCH_BROKER_URL, CITYWATCH_TOPIC_ROOT, CITYWATCH_DATA_DIR, CITYWATCH_BACKLOG_RATE,
 *   CITYWATCH_DEVICE_ID + CITYWATCH_DEVICE_KIND + CITYWATCH_DEVICE_SECRET (one device without a file),
 *   CITYWATCH_DEVICE_SECRET_<deviceId> (the secret of a device listed in the file).
 * Relative paths in the file are relative to the file. Every problem is listed at once.
 */
export function loadAgentConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  let raw: Record<string, unknown> = {};
  const base = path ? dirname(resolve(path)) : process.cwd();
  if (path) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError([`${path}: ${(error as Error).message}`]);
    }
  }
  type Loose = Record<string, unknown> & {
    broker?: object;
    publish?: object;
    devices?: Record<string, unknown>[];
    dataDir?: string;
  };
  const config = structuredClone(raw) as Loose;
  if (env.CITYWATCH_BROKER_URL) config.broker = { ...(config.broker ?? {}), url: env.CITYWATCH_BROKER_URL };
  if (env.CITYWATCH_TOPIC_ROOT) config.topicRoot = env.CITYWATCH_TOPIC_ROOT;
  if (env.CITYWATCH_DATA_DIR) config.dataDir = env.CITYWATCH_DATA_DIR;
  if (env.CITYWATCH_BACKLOG_RATE)
    config.publish = { ...(config.publish ?? {}), backlogRatePerS: Number(env.CITYWATCH_BACKLOG_RATE) };
  if (env.CITYWATCH_DEVICE_ID) {
    const devices = config.devices ?? [];
    if (!devices.some((device) => device.id === env.CITYWATCH_DEVICE_ID)) {
      devices.push({ id: env.CITYWATCH_DEVICE_ID, kind: (env.CITYWATCH_DEVICE_KIND ?? '') as DeviceKind });
    }
    config.devices = devices;
  }
  config.dataDir ??= './citywatch-agent-data';
  const problems = [...check.Errors(config)].slice(0, 20).map((error) => `${error.path || '/'}: ${error.message}`);
  if (problems.length > 0) throw new ConfigError(problems);
  const typed = config as AgentConfig;
  for (const device of typed.devices) {
    const fromEnv =
      env[`CITYWATCH_DEVICE_SECRET_${device.id}`] ??
      (device.secretEnv ? env[device.secretEnv] : undefined) ??
      (device.id === env.CITYWATCH_DEVICE_ID ? env.CITYWATCH_DEVICE_SECRET : undefined);
    if (fromEnv) device.secret = fromEnv;
    if (device.secretEnv && !device.secret)
      problems.push(`/devices/${device.id}: environment variable ${device.secretEnv} is not set`);
  }
  const ids = typed.devices.map((device) => device.id);
  for (const id of new Set(ids.filter((id, index) => ids.indexOf(id) !== index)))
    problems.push(`/devices: ${id} is listed twice`);
  for (const source of typed.sources ?? []) {
    if (source.type === 'folder' && source.deviceId && !ids.includes(source.deviceId)) {
      problems.push(`/sources: folder ${source.path} names device ${source.deviceId}, which is not in /devices`);
    }
  }
  if (typed.topicRoot === undefined) typed.topicRoot = DEFAULT_TOPIC_ROOT;
  if (problems.length > 0) throw new ConfigError(problems);
  typed.dataDir = resolve(base, typed.dataDir);
  for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
    if (typed.broker[key]) typed.broker[key] = resolve(base, typed.broker[key]!);
  }
  for (const source of typed.sources ?? []) if (source.type === 'folder') source.path = resolve(base, source.path);
  if (!typed.devices.every((device) => isDeviceId(device.id))) throw new ConfigError(['/devices: bad id']);
  return typed;
}
