import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  AlertHourlyQuery,
  AlertListQuery,
  AlertStatsQuery,
  AssignAlertBody,
  CommentAlertBody,
  DepartmentBody,
  FalseAlarmBody,
  ReopenAlertBody,
  ResolveAlertBody,
  type AlertComment,
  type AlertHourlySeries,
  type AlertRecord,
  type AlertStats,
  type AlertTrailEntry,
  type Department,
  type SessionUser,
} from '@citywatch/protocol';
import { Type } from '@sinclair/typebox';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { AlertsService } from './alerts.service';

const AlertId = new TypeBoxPipe(Type.String({ pattern: '^[0-9]{1,18}$' }));
const DepartmentId = new TypeBoxPipe(Type.String({ pattern: '^[a-z0-9_-]{1,64}$' }));
const EVERYONE = ['admin', 'operator', 'traffic_police', 'department_member', 'viewer'] as const;
const WORKERS = ['admin', 'operator', 'traffic_police', 'department_member'] as const;

/** The alert workflow over REST; the same operations travel over the socket with acknowledgements. */
@Controller('api/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @Roles(...EVERYONE)
  list(
    @Query(new TypeBoxPipe(AlertListQuery, { convert: true })) query: AlertListQuery,
    @CurrentUser() user?: SessionUser,
  ): Promise<AlertRecord[]> {
    return this.alerts.list(query, user);
  }

  @Get('stats')
  @Roles(...EVERYONE)
  stats(
    @Query(new TypeBoxPipe(AlertStatsQuery, { convert: true })) query: AlertStatsQuery,
    @CurrentUser() user?: SessionUser,
  ): Promise<AlertStats> {
    return this.alerts.stats(query, user);
  }

  @Get('hourly')
  @Roles(...EVERYONE)
  hourly(
    @Query(new TypeBoxPipe(AlertHourlyQuery, { convert: true })) query: AlertHourlyQuery,
    @CurrentUser() user?: SessionUser,
  ): Promise<AlertHourlySeries> {
    return this.alerts.hourly(query, user);
  }

  @Get(':id')
  @Roles(...EVERYONE)
  get(@Param('id', AlertId) id: string, @CurrentUser() user?: SessionUser): Promise<AlertRecord> {
    return this.alerts.get(id, user);
  }

  @Get(':id/trail')
  @Roles(...EVERYONE)
  trail(@Param('id', AlertId) id: string, @CurrentUser() user?: SessionUser): Promise<AlertTrailEntry[]> {
    return this.alerts.trail(id, user);
  }

  @Get(':id/comments')
  @Roles(...EVERYONE)
  comments(@Param('id', AlertId) id: string, @CurrentUser() user?: SessionUser): Promise<AlertComment[]> {
    return this.alerts.comments(id, user);
  }

  @Post(':id/claim')
  @HttpCode(200)
  @Roles('admin', 'operator')
  claim(@Param('id', AlertId) id: string, @CurrentUser() user: SessionUser, @ClientAddress() ip: string) {
    return this.alerts.claim(id, { actor: user, ip });
  }

  @Post(':id/assign')
  @HttpCode(200)
  @Roles('admin', 'operator')
  assign(
    @Param('id', AlertId) id: string,
    @Body(new TypeBoxPipe(AssignAlertBody)) body: AssignAlertBody,
    @CurrentUser() user: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<AlertRecord> {
    return this.alerts.assign(id, body, { actor: user, ip });
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Roles(...WORKERS)
  resolve(
    @Param('id', AlertId) id: string,
    @Body(new TypeBoxPipe(ResolveAlertBody)) body: ResolveAlertBody,
    @CurrentUser() user: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<AlertRecord> {
    return this.alerts.resolve(id, body, { actor: user, ip });
  }

  @Post(':id/false-alarm')
  @HttpCode(200)
  @Roles(...WORKERS)
  falseAlarm(
    @Param('id', AlertId) id: string,
    @Body(new TypeBoxPipe(FalseAlarmBody)) body: FalseAlarmBody,
    @CurrentUser() user: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<AlertRecord> {
    return this.alerts.falseAlarm(id, body, { actor: user, ip });
  }

  @Post(':id/reopen')
  @HttpCode(200)
  @Roles('admin', 'operator')
  reopen(
    @Param('id', AlertId) id: string,
    @Body(new TypeBoxPipe(ReopenAlertBody)) body: ReopenAlertBody,
    @CurrentUser() user: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<AlertRecord> {
    return this.alerts.reopen(id, body, { actor: user, ip });
  }

  @Post(':id/comments')
  @HttpCode(200)
  @Roles(...WORKERS)
  comment(
    @Param('id', AlertId) id: string,
    @Body(new TypeBoxPipe(CommentAlertBody)) body: CommentAlertBody,
    @CurrentUser() user: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<AlertRecord> {
    return this.alerts.comment(id, body, { actor: user, ip });
  }
}

/** The departments alerts are handed to; admins configure them. */
@Controller('api/departments')
export class DepartmentsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @Roles(...EVERYONE)
  list(): Promise<Department[]> {
    return this.alerts.listDepartments();
  }

  @Put(':id')
  @Roles('admin')
  save(
    @Param('id', DepartmentId) id: string,
    @Body(new TypeBoxPipe(DepartmentBody)) body: DepartmentBody,
    @CurrentUser() user: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<Department> {
    return this.alerts.saveDepartment({ ...body, id }, { actor: user, ip });
  }

  @Get(':id/members')
  @Roles('admin', 'operator', 'department_member', 'traffic_police')
  members(@Param('id', DepartmentId) id: string) {
    return this.alerts.departmentMembers(id);
  }
}
