import type { AlertRecord, AlertState, AlertType } from '@citywatch/protocol';
import { isOpenAlert } from '../../api/live/alert-window';

/** `open` = new, claimed and assigned (the wall's default); `all` = every state. */
export type AlertStateFilter = AlertState | 'open' | 'all';

export interface AlertFilter {
  type: AlertType | '';
  area: string;
  deviceId: string;
  state: AlertStateFilter;
}

export const DEFAULT_ALERT_FILTER: AlertFilter = { type: '', area: '', deviceId: '', state: 'open' };

/** Whether the filter shows what the wall shows by default (field by field: typing and clearing is default again). */
export function isDefaultAlertFilter(filter: AlertFilter): boolean {
  return (Object.keys(DEFAULT_ALERT_FILTER) as (keyof AlertFilter)[]).every(
    (key) => filter[key] === DEFAULT_ALERT_FILTER[key],
  );
}

export function matchesAlertFilter(alert: AlertRecord, filter: AlertFilter): boolean {
  if (filter.type && alert.type !== filter.type) return false;
  if (filter.area && alert.area !== filter.area) return false;
  if (filter.deviceId && !(alert.deviceId ?? '').includes(filter.deviceId.trim())) return false;
  if (filter.state === 'open') return isOpenAlert(alert);
  if (filter.state !== 'all' && alert.state !== filter.state) return false;
  return true;
}

/** The areas the held alerts name, sorted, for the area filter. */
export function alertAreas(alerts: readonly AlertRecord[]): string[] {
  const areas = new Set<string>();
  for (const alert of alerts) if (alert.area) areas.add(alert.area);
  return [...areas].sort();
}
