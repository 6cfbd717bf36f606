import { useSyncExternalStore } from 'react';

const KEY = 'citywatch.alertSound';
const listeners = new Set<() => void>();

function read(): boolean {
  try {
    return globalThis.localStorage?.getItem(KEY) === 'muted';
  } catch {
    return false;
  }
}

let muted = typeof window === 'undefined' ? false : read();

/** Mutes or unmutes the critical-alert sound in this browser. */
export function setAlertSoundMuted(value: boolean): void {
  muted = value;
  try {
    globalThis.localStorage?.setItem(KEY, value ? 'muted' : 'on');
  } catch {
    // remembered for this page only
  }
  for (const listener of [...listeners]) listener();
}

export function isAlertSoundMuted(): boolean {
  return muted;
}

export function useAlertSoundMuted(): boolean {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => muted,
  );
}
