import { ConfigError, loadHubConfig } from './platform/config/hub-config';
import { createLogger } from './platform/logging/logger';
import { startHub } from './hub';

/** The hub's entry point: configuration from the environment, then start; stops cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadHubConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`citywatch hub: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config);
  // A promise some library forgets to catch (the Redis client timing out during a burst, say) is logged,
  // not allowed to end the process and every connection with it. Thrown exceptions still end it.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));
  let hub;
  try {
    hub = await startHub(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, `hub failed to start: ${(error as Error).message}`);
    process.stderr.write(`citywatch hub: ${(error as Error).message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    // Committing what is queued takes seconds; a stop that hangs (a peer that never answers) must not keep
    // the process, and its port and broker session, forever.
    setTimeout(() => {
      logger.error('stop took longer than 20 s; exiting anyway');
      process.exit(1);
    }, 20_000).unref();
    hub.close().then(
      () => process.exit(0),
      (error: Error) => {
        logger.error({ err: error }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
