/**
 * Shares of a day's volume per local hour (Harbin, UTC+8), from 0:00 to 23:00. Each curve sums to 1;
 * rates between hours are interpolated so the curve has no steps.
 */
function normalise(weights: number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return weights.map((weight) => weight / total);
}

/** Commuter traffic: morning and evening peaks, a quiet night. */
export const VEHICLE_PROFILE = normalise([
  0.6, 0.4, 0.3, 0.3, 0.5, 1.4, 3.6, 7.6, 8.4, 6.2, 5.0, 5.0, 5.2, 5.0, 5.1, 5.4, 6.4, 8.2, 8.0, 5.6, 4.0, 3.0, 2.0,
  1.1,
]);

/** People on foot: later start than cars, a lunchtime bump, busy evenings. */
export const PEDESTRIAN_PROFILE = normalise([
  0.3, 0.2, 0.1, 0.1, 0.2, 0.8, 2.6, 6.4, 7.6, 6.0, 5.6, 6.2, 6.8, 5.8, 5.4, 5.8, 6.8, 8.2, 8.0, 6.4, 4.6, 3.0, 1.6,
  0.8,
]);

/** Urban-management incidents, by kind, follow the life of the street. */
export const INCIDENT_PROFILES = {
  illegal_parking: normalise([0.2, 0.1, 0.1, 0.1, 0.1, 0.3, 1, 4, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 5, 3, 2, 1, 0.5]),
  street_vending: normalise([0.1, 0, 0, 0, 0.5, 3, 6, 6, 3, 2, 2, 3, 3, 2, 2, 3, 6, 9, 10, 9, 6, 3, 1, 0.3]),
  garbage_overflow: normalise([1, 0.5, 0.5, 0.5, 1, 2, 4, 6, 7, 6, 5, 4, 4, 4, 4, 4, 4, 5, 6, 7, 6, 4, 2, 1.5]),
  crowding: normalise([0.1, 0, 0, 0, 0, 0.3, 1, 4, 5, 3, 2, 3, 4, 3, 2, 3, 4, 7, 9, 9, 7, 4, 1.5, 0.5]),
} as const;

/** A day's worth of a flat profile, for events that do not depend on the hour. */
export const FLAT_PROFILE = normalise(new Array<number>(24).fill(1));

const LOCAL_OFFSET_HOURS = 8;

/** Local hour of day, fractional, for a time in ms since the epoch. */
export function localHour(timeMs: number): number {
  const hours = timeMs / 3_600_000 + LOCAL_OFFSET_HOURS;
  return ((hours % 24) + 24) % 24;
}

/** Events per second at `timeMs` for something that happens `perDay` times a day along `profile`. */
export function ratePerSecond(profile: readonly number[], perDay: number, timeMs: number): number {
  const hour = localHour(timeMs);
  // Interpolate between the centres of the hours.
  const position = hour - 0.5;
  const lower = Math.floor(position);
  const fraction = position - lower;
  const share = profile[(lower + 24) % 24] * (1 - fraction) + profile[(lower + 25) % 24] * fraction;
  return (perDay * share) / 3600;
}
