import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import type { HeartbeatPayload } from '@citywatch/protocol';

export type Health = HeartbeatPayload['health'];

/**
 * Health of the machine the agent runs on: CPU (busy share since the previous sample), memory,
 * free space where the spool lives, and the hottest thermal zone where Linux exposes one.
 * Samples are cached for `cacheMs` so hundreds of devices in one process share them.
 */
export class HostHealthProbe {
  private previousCpu = readCpuTimes();
  private cached: { at: number; health: Health } | undefined;

  constructor(
    private readonly storagePath: string,
    private readonly cacheMs = 5000,
    private readonly thermalRoot = '/sys/class/thermal',
  ) {}

  sample(now = Date.now()): Health {
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.health;
    const health: Health = {
      cpuPercent: this.cpuPercent(),
      memoryPercent: round1((1 - freemem() / totalmem()) * 100),
    };
    const storage = this.storageFreeMb();
    if (storage !== undefined) health.storageFreeMb = storage;
    const temperature = this.temperatureC();
    if (temperature !== undefined) health.temperatureC = temperature;
    this.cached = { at: now, health };
    return health;
  }

  private cpuPercent(): number {
    const current = readCpuTimes();
    const busy = current.busy - this.previousCpu.busy;
    const total = current.total - this.previousCpu.total;
    this.previousCpu = current;
    return total > 0 ? round1(Math.min(100, Math.max(0, (busy / total) * 100))) : 0;
  }

  private storageFreeMb(): number | undefined {
    try {
      const stats = statfsSync(this.storagePath);
      return Math.floor((stats.bavail * stats.bsize) / (1024 * 1024));
    } catch {
      return undefined;
    }
  }

  private temperatureC(): number | undefined {
    try {
      const readings = readdirSync(this.thermalRoot)
        .filter((name) => name.startsWith('thermal_zone'))
        .map((zone) => Number(readFileSync(`${this.thermalRoot}/${zone}/temp`, 'utf8').trim()) / 1000)
        .filter((celsius) => Number.isFinite(celsius) && celsius > -60 && celsius < 150);
      return readings.length > 0 ? round1(Math.max(...readings)) : undefined;
    } catch {
      return undefined;
    }
  }
}

function readCpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const { user, nice, sys, idle, irq } = cpu.times;
    busy += user + nice + sys + irq;
    total += user + nice + sys + idle + irq;
  }
  return { busy, total };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
