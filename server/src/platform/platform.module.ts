import { type DynamicModule, Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { HubEvents } from '../common/hub-events';
import { StoredEventProcessors } from '../common/stored-event-processors';
import { HUB_CONFIG } from './config/config.tokens';
import type { HubConfig } from './config/hub-config';
import { DATABASE, type Database } from './database/database';
import { LOGGER } from './logging/logging.tokens';
import type { Logger } from './logging/logger';
import { HubMetrics } from './metrics/metrics';
import { BROKER_LINK, type BrokerLink } from './mqtt/broker-link';

export interface PlatformParts {
  config: HubConfig;
  logger: Logger;
  database: Database;
  broker: BrokerLink;
  metrics: HubMetrics;
}

/** The adapters made before Nest starts (config, logger, database, broker), offered to every module. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(parts: PlatformParts): DynamicModule {
    return {
      module: PlatformModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: parts.logger.child({ component: 'http' }),
            autoLogging: {
              ignore: (request) => request.url === '/metrics' || request.url?.startsWith('/health') === true,
            },
          },
        }),
      ],
      providers: [
        { provide: HUB_CONFIG, useValue: parts.config },
        { provide: LOGGER, useValue: parts.logger },
        { provide: DATABASE, useValue: parts.database },
        { provide: BROKER_LINK, useValue: parts.broker },
        { provide: HubMetrics, useValue: parts.metrics },
        HubEvents,
        StoredEventProcessors,
      ],
      exports: [HUB_CONFIG, LOGGER, DATABASE, BROKER_LINK, HubMetrics, HubEvents, StoredEventProcessors],
    };
  }
}
