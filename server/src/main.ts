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
