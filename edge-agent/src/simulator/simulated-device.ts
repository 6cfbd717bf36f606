import sharp from 'sharp';
import { CommandRefusedError, type DeviceControls } from '../commands/device-controls';
import type { Health } from '../health/host-health';
import type { ImageStore } from '../images/image-store';
import type { DeviceLinks } from '../sources/event-source';
import { hashString } from '../util/seeded-random';
import { localHour } from './daily-profile';
import type { EstateDevice } from './district-estate';

/** Mean outdoor temperature in Harbin per month, °C. */
const HARBIN_MONTHLY_MEAN_C = [-18, -14, -4, 7, 15, 21, 23, 21, 15, 6, -5, -15];

export interface SimulatedDeviceOptions {
  device: EstateDevice;
  images: ImageStore;
  links: () => DeviceLinks | undefined;
  /** Simulated time now, ms since the epoch. */
  simNow: () => number;
  /** Real milliseconds per simulated millisecond (1 / time compression). */
  realPerSimMs: number;
}

/**
 * One simulated camera: whether it is powered and linked, its video-loss and tamper state, its PTZ
 * position and loudspeaker, its temperature, and the controls the hub's commands reach.
 */
export class SimulatedDevice implements DeviceControls {
  powered = true;
  linked = true;
  videoLossUntil = 0;
  tamperUntil = 0;
  private preset = 1;
  private readonly temperatureOffset: number;
  private timers = new Set<NodeJS.Timeout>();
  snapshot?: DeviceControls['snapshot'];
  gotoPreset?: DeviceControls['gotoPreset'];
  speak?: DeviceControls['speak'];

  constructor(private readonly options: SimulatedDeviceOptions) {
    this.temperatureOffset = (hashString(options.device.registration.id) % 60) / 10;
    this.snapshot = (channel) => this.takeSnapshot(channel);
    if (options.device.kind === 'long_range') {
      this.gotoPreset = (preset) => this.moveToPreset(preset);
      if (options.device.hasLoudspeaker) this.speak = (message, repeat) => this.playMessage(message, repeat);
    }
  }

  get id(): string {
    return this.options.device.registration.id;
  }

  /** Whether the camera records events right now. */
  get capturing(): boolean {
    return this.powered && this.options.simNow() >= this.videoLossUntil;
  }

  health(): Partial<Health> {
    const now = this.options.simNow();
    const videoLoss = now < this.videoLossUntil;
    return {
      fps: videoLoss ? 0 : this.options.device.kind === 'checkpoint' ? 12 : 25,
      videoLoss,
      tamper: now < this.tamperUntil,
      temperatureC: this.temperatureC(now),
    };
  }

  /** The link drops (network) or the device dies (power) for `durationMs` of simulated time. */
  outage(cause: 'network' | 'power', durationMs: number): void {
    if (!this.linked || !this.powered) return;
    this.linked = false;
    if (cause === 'power') this.powered = false;
    this.options.links()?.sever(this.id);
    this.later(durationMs * this.options.realPerSimMs, () => {
      this.powered = true;
      this.linked = true;
      this.options.links()?.restore(this.id, { rebooted: cause === 'power' });
    });
  }

  async reboot(delayS: number): Promise<void> {
    this.later(delayS * 1000, () => {
      this.powered = false;
      this.linked = false;
      this.options.links()?.sever(this.id);
      // A camera takes about 20 s to boot.
      this.later(20_000 * Math.min(1, this.options.realPerSimMs * 10), () => {
        this.powered = true;
        this.linked = true;
        this.options.links()?.restore(this.id, { rebooted: true });
      });
    });
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async takeSnapshot(channel: number): Promise<{ imageRef: string }> {
    if (!this.capturing) throw new CommandRefusedError('no video signal: cannot take a snapshot');
    const at = new Date().toISOString();
    const label = `${this.id} ch${channel} ${at}`;
    const hue = hashString(this.id) % 360;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360">
      <rect width="640" height="360" fill="hsl(${hue},35%,35%)"/>
      <text x="20" y="340" font-family="monospace" font-size="18" fill="#fff">${label}</text></svg>`;
    const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 70 }).toBuffer();
    const imageRef = await this.options.images.save(this.id, `snapshot-${Date.now()}-ch${channel}.jpg`, jpeg);
    return { imageRef };
  }

  private async moveToPreset(preset: number): Promise<string> {
    if (!this.powered) throw new CommandRefusedError('device is not powered');
    const previous = this.preset;
    await new Promise((resolve) =>
      this.later(Math.min(3000, Math.abs(preset - previous) * 20), () => resolve(undefined)),
    );
    this.preset = preset;
    return `moved from preset ${previous} to preset ${preset}`;
  }

  private async playMessage(message: string, repeat: number): Promise<string> {
    if (!this.powered) throw new CommandRefusedError('device is not powered');
    return `played "${message}" ${repeat} time${repeat === 1 ? '' : 's'} on the loudspeaker`;
  }

  private temperatureC(now: number): number {
    const month = new Date(now + 8 * 3_600_000).getUTCMonth();
    const daily = -4 * Math.cos(((localHour(now) - 3) / 24) * 2 * Math.PI);
    // Inside the housing: ambient plus the electronics' own heat, plus a heater in winter.
    const ambient = HARBIN_MONTHLY_MEAN_C[month] + daily;
    const inside = ambient + 18 + this.temperatureOffset + (ambient < -5 ? 10 : 0);
    return Math.round(inside * 10) / 10;
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }
}
