import type { Health } from './host-health';

export interface HeartbeatTarget {
  publishHeartbeat(heartbeat: { at: string; seq: number; uptimeS: number; intervalS: number; health: Health }): void;
}

export interface HeartbeatReporterOptions {
  target: HeartbeatTarget;
  intervalS: number;
  /** The device's health right now: host figures merged with what its source knows (fps, video loss, tamper). */
  health: () => Health;
  /** When the device (or the agent hosting it) started, ms since the epoch. */
  startedAt?: number;
}

/** Publishes one device's heartbeat every `intervalS` seconds, with a sequence number and its health. */
export class HeartbeatReporter {
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt: number;
  private intervalS: number;

  constructor(private readonly options: HeartbeatReporterOptions) {
    this.startedAt = options.startedAt ?? Date.now();
    this.intervalS = options.intervalS;
  }

  get interval(): number {
    return this.intervalS;
  }

  start(): void {
    this.stop();
    this.beat();
    this.timer = setInterval(() => this.beat(), this.intervalS * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  setInterval(intervalS: number): void {
    this.intervalS = intervalS;
    if (this.timer) this.start();
  }

  /** The device came back from a reboot: its uptime starts again. */
  restartUptime(now = Date.now()): void {
    this.startedAt = now;
  }

  beat(now = Date.now()): void {
    this.options.target.publishHeartbeat({
      at: new Date(now).toISOString(),
      seq: this.seq++,
      uptimeS: Math.max(0, Math.floor((now - this.startedAt) / 1000)),
      intervalS: this.intervalS,
      health: this.options.health(),
    });
  }
}
