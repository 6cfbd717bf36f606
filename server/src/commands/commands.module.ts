import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { StorageModule } from '../storage/storage.module';
import { CommandsController } from './commands.controller';
import { CommandsRetention } from './commands-retention';
import { CommandsMetrics } from './commands.metrics';
import { CommandsRepository } from './commands.repository';
import { CommandsService } from './commands.service';

/**
 * Commands to devices: `POST /api/devices/:id/commands` publishes one and waits briefly for the reply;
 * ingest hands replies to `CommandsService.acceptReply`, and keeps those it could not record (an unknown
 * request, another device's reply) as dead letters with what the device sent.
 */
@Module({
  imports: [DevicesModule, StorageModule],
  controllers: [CommandsController],
  providers: [CommandsService, CommandsRepository, CommandsMetrics, CommandsRetention],
  exports: [CommandsService],
})
export class CommandsModule {}
