import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN, RegistryImport, type RegistryImportResult } from '@citywatch/protocol';
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
  constructor(private readonly devices: DevicesService) {}

  @Post('registry/import')
  @HttpCode(200)
  importRegistry(@Body(new TypeBoxPipe(RegistryImport)) body: RegistryImport): Promise<RegistryImportResult> {
    return this.devices.importRegistry(body);
  }

  @Get('devices')
  list(
    @Query(new TypeBoxPipe(DeviceListQuery, { convert: true })) query: Static<typeof DeviceListQuery>,
  ): Promise<DeviceRecord[]> {
    return this.devices.list(query as Parameters<DevicesService['list']>[0]);
  }

  @Get('devices/:id')
  async get(
    @Param('id', new TypeBoxPipe(Type.String({ pattern: DEVICE_ID_PATTERN }))) id: string,
  ): Promise<DeviceRecord> {
    const device = await this.devices.find(id);
    if (!device) throw new NotFoundException(`device ${id} is not registered`);
    return device;
  }
}
