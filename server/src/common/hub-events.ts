import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import type { AlertChange, DeviceStatusChange, IncidentEventPayload, LivePassage } from '@citywatch/protocol';

/** An incident the ingest pipeline committed (inline image left out). */
export type StoredIncident = Omit<IncidentEventPayload, 'v' | 'imageJpegBase64'> & {
  storedAt: string;
  hasImage: boolean;
};

/** A face capture the ingest pipeline committed (the crop itself stays in the database). */
export interface StoredFaceCapture {
  eventId: string;
  deviceId: string;
  shotTime: string;
  storedAt: string;
}

/** Domain events one module emits and others react to, inside one hub process. */
export interface HubEventMap {
  'passage.stored': [LivePassage];
  'device.status': [DeviceStatusChange];
  /** A face capture was stored (not yet recognised); the faces module's worker wakes for it. */
  'face.stored': [StoredFaceCapture];
  /** An alert was raised or changed; committed, in seq order. The realtime gateway pushes it. */
  'alert.changed': [AlertChange];
  /** Sessions ended (sign-out, password or role change, disabled user, reused refresh token): sockets of them close. */
  'auth.sessions_revoked': [{ userId: string; sessionIds: string[]; reason: string }];
  /** A device's broker credential was issued or rotated: its current connection should end. */
  'devices.credential_changed': [{ deviceId: string }];
}

@Injectable()
export class HubEvents {
  private readonly emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.emitter.setMaxListeners(50);
  }

  emit<K extends keyof HubEventMap>(event: K, ...args: HubEventMap[K]): void {
    this.emitter.emit(event, ...args);
  }

  on<K extends keyof HubEventMap>(event: K, listener: (...args: HubEventMap[K]) => void): () => void {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.emitter.off(event, listener as (...args: unknown[]) => void);
  }
}
