import type { Role } from '@citywatch/protocol';

/** What each role may do to an alert; the hub enforces the same (docs/permissions.md). */
export const ALERT_PERMISSIONS = {
  claim: ['admin', 'operator'],
  assign: ['admin', 'operator'],
  reopen: ['admin', 'operator'],
  resolve: ['admin', 'operator', 'traffic_police', 'department_member'],
  falseAlarm: ['admin', 'operator', 'traffic_police', 'department_member'],
  comment: ['admin', 'operator', 'traffic_police', 'department_member'],
} as const satisfies Record<string, readonly Role[]>;

export type AlertPermission = keyof typeof ALERT_PERMISSIONS;

export function may(role: Role, permission: AlertPermission): boolean {
  return (ALERT_PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** Who may read passages (plates): search, passage detail, trajectory. */
export const PASSAGE_SEARCHERS: readonly Role[] = ['admin', 'traffic_police'];
export const PASSAGE_READERS: readonly Role[] = ['admin', 'traffic_police', 'operator'];
export const STATISTICS_READERS: readonly Role[] = ['admin', 'traffic_police', 'operator', 'viewer'];
/** Who may read a device's recent events (plates included): `GET /api/devices/:id/events`. */
export const DEVICE_EVENT_READERS: readonly Role[] = ['admin', 'operator', 'traffic_police'];
