import { startHub, TEST_ADMIN, type HubProcess } from '../support/hub';
import { uniqueName } from '../support/services';

/**
 * Several hub processes (server/dist/main.js) on one machine, set up as the compose file sets its
 * replicas: one external broker with a shared subscription, one PostgreSQL, Redis for socket.io, one
 * token key, and a stable HUB_ID each (it names the replica's persistent MQTT session). Used by the
 * replica tests, `npm run bench:scale` and scripts/replicas-demo.ts.
 */
export interface ReplicaSetOptions {
  replicas: number;
  brokerUrl: string;
  databaseUrl: string;
  topicRoot: string;
  /** Redis for the socket.io adapter; the machine's by default, null for none (ingest-only runs). */
  redisUrl?: string | null;
  /** Extra hub variables for every replica. */
  env?: Record<string, string>;
  /** HTTP ports to listen on (the demo); 0 (any free port) by default. */
  httpPorts?: number[];
}

export const MACHINE_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const SHARE_GROUP = 'citywatch';

export class ReplicaSet {
  readonly ids: string[];
  readonly hubs: (HubProcess | undefined)[];
  private readonly common: Record<string, string>;

  private constructor(private readonly options: ReplicaSetOptions) {
    const run = uniqueName('r');
    this.ids = Array.from({ length: options.replicas }, (_, i) => `${run}-hub-${i + 1}`);
    this.hubs = this.ids.map(() => undefined);
    this.common = {
      MQTT_URL: options.brokerUrl,
      MQTT_SHARE_GROUP: SHARE_GROUP,
      DATABASE_URL: options.databaseUrl,
      TOPIC_ROOT: options.topicRoot,
      ...(options.redisUrl === null
        ? {}
        : { REDIS_URL: options.redisUrl ?? MACHINE_REDIS_URL, REDIS_CHANNEL_PREFIX: uniqueName('citywatch') }),
      AUTH_TOKEN_SECRET: `replica-set-token-key-${run}-0123456789abcdef`,
      CHECKPOINT_PLATE_STATE: 'database',
      ADMIN_PASSWORD: TEST_ADMIN.password,
      ...options.env,
    };
  }

  /** Starts the replicas: the first alone (it migrates and creates the administrator), then the rest together. */
  static async start(options: ReplicaSetOptions): Promise<ReplicaSet> {
    const set = new ReplicaSet(options);
    try {
      await set.startReplica(0);
      await Promise.all(set.ids.slice(1).map((_, i) => set.startReplica(i + 1)));
    } catch (error) {
      await set.stop();
      throw error;
    }
    return set;
  }

  envOf(index: number): Record<string, string> {
    return {
      ...this.common,
      HUB_ID: this.ids[index]!,
      ...(this.options.httpPorts ? { HTTP_PORT: String(this.options.httpPorts[index]) } : {}),
    };
  }

  /** Starts (or starts again, under the same HUB_ID: what a supervisor does after a crash) replica `index`. */
  async startReplica(index: number): Promise<HubProcess> {
    const hub = await startHub({ env: this.envOf(index) });
    this.hubs[index] = hub;
    return hub;
  }

  hub(index: number): HubProcess {
    const hub = this.hubs[index];
    if (!hub) throw new Error(`replica ${index} is not running`);
    return hub;
  }

  get running(): HubProcess[] {
    return this.hubs.filter((hub): hub is HubProcess => hub !== undefined);
  }

  /** SIGKILL: no clean-up, the broker keeps the replica's session. */
  async kill(index: number): Promise<void> {
    await this.hub(index).kill();
    this.hubs[index] = undefined;
  }

  /** SIGTERM: a clean stop (the replica leaves its group unless it is the last alive). */
  async stopReplica(index: number): Promise<HubProcess> {
    const hub = this.hub(index);
    await hub.stop();
    this.hubs[index] = undefined;
    return hub;
  }

  /** Starts one more replica under a HUB_ID not used before (a new pod of a Deployment, say). */
  async addReplica(): Promise<number> {
    const index = this.ids.length;
    this.ids.push(`${this.ids[0]!.replace(/-hub-\d+$/, '')}-hub-${index + 1}`);
    this.hubs.push(undefined);
    await this.startReplica(index);
    return index;
  }

  async stop(): Promise<void> {
    await Promise.all(this.running.map((hub) => hub.stop().catch(() => hub.kill())));
    this.hubs.fill(undefined);
  }
}

/** A counter from one replica's /metrics (0 when absent). */
export async function metric(httpUrl: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(new RegExp(pattern.source, 'gm'))) total += Number(match[1]);
  return total;
}

/** Events each replica stored (passages, faces, incidents): its share of the stream. */
export function storedBy(hub: HubProcess): Promise<number> {
  return metric(hub.httpUrl, /^citywatch_events_stored_total\{kind="\w+"\} (\d+)/);
}

/** Events a replica found already stored (redeliveries absorbed by the idempotent insert). */
export function duplicatesAt(hub: HubProcess): Promise<number> {
  return metric(hub.httpUrl, /^citywatch_events_duplicate_total\{kind="\w+"\} (\d+)/);
}
