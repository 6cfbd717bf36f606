import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { hostname } from 'node:os';
import { resolve } from 'node:path';

const Port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description });
const Url = (schemes: string[], description: string) =>
  Type.Optional(Type.String({ pattern: `^(${schemes.join('|')})://[^\\s]+$`, description }));
const Flag = (fallback: boolean, description: string) => Type.Boolean({ default: fallback, description });

/**
 * Every environment variable the hub reads. This schema is the configuration reference:
 * `docs/operations.md` and the README table are checked against it by a test.
 */
export const HubEnvironment = Type.Object({
  HOST: Type.String({ default: '0.0.0.0', minLength: 1, description: 'interface the HTTP server binds' }),
  HTTP_PORT: Port(8080, 'HTTP port for the REST API, socket.io and the console (0 picks a free port)'),
  HUB_ID: Type.String({
    default: '',
    pattern: '^[A-Za-z0-9_-]{0,64}$',
    description:
      'name of this replica, used in its MQTT client id (default: the host name); must be stable across restarts, since it names its persistent MQTT session',
  }),
  DATA_DIR: Type.String({ default: './data', minLength: 1, description: 'folder for the embedded database' }),
  DATABASE_URL: Url(['postgres', 'postgresql'], 'PostgreSQL/TimescaleDB URL; unset = embedded PGlite in DATA_DIR'),
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10, description: 'connections in the pool' }),
  TIMESCALEDB: Type.Union([Type.Literal('auto'), Type.Literal('off')], {
    default: 'auto',
    description: 'use TimescaleDB when the database has it (auto) or never (off)',
  }),
  MQTT_URL: Url(['mqtt', 'mqtts', 'tcp', 'ssl', 'ws', 'wss'], 'external broker URL; unset = embedded broker'),
  MQTT_USERNAME: Type.Optional(Type.String({ maxLength: 256, description: 'hub login at the external broker' })),
  MQTT_PASSWORD: Type.Optional(Type.String({ maxLength: 256, description: 'hub password at the external broker' })),
  MQTT_SHARE_GROUP: Type.String({
    default: 'citywatch',
    pattern: '^[A-Za-z0-9_-]*$',
    description: 'shared-subscription group replicas split the stream in; empty = plain subscription',
  }),
  EMBEDDED_MQTT_HOST: Type.String({
    default: '0.0.0.0',
    minLength: 1,
    description: 'interface of the embedded broker',
  }),
  EMBEDDED_MQTT_PORT: Port(11883, 'port of the embedded broker (0 picks a free port)'),
  TOPIC_ROOT: Type.String({
    default: 'city/v1',
    pattern: '^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*/v[0-9]+$',
    description: 'MQTT topic root, ending in the protocol version',
  }),
  INGEST_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 20000, default: 1000, description: 'rows per insert' }),
  INGEST_FLUSH_MS: Type.Integer({
    minimum: 1,
    maximum: 10000,
    default: 20,
    description: 'longest wait to fill a batch',
  }),
  INGEST_QUEUE_LIMIT: Type.Integer({
    minimum: 10,
    maximum: 1_000_000,
    default: 20000,
    description: 'events held in memory before the hub stops reading from the broker',
  }),
  EVENT_MAX_AGE_DAYS: Type.Number({ minimum: 0.01, maximum: 3650, default: 30, description: 'oldest event accepted' }),
  HEARTBEAT_MISSED_COUNT: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 3,
    description: 'a device is offline after this many heartbeat intervals without one',
  }),
  CONSOLE_DIR: Type.String({
    default: '',
    description: 'built console to serve (default: console/dist beside the hub)',
  }),
  CORS_ORIGINS: Type.String({ default: '', description: 'comma-separated origins allowed to call the API' }),
  REDIS_URL: Url(['redis', 'rediss'], 'Redis URL; enables the socket.io Redis adapter for several replicas'),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level' },
  ),
  LOG_PRETTY: Flag(false, 'human-readable logs instead of JSON lines'),
});
export type HubEnvironment = Static<typeof HubEnvironment>;

export interface HubConfig extends HubEnvironment {
  /** HUB_ID, or one made from the host name. */
  hubId: string;
  /** DATA_DIR made absolute. */
  dataDir: string;
  embedded: { broker: boolean; database: boolean };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const checker = TypeCompiler.Compile(HubEnvironment);
export const HUB_ENVIRONMENT_KEYS = Object.keys(HubEnvironment.properties) as (keyof HubEnvironment)[];

/** Reads the hub's settings from environment variables; throws ConfigError naming every bad key. */
export function loadHubConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const raw: Record<string, unknown> = {};
  for (const key of HUB_ENVIRONMENT_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(HubEnvironment, raw);
  const converted = Value.Convert(HubEnvironment, withDefaults);
  if (!checker.Check(converted)) {
    const problems: string[] = [];
    for (const error of checker.Errors(converted)) {
      const key = error.path.replace(/^\//, '');
      problems.push(`${key}=${JSON.stringify(raw[key] ?? '')}: ${error.message}`);
    }
    throw new ConfigError([...new Set(problems)]);
  }
  const settings = converted as HubEnvironment;
  return {
    ...settings,
    hubId: settings.HUB_ID || hostname().replace(/[^A-Za-z0-9_-]/g, '-'),
    dataDir: resolve(settings.DATA_DIR),
    embedded: { broker: settings.MQTT_URL === undefined, database: settings.DATABASE_URL === undefined },
  };
}
