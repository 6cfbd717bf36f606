import { type DynamicModule, Module } from '@nestjs/common';
import { AlertsModule } from './alerts/alerts.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CheckpointsModule } from './checkpoints/checkpoints.module';
import { CommandsModule } from './commands/commands.module';
import { DevicesModule } from './devices/devices.module';
import { FacesModule } from './faces/faces.module';
import { HealthModule } from './health/health.module';
import { IngestModule } from './ingest/ingest.module';
import { PlatformModule, type PlatformParts } from './platform/platform.module';
import { RealtimeModule } from './realtime/realtime.module';
import { StorageModule } from './storage/storage.module';

@Module({})
export class AppModule {
  static forRoot(parts: PlatformParts): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(parts),
        AuditModule,
        AuthModule,
        DevicesModule,
        IngestModule,
        CommandsModule,
        CheckpointsModule,
        FacesModule,
        AlertsModule,
        RealtimeModule,
        HealthModule,
        StorageModule,
      ],
    };
  }
}
