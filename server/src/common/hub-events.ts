import { EventEmitter } from 'node:events';
import { Injectable } from '@nestjs/common';
import type { DeviceStatusChange, LivePassage } from '@citywatch/protocol';

/** Domain events one module emits and others react to, inside one hub process. */
export interface HubEventMap {
  'passage.stored': [LivePassage];
  'device.status': [DeviceStatusChange];
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
