import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadHubConfig } from '../platform/config/hub-config';
import { createLogger } from '../platform/logging/logger';
import { openDatabase } from '../platform/database/open-database';
import { DeviceCredentialsRepository } from './device-credentials.repository';
import { buildMosquittoFiles } from './mosquitto-files';

/**
 * Writes Mosquitto's `passwd` and `acl` for the hub's registry:
 *   node server/dist/auth/mosquitto-cli.js [out-dir]   (default /etc/mosquitto/citywatch)
 * with the hub's environment (DATABASE_URL, TOPIC_ROOT, MQTT_USERNAME, MQTT_PASSWORD). Files are replaced
 * atomically; then `kill -HUP <mosquitto>` makes Mosquitto read them again without dropping connections.
 */
async function main(): Promise<void> {
  const config = loadHubConfig(process.env);
  if (!config.MQTT_USERNAME || !config.MQTT_PASSWORD) {
    throw new Error('set MQTT_USERNAME and MQTT_PASSWORD: the hub signs in to Mosquitto with them');
  }
  const out = resolve(process.argv[2] ?? '/etc/mosquitto/citywatch');
  const database = await openDatabase(config, createLogger({ ...config, LOG_LEVEL: 'warn' }));
  try {
    const devices = await new DeviceCredentialsRepository(database).devicesWithCredentials();
    const files = await buildMosquittoFiles({
      topicRoot: config.TOPIC_ROOT,
      devices,
      hub: { username: config.MQTT_USERNAME, password: config.MQTT_PASSWORD },
    });
    mkdirSync(out, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      const temporary = join(out, `.${name}.tmp`);
      writeFileSync(temporary, text, { mode: 0o640 });
      chmodSync(temporary, 0o640);
      renameSync(temporary, join(out, name));
    }
    const withSecret = devices.filter((device) => device.secretHash).length;
    process.stdout.write(
      `wrote ${join(out, 'passwd')} (${withSecret} of ${devices.length} devices have a secret) and ${join(out, 'acl')}\n`,
    );
  } finally {
    await database.close();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`citywatch mosquitto files: ${error.message}\n`);
  process.exit(1);
});
