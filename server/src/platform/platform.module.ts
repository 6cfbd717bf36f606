import {
  type DynamicModule,
  Global,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import { pinoHttp } from 'pino-http';
import { HubEvents } from '../common/hub-events';
import { StoredEventProcessors } from '../common/stored-event-processors';
import { HUB_CONFIG } from './config/config.tokens';
import type { HubConfig } from './config/hub-config';
import { DATABASE, type Database } from './database/database';
import { LOGGER } from './logging/logging.tokens';
import type { Logger } from './logging/logger';
import { NestLogger } from './logging/nest-logger';
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
export class PlatformModule implements NestModule {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  /**
   * One log line per HTTP request (not for probes and scrapes). pino-http directly rather than through
   * nestjs-pino: its request-scoped logger lives in an AsyncLocalStorage, and once one is in use Node
   * runs async hooks on every promise the hub makes (a few per device message) for the rest of its life.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(
        pinoHttp({
          logger: this.logger.child({ component: 'http' }),
          autoLogging: {
            ignore: (request) => request.url === '/metrics' || request.url?.startsWith('/health') === true,
          },
        }),
      )
      .forRoutes({ path: '{*splat}', method: RequestMethod.ALL });
  }

  static forRoot(parts: PlatformParts): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: HUB_CONFIG, useValue: parts.config },
        { provide: LOGGER, useValue: parts.logger },
        { provide: DATABASE, useValue: parts.database },
        { provide: BROKER_LINK, useValue: parts.broker },
        { provide: HubMetrics, useValue: parts.metrics },
        HubEvents,
        StoredEventProcessors,
        { provide: NestLogger, useValue: new NestLogger(parts.logger.child({ component: 'nest' })) },
      ],
      exports: [HUB_CONFIG, LOGGER, DATABASE, BROKER_LINK, HubMetrics, HubEvents, StoredEventProcessors, NestLogger],
    };
  }
}
