import pino, { type Logger } from 'pino';
import type { HubConfig } from '../config/hub-config';

export type { Logger } from 'pino';

/** The hub's root logger: JSON lines, or pretty when LOG_PRETTY is set. */
export function createLogger(config: Pick<HubConfig, 'LOG_LEVEL' | 'LOG_PRETTY' | 'hubId'>): Logger {
  return pino({
    level: config.LOG_LEVEL,
    base: { hub: config.hubId },
    transport: config.LOG_PRETTY ? { target: 'pino-pretty', options: { translateTime: 'SYS:standard' } } : undefined,
  });
}
