import { Global, Module } from '@nestjs/common';
import { AUDIT_LOG } from '../common/audit-log';
import { StorageModule } from '../storage/storage.module';
import { AuditController } from './audit.controller';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { FaceRetention } from './face-retention';

/** The audit log, offered to every module as `AUDIT_LOG`; and the privacy retention of face captures. */
@Global()
@Module({
  imports: [StorageModule],
  controllers: [AuditController],
  providers: [AuditRepository, AuditService, { provide: AUDIT_LOG, useExisting: AuditService }, FaceRetention],
  exports: [AUDIT_LOG],
})
export class AuditModule {}
