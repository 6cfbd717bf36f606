import { Global, Module } from '@nestjs/common';
import { ALERT_RAISER } from '../common/alert-raiser';
import { AlertClock } from './alert-clock';
import { AlertSources } from './alert-sources';
import { AlertsController, DepartmentsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

/** Alerts: lifecycle, dedupe, escalation, departments, statistics. Offers ALERT_RAISER to every module. */
@Global()
@Module({
  controllers: [AlertsController, DepartmentsController],
  providers: [
    AlertsService,
    AlertsRepository,
    AlertClock,
    AlertSources,
    { provide: ALERT_RAISER, useExisting: AlertsService },
  ],
  exports: [AlertsService, ALERT_RAISER],
})
export class AlertsModule {}
