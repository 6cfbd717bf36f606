/**
 * What a device can be asked to do from the hub. A device implements the controls it has; a command
 * for a control it lacks is answered with a readable error, never ignored.
 */
export interface DeviceControls {
  /** Takes a picture now and returns a reference the hub can fetch. */
  snapshot?(channel: number): Promise<{ imageRef: string }>;
  /** Moves a PTZ camera to a stored preset. */
  gotoPreset?(preset: number): Promise<string>;
  /** Plays a spoken message on the camera's loudspeaker. */
  speak?(message: string, repeat: number): Promise<string>;
  /** Restarts the device after `delayS`; called after the reply went out. */
  reboot?(delayS: number): Promise<void>;
}

export type SettingValue = string | number | boolean;

/** Settings a configuration update may change. */
export interface DeviceSettings {
  /** Names the device accepts, with a short description each, for error messages and the README. */
  known(): Record<string, string>;
  /** Applies all or nothing; throws an Error with a readable message when a value is refused. */
  apply(settings: Record<string, SettingValue>): Promise<string>;
}

/** Thrown by controls and settings with a message meant for the operator. */
export class CommandRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandRefusedError';
  }
}
