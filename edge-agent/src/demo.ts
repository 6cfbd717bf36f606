import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { DEFAULT_TOPIC_ROOT } from '@citywatch/protocol';
import { registerSimulatedDistrict } from './registry/district-setup';
import { hubToken, waitForHub } from './registry/registry-client';
import { createSimulatedDistrict } from './simulator/simulated-district-agent';
import { createLogger } from './util/logger';

/**
 * `npm run demo`: starts the hub on its embedded defaults, waits for /health, registers the Pingfang
 * estate and the simulator's hotlisted plates and watchlisted people (so hotlist and watchlist alerts
 * come), then runs the district simulator against the hub's embedded broker so the console shows a
 * live district at once. Ctrl-C stops both.
 *
 * Environment: HTTP_PORT (8080), EMBEDDED_MQTT_PORT (11883), MQTT_URL (an external broker instead),
 * TOPIC_ROOT (city/v1), DATA_DIR (./data), DEMO_TIME_COMPRESSION (10), DEMO_MULTIPLIER (1),
 * DEMO_SEED (1). The registry import signs in with CITYWATCH_HUB_TOKEN if set, else as ADMIN_USERNAME
 * (admin) with ADMIN_PASSWORD or the password the hub wrote to {DATA_DIR}/initial-admin-password.
 */
async function main(): Promise<void> {
  const logger = createLogger({ base: { component: 'demo' } });
  const root = resolve(__dirname, '..', '..');
  const env: NodeJS.ProcessEnv & { DATA_DIR: string } = {
    ...process.env,
    DATA_DIR: process.env.DATA_DIR ?? resolve(root, 'data'),
  };
  const hubUrl = `http://127.0.0.1:${env.HTTP_PORT ?? '8080'}`;
  const brokerUrl = env.MQTT_URL ?? `mqtt://127.0.0.1:${env.EMBEDDED_MQTT_PORT ?? '11883'}`;

  const hub: ChildProcess = spawn(process.execPath, [resolve(root, 'server', 'dist', 'main.js')], {
    env,
    stdio: 'inherit',
    // Its own process group: Ctrl-C reaches the demo only, which stops the district first, then the hub.
    detached: true,
  });
  running.hub = hub;
  process.once('exit', () => {
    if (hub.exitCode === null) hub.kill('SIGTERM');
  });
  let hubAlive = true;
  hub.once('exit', (code, signal) => {
    hubAlive = false;
    logger.info('hub exited', { code, signal });
    if (!stopping) process.exit(code ?? 1);
  });
  let stopping = false;
  const district: { stop?: () => Promise<void> } = {};
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping the demo', { signal });
    await district.stop?.().catch((error: unknown) => logger.error('simulator stop failed', { error }));
    if (hubAlive) {
      hub.kill('SIGTERM');
      await new Promise((done) => hub.once('exit', done));
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await waitForHub(hubUrl, 120_000, () => hubAlive);
  const token = await hubToken(hubUrl, env, env.DATA_DIR);

  const simulated = await createSimulatedDistrict({
    broker: { url: brokerUrl },
    topicRoot: env.TOPIC_ROOT ?? DEFAULT_TOPIC_ROOT,
    dataDir: resolve(env.DATA_DIR, 'simulator'),
    seed: env.DEMO_SEED ?? 1,
    timeCompression: Number(env.DEMO_TIME_COMPRESSION ?? 10),
    rateMultiplier: Number(env.DEMO_MULTIPLIER ?? 1),
    logger: createLogger({ level: 'warn' }),
  });
  const { agent, simulator } = simulated;
  // The estate, then the simulator's hotlisted plates and watchlisted people, as an administrator would.
  await registerSimulatedDistrict({ hubUrl, token }, { ...simulated, model: simulator.model }, logger);
  district.stop = () => agent.stop();
  await agent.start();
  logger.info('district simulator running', { devices: agent.deviceIds().length, console: hubUrl });
  setInterval(() => {
    const stats = agent.stats();
    logger.info('district', {
      simulatedTime: simulator.stats().simulatedTime,
      online: stats.online,
      accepted: stats.accepted,
      acknowledged: stats.acknowledged,
      spoolDepth: stats.spool.depth,
    });
  }, 15_000).unref();
}

/** The hub child, so a failed start does not leave it running. */
const running: { hub?: ChildProcess } = {};

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
  const hub = running.hub;
  if (hub && hub.exitCode === null) {
    hub.once('exit', () => process.exit(1));
    hub.kill('SIGTERM');
  } else process.exit(1);
});
