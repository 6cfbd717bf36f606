/** Who may do what: the roles every REST endpoint and socket event is checked against. */
export const ROLES = ['admin', 'operator', 'traffic_police', 'department_member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** The signed-in person as the hub and the console see them. */
export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** The department a department member works for; null for everyone else. */
  departmentId: string | null;
}
