import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { MaintenanceService } from '../storage/maintenance.service';

/** Commands sent to devices (and their replies) are kept RETENTION_COMMANDS_DAYS, then removed by storage maintenance. */
@Injectable()
export class CommandsRetention implements OnModuleInit {
  constructor(
    private readonly maintenance: MaintenanceService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  onModuleInit(): void {
    this.maintenance.register({
      table: 'device_commands',
      timeColumn: 'issued_at',
      days: this.config.RETENTION_COMMANDS_DAYS,
      hypertable: false,
    });
  }
}
