import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { TopicScheme } from '@citywatch/protocol';
import { AppModule } from './app.module';
import { BrokerAccessHolder, DeviceAccessPolicy } from './auth/device-access.policy';
import { installRequestLimits } from './auth/request-limits';
import { IngestService } from './ingest/ingest.service';
import { ReplicaMembership } from './ingest/replica-membership.service';
import type { HubConfig } from './platform/config/hub-config';
import type { Database } from './platform/database/database';
import { openDatabase } from './platform/database/open-database';
import { createLogger, type Logger } from './platform/logging/logger';
import { NestLogger } from './platform/logging/nest-logger';
import { HubMetrics } from './platform/metrics/metrics';
import type { BrokerLink } from './platform/mqtt/broker-link';
import { EmbeddedBrokerLink, type BrokerAccessPolicy } from './platform/mqtt/embedded-broker-link';
import { ExternalBrokerLink } from './platform/mqtt/external-broker-link';
import { RedisIoAdapter } from './realtime/redis-io.adapter';

export interface RunningHub {
  httpUrl: string;
  /** Where devices connect. */
  mqttUrl: string;
  config: HubConfig;
  app: NestExpressApplication;
  close(): Promise<void>;
}

/** Default location of the built console: console/dist at the repository root. */
const DEFAULT_CONSOLE_DIR = resolve(__dirname, '../../console/dist');

/**
 * Starts the hub: database (migrated), Nest application, then the broker link last, so that no device
 * message is taken before the pipeline can commit it. Closing runs the other way round.
 */
export async function startHub(config: HubConfig, logger: Logger = createLogger(config)): Promise<RunningHub> {
  const metrics = new HubMetrics();
  const database = await openDatabase(config, logger);
  // Device credentials and ACLs come from the auth module, made with the application; the broker starts after.
  const access = new BrokerAccessHolder();
  const broker = createBrokerLink(config, logger, metrics, access);
  let app: NestExpressApplication | undefined;
  try {
    app = await NestFactory.create<NestExpressApplication>(
      AppModule.forRoot({ config, logger, database, broker, metrics }),
      { bufferLogs: true, abortOnError: false, bodyParser: false },
    );
    app.useLogger(app.get(NestLogger));
    app.enableShutdownHooks();
    // Behind a reverse proxy, req.ip (audit records, per-address limits) is the client's from X-Forwarded-For.
    if (config.trustProxy) app.set('trust proxy', config.trustProxy);
    installRequestLimits(app, config);
    app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
    const origins = config.CORS_ORIGINS.split(',')
      .map((origin) => origin.trim())
      .filter(Boolean);
    if (origins.length > 0) app.enableCors({ origin: origins, credentials: true });
    serveConsole(app, config.CONSOLE_DIR || DEFAULT_CONSOLE_DIR, logger);
    if (config.REDIS_URL) {
      const adapter = new RedisIoAdapter(app, {
        url: config.REDIS_URL,
        channelPrefix: config.REDIS_CHANNEL_PREFIX,
        logger,
      });
      await adapter.connect();
      app.useWebSocketAdapter(adapter);
    }
    await app.init();
    access.bind(app.get(DeviceAccessPolicy));
    const ingest = app.get(IngestService);
    await broker.start((topic, payload) => ingest.ingest(topic, payload));
    await app.get(ReplicaMembership).start();
    await app.listen(config.HTTP_PORT, config.HOST);
  } catch (error) {
    await broker.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const httpUrl = `http://${host}:${address.port}`;
  logger.info({ httpUrl, mqttUrl: broker.deviceUrl, topicRoot: config.TOPIC_ROOT }, 'hub ready');
  const running = app;
  return {
    httpUrl,
    mqttUrl: broker.deviceUrl,
    config,
    app: running,
    close: async () => {
      // A replica on a shared subscription leaves its group first, so its share goes to the others.
      await running.get(ReplicaMembership).leave();
      await broker.close().catch((error: Error) => logger.warn({ err: error }, 'broker close failed'));
      await running.close();
      await database.close();
      logger.info('hub stopped');
    },
  };
}

function createBrokerLink(
  config: HubConfig,
  logger: Logger,
  metrics: HubMetrics,
  access: BrokerAccessPolicy,
): BrokerLink {
  const log = logger.child({ component: 'mqtt' });
  if (config.MQTT_URL) {
    return new ExternalBrokerLink(
      {
        url: config.MQTT_URL,
        clientId: `citywatch-hub-${config.hubId}`.slice(0, 64),
        username: config.MQTT_USERNAME,
        password: config.MQTT_PASSWORD,
        filters: new TopicScheme(config.TOPIC_ROOT).hubSubscriptions(),
        shareGroup: config.MQTT_SHARE_GROUP || undefined,
        keepaliveS: config.MQTT_KEEPALIVE_S,
      },
      log,
    );
  }
  return new EmbeddedBrokerLink(config.EMBEDDED_MQTT_HOST, config.EMBEDDED_MQTT_PORT, log, access, (kind) =>
    metrics.brokerRefusals.inc({ kind }),
  );
}

/** Serves the built console at `/`, with the single-page app's routes falling back to index.html. */
function serveConsole(app: NestExpressApplication, dir: string, logger: Logger): void {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    logger.warn({ dir }, 'no built console found; run `npm run build` to serve it');
    return;
  }
  app.useStaticAssets(dir, { index: false, maxAge: '1h' });
  app.use((request: Request, response: Response, next: NextFunction) => {
    if (request.method !== 'GET' || /^\/(api|health|metrics|socket\.io)(\/|$)/.test(request.path)) return next();
    if (!request.accepts('html')) return next();
    response.setHeader('Cache-Control', 'no-cache');
    response.sendFile(index);
  });
}

export type { Database };
