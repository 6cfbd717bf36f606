import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import {
  CheckpointRuleUpdate,
  HotlistEntryBody,
  HotlistListQuery,
  type CheckpointRule,
  type HotlistEntry,
  type HotlistPage,
  type SessionUser,
} from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { HotlistService } from './hotlist.service';
import { RuleSettingsService } from './rule-settings.service';

const IdParam = new TypeBoxPipe(Type.String({ pattern: '^[0-9]{1,19}$' }));

/** The vehicle hotlist (布控): traffic police and administrators manage it. */
@Controller('api/checkpoints/hotlist')
@Roles('admin', 'traffic_police')
export class HotlistController {
  constructor(private readonly hotlist: HotlistService) {}

  @Get()
  list(@Query(new TypeBoxPipe(HotlistListQuery, { convert: true })) query: HotlistListQuery): Promise<HotlistPage> {
    return this.hotlist.list(query);
  }

  @Get(':id')
  get(@Param('id', IdParam) id: string): Promise<HotlistEntry> {
    return this.hotlist.get(id);
  }

  @Post()
  create(
    @Body(new TypeBoxPipe(HotlistEntryBody)) body: HotlistEntryBody,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<HotlistEntry> {
    return this.hotlist.create(body, user, ip);
  }

  @Put(':id')
  update(
    @Param('id', IdParam) id: string,
    @Body(new TypeBoxPipe(HotlistEntryBody)) body: HotlistEntryBody,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<HotlistEntry> {
    return this.hotlist.update(id, body, user, ip);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(
    @Param('id', IdParam) id: string,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<void> {
    return this.hotlist.remove(id, user, ip);
  }
}

/** The passage rules: on/off, severity, parameters. */
@Controller('api/checkpoints/rules')
export class CheckpointRulesController {
  constructor(private readonly rules: RuleSettingsService) {}

  @Get()
  @Roles('admin', 'traffic_police', 'operator')
  list(): CheckpointRule[] {
    return this.rules.list();
  }

  @Get(':id')
  @Roles('admin', 'traffic_police', 'operator')
  get(@Param('id') id: string): CheckpointRule {
    return this.rules.get(id);
  }

  @Put(':id')
  @Roles('admin', 'traffic_police')
  update(
    @Param('id') id: string,
    @Body(new TypeBoxPipe(CheckpointRuleUpdate)) body: CheckpointRuleUpdate,
    @CurrentUser() user: SessionUser | undefined,
    @ClientAddress() ip: string,
  ): Promise<CheckpointRule> {
    return this.rules.update(id, body, user, ip);
  }
}
