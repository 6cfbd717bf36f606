import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import type { Response } from 'express';
import {
  CommandListQuery,
  DEVICE_ID_PATTERN,
  RequestId,
  SendCommandBody,
  type DeviceCommandPage,
  type DeviceCommandRecord,
  type SessionUser,
} from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { CommandsService } from './commands.service';

const DeviceIdParam = new TypeBoxPipe(Type.String({ pattern: DEVICE_ID_PATTERN }));

/** Commands to one device (snapshot, configuration, PTZ preset, loudspeaker, reboot) and their replies. */
@Controller('api/devices/:id/commands')
@Roles('admin')
export class CommandsController {
  constructor(private readonly commands: CommandsService) {}

  /** 200 with the reply when the device answers within `timeoutS`; else 202 with the pending command. */
  @Post()
  @HttpCode(200)
  async send(
    @Param('id', DeviceIdParam) deviceId: string,
    @Body(new TypeBoxPipe(SendCommandBody)) body: SendCommandBody,
    @CurrentUser() actor: SessionUser,
    @ClientAddress() ip: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<DeviceCommandRecord> {
    const { replied, command } = await this.commands.send(deviceId, body, actor, ip);
    response.status(replied ? 200 : 202);
    return command;
  }

  @Get()
  list(
    @Param('id', DeviceIdParam) deviceId: string,
    @Query(new TypeBoxPipe(CommandListQuery, { convert: true })) query: CommandListQuery,
  ): Promise<DeviceCommandPage> {
    return this.commands.list(deviceId, query);
  }

  @Get(':requestId')
  get(
    @Param('id', DeviceIdParam) deviceId: string,
    @Param('requestId', new TypeBoxPipe(RequestId)) requestId: string,
  ): Promise<DeviceCommandRecord> {
    return this.commands.get(deviceId, requestId);
  }
}
