import type { AlertRecord, RaiseAlertInput } from '@citywatch/protocol';

/**
 * How modules raise alerts (checkpoint rules, face hits, device state). Provided globally by the alerts
 * module; resolves once the alert (or the update of the open alert with the same dedupe key) is committed.
 */
export interface AlertRaiser {
  raise(input: RaiseAlertInput): Promise<AlertRecord>;
}

export const ALERT_RAISER = Symbol('ALERT_RAISER');
