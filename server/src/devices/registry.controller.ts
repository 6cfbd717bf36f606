import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import {
  DEVICE_ID_PATTERN,
  DeviceEntriesQuery,
  DeviceListQuery,
  ROLES,
  RegistryImport,
  type DeviceActivity,
  type DeviceStatusEntry,
  type RegistryImportResult,
  type SessionUser,
} from '@citywatch/protocol';
import { ClientAddress, CurrentUser, Roles } from '../auth/auth.decorators';
import { DeviceCredentialsService } from '../auth/device-credentials.service';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { DevicesService } from './devices.service';
import type { DeviceRecord } from './devices.repository';

const DeviceIdParam = Type.String({ pattern: DEVICE_ID_PATTERN });

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
  list(@Query(new TypeBoxPipe(DeviceListQuery, { convert: true })) query: DeviceListQuery): Promise<DeviceRecord[]> {
    return this.devices.list(query);
  }

  @Get('devices/:id')
  @Roles(...ROLES)
  async get(@Param('id', new TypeBoxPipe(DeviceIdParam)) id: string): Promise<DeviceRecord> {
    const device = await this.devices.find(id);
    if (!device) throw new NotFoundException(`device ${id} is not registered`);
    return device;
  }

  /** Online/offline changes, newest first. */
  @Get('devices/:id/history')
  @Roles(...ROLES)
  async history(
    @Param('id', new TypeBoxPipe(DeviceIdParam)) id: string,
    @Query(new TypeBoxPipe(DeviceEntriesQuery, { convert: true })) query: DeviceEntriesQuery,
  ): Promise<DeviceStatusEntry[]> {
    await this.get(id);
    return this.devices.statusHistory(id, query.limit);
  }

  /** Newest events of every kind with plates and incident kinds (no images), and the last hour's counts. */
  @Get('devices/:id/events')
  @Roles('admin', 'operator', 'traffic_police')
  async events(
    @Param('id', new TypeBoxPipe(DeviceIdParam)) id: string,
    @Query(new TypeBoxPipe(DeviceEntriesQuery, { convert: true })) query: DeviceEntriesQuery,
  ): Promise<DeviceActivity> {
    await this.get(id);
    return this.devices.recentActivity(id, query.limit);
  }
}
