import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import {
  DEVICE_ID_PATTERN,
  ROLES,
  RegistryImport,
  type RegistryImportResult,
  type SessionUser,
} from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { DeviceCredentialsService } from '../auth/device-credentials.service';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { DevicesService } from './devices.service';
import type { DeviceRecord } from './devices.repository';

const DeviceListQuery = Type.Object(
  {
    kind: Type.Optional(
      Type.Union(['hd_camera', 'checkpoint', 'long_range', 'face_checkpoint'].map((k) => Type.Literal(k))),
    ),
    area: Type.Optional(Type.String({ maxLength: 100 })),
    online: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

@Controller('api')
export class RegistryController {
  constructor(
    private readonly devices: DevicesService,
    private readonly credentials: DeviceCredentialsService,
  ) {}

  /** Registers the estate; devices without a broker secret get one, returned this once. */
  @Post('registry/import')
  @HttpCode(200)
  @Roles('admin')
  async importRegistry(
    @Body(new TypeBoxPipe(RegistryImport)) body: RegistryImport,
    @CurrentUser() actor: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<RegistryImportResult> {
    const result = await this.devices.importRegistry(body);
    return { ...result, credentials: await this.credentials.afterImport(body.devices, actor, ip) };
  }

  @Get('devices')
  @Roles(...ROLES)
  list(
    @Query(new TypeBoxPipe(DeviceListQuery, { convert: true })) query: Static<typeof DeviceListQuery>,
  ): Promise<DeviceRecord[]> {
    return this.devices.list(query as Parameters<DevicesService['list']>[0]);
  }

  @Get('devices/:id')
  @Roles(...ROLES)
  async get(
    @Param('id', new TypeBoxPipe(Type.String({ pattern: DEVICE_ID_PATTERN }))) id: string,
  ): Promise<DeviceRecord> {
    const device = await this.devices.find(id);
    if (!device) throw new NotFoundException(`device ${id} is not registered`);
    return device;
  }
}
