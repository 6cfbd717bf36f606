import { randomUUID } from 'node:crypto';

/** Ids of users and sessions: random UUIDs. */
export const newId = (): string => randomUUID();
