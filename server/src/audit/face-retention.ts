import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { MaintenanceService } from '../storage/maintenance.service';

/**
 * Privacy retention: face captures that matched no watchlist go after RETENTION_UNMATCHED_FACES_DAYS
 * (matched ones stay as evidence, by the passages' rules of the storage module). Runs in the storage
 * maintenance round, on PostgreSQL and the embedded database alike (row deletes, since a chunk holds both).
 */
@Injectable()
export class FaceRetention implements OnModuleInit {
  constructor(
    private readonly maintenance: MaintenanceService,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  onModuleInit(): void {
    const days = this.config.RETENTION_UNMATCHED_FACES_DAYS;
    if (days <= 0) return;
    this.maintenance.register({
      table: 'face_captures',
      timeColumn: 'shot_time',
      days,
      onlyWhere: 'NOT matched',
      hypertable: true,
    });
  }
}
