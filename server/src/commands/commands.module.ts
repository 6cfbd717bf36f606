import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { DeadLetterRepository } from '../ingest/dead-letter.repository';
import { StorageModule } from '../storage/storage.module';
import { CommandsController } from './commands.controller';
import { CommandsRetention } from './commands-retention';
import { CommandsMetrics } from './commands.metrics';
import { CommandsRepository } from './commands.repository';
import { CommandsService } from './commands.service';

/**
 * Commands to devices: `POST /api/devices/:id/commands` publishes one and waits briefly for the reply;
 * ingest hands replies to `CommandsService.acceptReply`. Replies it cannot match become dead letters
 * (written with its own DeadLetterRepository, so this module does not depend on ingest).
 */
@Module({
  imports: [DevicesModule, StorageModule],
  controllers: [CommandsController],
  providers: [CommandsService, CommandsRepository, CommandsMetrics, CommandsRetention, DeadLetterRepository],
  exports: [CommandsService],
})
export class CommandsModule {}
