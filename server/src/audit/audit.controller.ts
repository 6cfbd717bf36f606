import { Controller, Get, Header, Query } from '@nestjs/common';
import { AuditQuery, type AuditPage, type SessionUser } from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { SearchRateLimit } from '../auth/rate-limits';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { AuditService } from './audit.service';

/** The audit log, for administrators: browse it, or export it as CSV. */
@Controller('api')
@Roles('admin')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('audit')
  browse(@Query(new TypeBoxPipe(AuditQuery, { convert: true })) query: AuditQuery): Promise<AuditPage> {
    return this.audit.browse(query);
  }

  @Get('audit.csv')
  @SearchRateLimit()
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="citywatch-audit.csv"')
  exportCsv(
    @Query(new TypeBoxPipe(AuditQuery, { convert: true })) query: AuditQuery,
    @CurrentUser() actor: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<string> {
    return this.audit.exportCsv(query, actor, ip);
  }
}
