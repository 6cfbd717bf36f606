import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Roles } from '../auth/auth.decorators';
import { MaintenanceService, type MaintenanceReport } from './maintenance.service';

/** For administrators: when storage upkeep last ran and what it did; run it now. */
@Controller('api/storage')
export class StorageController {
  constructor(private readonly maintenance: MaintenanceService) {}

  @Get('maintenance')
  @Roles('admin')
  last() {
    return this.maintenance.lastRun();
  }

  @Post('maintenance')
  @HttpCode(200)
  @Roles('admin')
  run(): Promise<MaintenanceReport | 'skipped'> {
    return this.maintenance.runOnce({ force: true });
  }
}
