import { Module } from '@nestjs/common';
import { DevicesRepository } from './devices.repository';
import { DevicesService } from './devices.service';
import { RegistryController } from './registry.controller';

@Module({
  controllers: [RegistryController],
  providers: [DevicesService, DevicesRepository],
  exports: [DevicesService],
})
export class DevicesModule {}
