import { Module } from '@nestjs/common';
import { CommandsModule } from '../commands/commands.module';
import { DevicesModule } from '../devices/devices.module';
import { DeadLetterRepository } from './dead-letter.repository';
import { DeadLettersController } from './dead-letters.controller';
import { EventRepository } from './event.repository';
import { IngestService } from './ingest.service';
import { ReplicaMembership } from './replica-membership.service';
import { ReplicaRepository } from './replica.repository';

@Module({
  imports: [DevicesModule, CommandsModule],
  controllers: [DeadLettersController],
  providers: [IngestService, EventRepository, DeadLetterRepository, ReplicaMembership, ReplicaRepository],
  exports: [IngestService, ReplicaMembership],
})
export class IngestModule {}
