import { join } from 'node:path';
import { TopicScheme, type DeviceKind } from '@citywatch/protocol';
import { CommandDispatcher } from '../commands/command-dispatcher';
import type { DeviceControls } from '../commands/device-controls';
import { DeviceConnection, type BrokerSettings } from '../connection/device-connection';
import { HeartbeatReporter } from '../health/heartbeat-reporter';
import { HostHealthProbe, type Health } from '../health/host-health';
import { DevicePublisher } from '../publish/device-publisher';
import { SqliteSpool, type SpoolSyncPolicy } from '../spool/sqlite-spool';
import type { SpoolStats } from '../spool/spool-types';
import type { DeviceLinks, EventSink, EventSource } from '../sources/event-source';
import { silentLogger, type Logger } from '../util/logger';
import { DeviceSettingsStore } from './device-settings-store';
import { EventIntake } from './event-intake';

export const AGENT_VERSION = '0.1.0';

export interface AgentDevice {
  id: string;
  kind: DeviceKind;
  /** Broker password for this device (username = id). */
  secret?: string;
  name?: string;
  hasLoudspeaker?: boolean;
  heartbeatIntervalS?: number;
}

export interface EdgeAgentOptions {
  devices: AgentDevice[];
  broker: BrokerSettings;
  topicRoot?: string;
  /** Where the spool, settings and images live. */
  dataDir: string;
  spool?: { path?: string; maxBytes?: number; sync?: SpoolSyncPolicy; commitIntervalMs?: number };
  publish?: { window?: number; backlogRatePerS?: number };
  heartbeatIntervalS?: number;
  sources?: EventSource[];
  logger?: Logger;
  /** Devices connect in groups of this size, one group per `connectStaggerMs` (default 50 / 100 ms). */
  connectBatch?: number;
  connectStaggerMs?: number;
}

interface DeviceRuntime {
  device: AgentDevice;
  connection: DeviceConnection;
  publisher: DevicePublisher;
  heartbeat: HeartbeatReporter;
  settings: DeviceSettingsStore;
  controls: DeviceControls;
}

export interface AgentStats {
  devices: number;
  online: number;
  accepted: number;
  rejected: number;
  published: number;
  acknowledged: number;
  spool: SpoolStats;
}

/**
 * One agent process hosting one or more devices: one MQTT connection per device (own credentials,
 * own last will), a shared durable spool, a publisher per device, heartbeats, command handling and
 * the event sources feeding them.
 */
export class EdgeAgent implements DeviceLinks {
  readonly topics: TopicScheme;
  readonly spool: SqliteSpool;
  readonly intake: EventIntake;
  private readonly runtimes = new Map<string, DeviceRuntime>();
  private readonly dispatcher: CommandDispatcher;
  private readonly hostHealth: HostHealthProbe;
  private readonly logger: Logger;
  private readonly sources: EventSource[];
  private started = false;

  constructor(private readonly options: EdgeAgentOptions) {
    this.logger = options.logger ?? silentLogger;
    this.topics = new TopicScheme(options.topicRoot);
    this.spool = new SqliteSpool({
      path: options.spool?.path ?? join(options.dataDir, 'spool.sqlite'),
      ...options.spool,
    });
    this.hostHealth = new HostHealthProbe(options.dataDir);
    this.dispatcher = new CommandDispatcher(this.topics, this.logger);
    this.sources = options.sources ?? [];
    this.intake = new EventIntake({
      spool: this.spool,
      isKnownDevice: (deviceId) => this.runtimes.has(deviceId),
      onAccepted: (deviceId) => this.runtimes.get(deviceId)?.publisher.notify(),
    });
    for (const device of options.devices) {
      if (this.runtimes.has(device.id)) throw new Error(`device ${device.id} is configured twice`);
      this.runtimes.set(device.id, this.createRuntime(device));
    }
  }

  get sink(): EventSink {
    return this.intake;
  }

  deviceIds(): string[] {
    return [...this.runtimes.keys()];
  }

  connection(deviceId: string): DeviceConnection {
    return this.runtime(deviceId).connection;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const batch = this.options.connectBatch ?? 50;
    const runtimes = [...this.runtimes.values()];
    for (let i = 0; i < runtimes.length; i += batch) {
      for (const runtime of runtimes.slice(i, i + batch)) {
        runtime.connection.start();
        runtime.publisher.start();
      }
      if (i + batch < runtimes.length) await delay(this.options.connectStaggerMs ?? 100);
    }
    for (const source of this.sources) await source.start({ sink: this.intake, links: this });
    this.logger.info('agent started', { devices: this.runtimes.size, sources: this.sources.map((s) => s.name) });
  }

  /** Resolves when every device is connected. */
  async waitAllOnline(timeoutMs = 30_000): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((runtime) => runtime.connection.waitOnline(timeoutMs)));
  }

  /** Stops sources, lets in-flight events finish for up to `drainMs`, says goodbye and closes the spool. */
  async stop(drainMs = 2000): Promise<void> {
    if (!this.started) {
      this.spool.close();
      return;
    }
    this.started = false;
    for (const source of this.sources)
      await source.stop().catch((error: unknown) => this.logger.warn('source stop failed', { error }));
    this.spool.commitNow();
    const deadline = Date.now() + drainMs;
    while (
      Date.now() < deadline &&
      [...this.runtimes.values()].some((r) => r.connection.connected && r.publisher.stats().inFlight > 0)
    ) {
      await delay(50);
    }
    for (const runtime of this.runtimes.values()) {
      runtime.publisher.stop();
      runtime.heartbeat.stop();
    }
    await Promise.all([...this.runtimes.values()].map((runtime) => runtime.connection.stop()));
    this.spool.close();
    this.logger.info('agent stopped');
  }

  sever(deviceId: string): void {
    const runtime = this.runtime(deviceId);
    runtime.heartbeat.stop();
    runtime.publisher.pause();
    runtime.connection.sever();
  }

  restore(deviceId: string, options: { rebooted?: boolean } = {}): void {
    const runtime = this.runtime(deviceId);
    if (options.rebooted) runtime.heartbeat.restartUptime();
    runtime.connection.restore();
  }

  stats(): AgentStats {
    let published = 0;
    let acknowledged = 0;
    let online = 0;
    for (const runtime of this.runtimes.values()) {
      const stats = runtime.publisher.stats();
      published += stats.published;
      acknowledged += stats.acknowledged;
      if (runtime.connection.connected) online += 1;
    }
    const intake = this.intake.stats();
    return { devices: this.runtimes.size, online, ...intake, published, acknowledged, spool: this.spool.stats() };
  }

  private runtime(deviceId: string): DeviceRuntime {
    const runtime = this.runtimes.get(deviceId);
    if (!runtime) throw new Error(`device ${deviceId} is not configured on this agent`);
    return runtime;
  }

  private createRuntime(device: AgentDevice): DeviceRuntime {
    const logger = this.logger.child({ deviceId: device.id });
    const settings = new DeviceSettingsStore(
      device.id,
      {
        heartbeatIntervalS: device.heartbeatIntervalS ?? this.options.heartbeatIntervalS ?? 30,
        backlogRatePerS: this.options.publish?.backlogRatePerS ?? 0,
      },
      this.options.dataDir,
      (values) => {
        heartbeat.setInterval(values.heartbeatIntervalS);
        connection.setHeartbeatInterval(values.heartbeatIntervalS);
        publisher.setBacklogRate(values.backlogRatePerS);
      },
    );
    const connection = new DeviceConnection({
      identity: { deviceId: device.id, kind: device.kind, secret: device.secret },
      broker: this.options.broker,
      topics: this.topics,
      heartbeatIntervalS: settings.values.heartbeatIntervalS,
      agentVersion: AGENT_VERSION,
      logger: this.logger,
    });
    const publisher = new DevicePublisher({
      deviceId: device.id,
      topics: this.topics,
      spool: this.spool,
      channel: connection,
      window: this.options.publish?.window,
      backlogRatePerS: settings.values.backlogRatePerS,
      logger,
    });
    const heartbeat = new HeartbeatReporter({
      target: connection,
      intervalS: settings.values.heartbeatIntervalS,
      health: () => this.deviceHealth(device.id),
    });
    const controls =
      this.sources.map((source) => source.controls?.(device.id)).find((found) => found !== undefined) ?? {};
    connection.on('online', (first) => {
      if (!first) {
        publisher.markBacklog();
        publisher.notify();
      }
      heartbeat.start();
    });
    connection.on('offline', () => heartbeat.stop());
    connection.on('session-reset', () => {
      publisher.markBacklog();
      publisher.resendUnacknowledged();
    });
    connection.on('command', (topic, payload) => {
      void this.dispatcher.handle(
        {
          deviceId: device.id,
          kind: device.kind,
          controls,
          settings,
          reply: (reply) => connection.publishReply(reply),
        },
        topic,
        payload,
      );
    });
    return { device, connection, publisher, heartbeat, settings, controls };
  }

  private deviceHealth(deviceId: string): Health {
    const health: Health = { ...this.hostHealth.sample(), spoolDepth: this.spool.depth(deviceId) };
    for (const source of this.sources) Object.assign(health, source.health?.(deviceId));
    return health;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
