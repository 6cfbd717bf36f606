import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandRefusedError, type DeviceSettings, type SettingValue } from '../commands/device-controls';

export interface AgentDeviceSettings {
  heartbeatIntervalS: number;
  backlogRatePerS: number;
}

const DESCRIPTIONS: Record<keyof AgentDeviceSettings, string> = {
  heartbeatIntervalS: 'seconds between heartbeats, 1-3600',
  backlogRatePerS: 'events/s for the backlog after an outage, 0 = as fast as acknowledgements allow',
};

/**
 * The settings a configuration update may change on one device, checked all-or-nothing, applied
 * through `onChange`, and kept in `{dataDir}/settings/{deviceId}.json` so they outlive a restart.
 */
export class DeviceSettingsStore implements DeviceSettings {
  private current: AgentDeviceSettings;
  private readonly file: string | undefined;

  constructor(
    deviceId: string,
    defaults: AgentDeviceSettings,
    dataDir: string | undefined,
    private readonly onChange: (settings: AgentDeviceSettings) => void,
  ) {
    this.file = dataDir ? join(dataDir, 'settings', `${deviceId}.json`) : undefined;
    this.current = { ...defaults, ...this.load() };
  }

  get values(): AgentDeviceSettings {
    return { ...this.current };
  }

  known(): Record<string, string> {
    return { ...DESCRIPTIONS };
  }

  async apply(settings: Record<string, SettingValue>): Promise<string> {
    const next = { ...this.current };
    const problems: string[] = [];
    for (const [key, value] of Object.entries(settings)) {
      switch (key) {
        case 'heartbeatIntervalS':
          if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 3600) {
            problems.push(`heartbeatIntervalS must be an integer 1-3600, got ${JSON.stringify(value)}`);
          } else next.heartbeatIntervalS = value;
          break;
        case 'backlogRatePerS':
          if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100_000) {
            problems.push(`backlogRatePerS must be a number 0-100000, got ${JSON.stringify(value)}`);
          } else next.backlogRatePerS = value;
          break;
        default:
          problems.push(`unknown setting "${key}" (known: ${Object.keys(DESCRIPTIONS).join(', ')})`);
      }
    }
    if (problems.length > 0) throw new CommandRefusedError(problems.join('; '));
    this.current = next;
    this.save();
    this.onChange(this.values);
    return `applied ${Object.keys(settings).join(', ') || 'nothing'}`;
  }

  private load(): Partial<AgentDeviceSettings> {
    if (!this.file) return {};
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Partial<AgentDeviceSettings>;
    } catch {
      return {};
    }
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(join(this.file, '..'), { recursive: true });
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, JSON.stringify(this.current, null, 2));
    renameSync(temporary, this.file);
  }
}
