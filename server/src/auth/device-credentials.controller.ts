import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, type DeviceSecretIssued, type SessionUser } from '@citywatch/protocol';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { ClientAddress, CurrentUser, Roles } from './auth.decorators';
import { DeviceCredentialsService } from './device-credentials.service';

/** A device's broker secret: rotate it (the new one is shown once). */
@Controller('api/devices')
export class DeviceCredentialsController {
  constructor(private readonly credentials: DeviceCredentialsService) {}

  @Post(':id/secret')
  @HttpCode(200)
  @Roles('admin')
  rotate(
    @Param('id', new TypeBoxPipe(Type.String({ pattern: DEVICE_ID_PATTERN }))) id: string,
    @CurrentUser() actor: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<DeviceSecretIssued> {
    return this.credentials.rotate(id, actor, ip);
  }
}
