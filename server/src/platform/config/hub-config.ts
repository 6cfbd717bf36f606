import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseTrustProxy, TrustProxyError, type TrustProxy } from './trust-proxy';

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
    default: '',
    pattern: '^[A-Za-z0-9_-]*$',
    description:
      'shared-subscription group several replicas split the stream in (e.g. citywatch); unset = plain subscription for a single hub',
  }),
  MQTT_KEEPALIVE_S: Type.Integer({
    minimum: 2,
    maximum: 3600,
    default: 30,
    description: 'keepalive of the hub at an external broker, seconds (a dead connection is noticed in 1.5 times this)',
  }),
  REPLICA_HEARTBEAT_S: Type.Number({
    minimum: 0.5,
    maximum: 300,
    default: 5,
    description: 'with MQTT_SHARE_GROUP: how often a replica records in the database that it is alive',
  }),
  REPLICA_TIMEOUT_S: Type.Number({
    minimum: 2,
    maximum: 3600,
    default: 30,
    description:
      'with MQTT_SHARE_GROUP: a replica silent this long is taken for dead and another takes over its MQTT session (at least twice REPLICA_HEARTBEAT_S)',
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
    default: 5,
    description: 'longest wait to fill a batch',
  }),
  INGEST_QUEUE_LIMIT: Type.Integer({
    minimum: 10,
    maximum: 1_000_000,
    default: 20000,
    description: 'events held in memory before the hub stops reading from the broker',
  }),
  INGEST_WRITERS: Type.Integer({
    minimum: 1,
    maximum: 16,
    default: 2,
    description: 'batches written at once per event table (acknowledgements still leave in order)',
  }),
  EVENT_MAX_AGE_DAYS: Type.Number({ minimum: 0.01, maximum: 3650, default: 30, description: 'oldest event accepted' }),
  HEARTBEAT_MISSED_COUNT: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 3,
    description: 'a device is offline after this many heartbeat intervals without one',
  }),
  MAINTENANCE_INTERVAL_MINUTES: Type.Number({
    minimum: 0.01,
    maximum: 1440,
    default: 60,
    description: 'how often retention, compression and aggregate refresh run (once across all replicas)',
  }),
  RETENTION_PASSAGES_DAYS: Type.Number({
    minimum: 1,
    maximum: 36500,
    default: 365,
    description: 'days passages are kept',
  }),
  RETENTION_INCIDENTS_DAYS: Type.Number({
    minimum: 1,
    maximum: 36500,
    default: 365,
    description: 'days incidents are kept',
  }),
  RETENTION_HEARTBEATS_DAYS: Type.Number({
    minimum: 1,
    maximum: 36500,
    default: 30,
    description: 'days heartbeats are kept',
  }),
  RETENTION_DEVICE_STATUS_DAYS: Type.Number({
    minimum: 1,
    maximum: 36500,
    default: 365,
    description: 'days device online/offline history is kept',
  }),
  RETENTION_DEAD_LETTERS_DAYS: Type.Number({
    minimum: 1,
    maximum: 36500,
    default: 30,
    description: 'days dead letters are kept',
  }),
  RETENTION_COMMANDS_DAYS: Type.Number({
    minimum: 1,
    maximum: 36500,
    default: 90,
    description: 'days commands sent to devices, and their replies, are kept',
  }),
  LIVE_PASSAGES_PER_SECOND: Type.Integer({
    minimum: 1,
    maximum: 100_000,
    default: 200,
    description: 'most passages pushed to consoles per second; the rest are stored but left out of the live feed',
  }),
  CONSOLE_DIR: Type.String({
    default: '',
    description: 'built console to serve (default: console/dist beside the hub)',
  }),
  CORS_ORIGINS: Type.String({ default: '', description: 'comma-separated origins allowed to call the API' }),
  TRUST_PROXY: Type.String({
    default: '',
    maxLength: 2000,
    description:
      "reverse proxies whose X-Forwarded-For the hub believes, for audit addresses and per-address limits: a hop count (1 = the nearest proxy) or a comma-separated list of proxy addresses and CIDR ranges (or loopback, linklocal, uniquelocal); unset = none, the client is the connection's peer",
  }),
  REDIS_URL: Url(['redis', 'rediss'], 'Redis URL; enables the socket.io Redis adapter for several replicas'),
  REDIS_CHANNEL_PREFIX: Type.String({
    default: 'citywatch',
    pattern: '^[A-Za-z0-9_:.-]{1,64}$',
    description: 'prefix of the Redis channels the socket.io adapter uses (replicas of one hub share it)',
  }),
  ALERT_CLAIM_TIMEOUTS: Type.String({
    default: 'critical=120,major=600,minor=1800,info=3600',
    pattern: '^((critical|major|minor|info)=[0-9]{1,7})(,(critical|major|minor|info)=[0-9]{1,7})*$',
    description: 'seconds an alert may stay unclaimed before it is escalated, per severity',
  }),
  ALERT_MAX_ESCALATIONS: Type.Integer({
    minimum: 0,
    maximum: 20,
    default: 3,
    description: 'times an unclaimed alert is escalated at most',
  }),
  ALERT_ESCALATION_SWEEP_S: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 15,
    description: 'how often the hub looks for alerts to escalate, seconds',
  }),
  ALERT_STATS_TIME_ZONE: Type.String({
    default: 'Asia/Shanghai',
    pattern: '^[A-Za-z0-9_/+-]{1,64}$',
    description: 'time zone whose days, weeks and months the alert statistics count in',
  }),
  AUTH_TOKEN_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      maxLength: 512,
      description:
        'key that signs access tokens (32+ characters); unset = one generated on first start and kept in the database, shared by every replica',
    }),
  ),
  AUTH_ACCESS_TOKEN_TTL_S: Type.Integer({
    minimum: 30,
    maximum: 86400,
    default: 900,
    description: 'lifetime of an access token, seconds',
  }),
  AUTH_REFRESH_TOKEN_TTL_S: Type.Integer({
    minimum: 300,
    maximum: 2_592_000,
    default: 43200,
    description: 'lifetime of a sign-in session (its refresh tokens rotate on each use), seconds',
  }),
  AUTH_FAILED_SIGN_IN_LIMIT: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 5,
    description: 'failed sign-ins for one user name before each further attempt has to wait',
  }),
  AUTH_LOCKOUT_MAX_S: Type.Integer({
    minimum: 1,
    maximum: 86400,
    default: 900,
    description: 'longest wait after repeated failed sign-ins (the wait doubles from 30 s), seconds',
  }),
  ADMIN_USERNAME: Type.String({
    default: 'admin',
    pattern: '^[A-Za-z0-9_.@-]{1,64}$',
    description: 'user name of the first administrator, created on first start when no account exists',
  }),
  ADMIN_PASSWORD: Type.Optional(
    Type.String({
      minLength: 10,
      maxLength: 256,
      description:
        'password of the first administrator; unset = a random one written to DATA_DIR/initial-admin-password',
    }),
  ),
  DEVICE_AUTH: Type.Union([Type.Literal('required'), Type.Literal('optional')], {
    default: 'required',
    description:
      'embedded broker: every device signs in with its id and secret (required), or devices without a secret yet may connect without one (optional)',
  }),
  BROKER_HOOK_TOKEN: Type.Optional(
    Type.String({
      minLength: 16,
      maxLength: 256,
      description:
        'bearer token an external broker (EMQX) sends to the HTTP authentication/ACL hooks; unset = hooks off',
    }),
  ),
  RETENTION_UNMATCHED_FACES_DAYS: Type.Number({
    minimum: 0,
    maximum: 36500,
    default: 7,
    description: 'face captures that matched no watchlist are deleted after this many days (0 = keep for ever)',
  }),
  FACE_RECOGNITION: Type.Union([Type.Literal('on'), Type.Literal('off')], {
    default: 'on',
    description:
      'run face recognition on stored captures and accept watchlist enrolments (off: captures are only stored)',
  }),
  FACE_ONNX_THREADS: Type.Integer({
    minimum: 0,
    maximum: 64,
    default: 0,
    description: 'ONNX Runtime threads for the face recognition network (0 = as many as cores, at most 2)',
  }),
  FACE_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 128,
    default: 16,
    description: 'stored face captures the recognition worker takes at a time (one batched network run)',
  }),
  FACE_LEASE_SECONDS: Type.Integer({
    minimum: 1,
    maximum: 3600,
    default: 120,
    description:
      "how long a recognition worker holds a batch of captures; a crashed worker's batch is taken again once it lapses, s",
  }),
  FACE_UNKNOWN_THRESHOLD: Type.Number({
    minimum: -1,
    maximum: 1,
    default: 0.9,
    description: 'cosine similarity below which a face is unknown (no watchlist candidate at all)',
  }),
  FACE_MATCH_THRESHOLDS: Type.String({
    default: 'wanted=0.97,missing=0.97,at_risk=0.97,vip=0.97,other=0.97',
    pattern:
      '^((wanted|missing|at_risk|vip|other)=[01](\\.[0-9]{1,4})?)(,(wanted|missing|at_risk|vip|other)=[01](\\.[0-9]{1,4})?)*$',
    description: 'cosine similarity from which a watchlist candidate is a hit and raises an alert, per category',
  }),
  FACE_ALERT_MERGE_MINUTES: Type.Number({
    minimum: 0,
    maximum: 1440,
    default: 10,
    description: 'hits of the same person at the same device within this many minutes merge into one alert',
  }),
  FACE_UPLOAD_MAX_BYTES: Type.Integer({
    minimum: 10_000,
    maximum: 50_000_000,
    default: 5_000_000,
    description: 'largest photo accepted for watchlist enrolment and search by face, bytes',
  }),
  FACE_SEARCH_CACHE_DAYS: Type.Integer({
    minimum: 1,
    maximum: 366,
    default: 3,
    description:
      'days of capture descriptors a replica keeps in memory for search by face (about 80 MB a day at 350,000 captures)',
  }),
  FACE_SYNC_INTERVAL_MS: Type.Integer({
    minimum: 100,
    maximum: 60000,
    default: 2000,
    description:
      'how often a replica picks up watchlist changes and captures processed by other replicas, and looks for unprocessed captures, ms',
  }),
  HTTP_BODY_LIMIT: Type.String({
    default: '1mb',
    pattern: '^[0-9]+(b|kb|mb)$',
    description: 'largest JSON request body',
  }),
  REGISTRY_BODY_LIMIT: Type.String({
    default: '32mb',
    pattern: '^[0-9]+(b|kb|mb)$',
    description: 'largest body of POST /api/registry/import',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 1200,
    description: 'REST requests per minute to one endpoint from one address (or one user)',
  }),
  RATE_LIMIT_SIGN_IN_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 10000,
    default: 10,
    description: 'sign-ins, refreshes and password changes per minute from one address',
  }),
  RATE_LIMIT_SEARCH_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 100000,
    default: 60,
    description: 'searches and exports per minute by one user, all search endpoints together',
  }),
  RATE_LIMIT_UPLOAD_PER_MINUTE: Type.Integer({
    minimum: 1,
    maximum: 100000,
    default: 30,
    description: 'uploads per minute by one user, all upload endpoints together',
  }),
  CHECKPOINT_PLATE_STATE: Type.Union([Type.Literal('memory'), Type.Literal('database')], {
    default: 'memory',
    description:
      "where the cloned-plate and frequent-passage rules read a plate's recent passages: this replica's memory (one replica) or the database (several replicas sharing the stream)",
  }),
  CHECKPOINT_SYNC_INTERVAL_MS: Type.Integer({
    minimum: 100,
    maximum: 60000,
    default: 2000,
    description: 'how often a replica picks up hotlist and rule changes made through another replica, ms',
  }),
  CHECKPOINT_EXPORT_PAGE_SIZE: Type.Integer({
    minimum: 100,
    maximum: 50000,
    default: 5000,
    description: 'rows a CSV export reads from the database at a time (what it holds in memory)',
  }),
  CHECKPOINT_EXPORT_MAX_ROWS: Type.Integer({
    minimum: 1,
    maximum: 50000000,
    default: 2000000,
    description: 'most rows one CSV export writes',
  }),
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
  /** TRUST_PROXY parsed: which proxies' X-Forwarded-For is believed (undefined: none). */
  trustProxy: TrustProxy | undefined;
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
  if (settings.REPLICA_TIMEOUT_S < 2 * settings.REPLICA_HEARTBEAT_S) {
    throw new ConfigError([
      `REPLICA_TIMEOUT_S=${settings.REPLICA_TIMEOUT_S}: must be at least twice REPLICA_HEARTBEAT_S (${settings.REPLICA_HEARTBEAT_S}), or a live replica could be taken for dead`,
    ]);
  }
  let trustProxy: TrustProxy | undefined;
  try {
    trustProxy = parseTrustProxy(settings.TRUST_PROXY);
  } catch (error) {
    if (!(error instanceof TrustProxyError)) throw error;
    throw new ConfigError([`TRUST_PROXY=${JSON.stringify(settings.TRUST_PROXY)}: ${error.message}`]);
  }
  return {
    ...settings,
    hubId: settings.HUB_ID || hostname().replace(/[^A-Za-z0-9_-]/g, '-'),
    dataDir: resolve(settings.DATA_DIR),
    embedded: { broker: settings.MQTT_URL === undefined, database: settings.DATABASE_URL === undefined },
    trustProxy,
  };
}
