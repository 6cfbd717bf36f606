import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { HubMetrics } from '../platform/metrics/metrics';

/**
 * The commands module's metrics, in the hub's registry (/metrics). Each command sent ends in one of replied,
 * failed or expired; a reply after the expiry is counted again in late replies.
 */
@Injectable()
export class CommandsMetrics {
  readonly sent: Counter<'name'>;
  readonly replied: Counter<'name'>;
  readonly failed: Counter<'name' | 'reason'>;
  readonly expired: Counter<'name'>;
  readonly lateReplies: Counter<'name'>;

  constructor(metrics: HubMetrics) {
    const registers = [metrics.registry];
    this.sent = new Counter({
      name: 'citywatch_commands_sent_total',
      help: 'Commands the hub published to devices, by command name',
      labelNames: ['name'] as const,
      registers,
    });
    this.replied = new Counter({
      name: 'citywatch_commands_replied_total',
      help: 'Commands the device answered in time with ok: true, by command name',
      labelNames: ['name'] as const,
      registers,
    });
    this.failed = new Counter({
      name: 'citywatch_commands_failed_total',
      help: 'Commands that failed, by command name and reason (refused: the device answered ok: false in time; unsent: the broker did not take it)',
      labelNames: ['name', 'reason'] as const,
      registers,
    });
    this.expired = new Counter({
      name: 'citywatch_commands_expired_total',
      help: 'Commands with no reply before their expiry, by command name',
      labelNames: ['name'] as const,
      registers,
    });
    this.lateReplies = new Counter({
      name: 'citywatch_commands_late_replies_total',
      help: 'Replies that came after their command expired (recorded as late), by command name',
      labelNames: ['name'] as const,
      registers,
    });
  }
}
