import type { EventKind } from '@citywatch/protocol';

/**
 * How much an event matters when the spool is full. The spool drops the oldest `low` events first,
 * then the oldest `normal` ones, and never drops an `alert`.
 */
export const EVENT_PRIORITIES = ['low', 'normal', 'alert'] as const;
export type EventPriority = (typeof EVENT_PRIORITIES)[number];

export interface NewSpoolEntry {
  deviceId: string;
  kind: EventKind;
  eventId: string;
  priority: EventPriority;
  /** The encoded message, exactly as it will be published (so a resend is byte-identical). */
  payload: Buffer;
}

export interface SpoolEntry extends NewSpoolEntry {
  /** Position in the spool; increases with every append and is never reused. */
  seq: number;
  spooledAt: number;
}

export interface SpoolStats {
  depth: number;
  bytes: number;
  maxBytes: number;
  appended: number;
  removed: number;
  evicted: Record<EventPriority, number>;
  refused: number;
  commits: number;
}

export class SpoolFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpoolFullError';
  }
}
