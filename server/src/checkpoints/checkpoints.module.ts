import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module';
import { CheckpointRulesController, HotlistController } from './hotlist.controller';
import { HotlistRepository } from './hotlist.repository';
import { HotlistService } from './hotlist.service';
import { PassageRulesService } from './passage-rules.service';
import { PassageSearchService } from './passage-search.service';
import { PassagesController } from './passages.controller';
import { PassagesRepository } from './passages.repository';
import { PlateDictionaryService } from './plate-dictionary.service';
import { PlatesRepository } from './plates.repository';
import { RuleSettingsService } from './rule-settings.service';
import { RulesRepository } from './rules.repository';
import { TollgatesController } from './tollgates.controller';
import { TollgatesRepository } from './tollgates.repository';
import { TollgatesService } from './tollgates.service';

/**
 * Checkpoints (卡口): tollgate registry, history search and export, trajectories, statistics, the vehicle
 * hotlist and the passage rules (hotlist, speeding, cloned plate, frequent passage).
 */
@Module({
  imports: [DevicesModule],
  controllers: [TollgatesController, PassagesController, HotlistController, CheckpointRulesController],
  providers: [
    TollgatesService,
    TollgatesRepository,
    PassageSearchService,
    PassagesRepository,
    PlatesRepository,
    PlateDictionaryService,
    HotlistService,
    HotlistRepository,
    RuleSettingsService,
    RulesRepository,
    PassageRulesService,
  ],
  exports: [PassageSearchService],
})
export class CheckpointsModule {}
