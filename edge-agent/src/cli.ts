#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { DEFAULT_TOPIC_ROOT } from '@citywatch/protocol';
import { agentFromConfig } from './agent/agent-from-config';
import type { EdgeAgent } from './agent/edge-agent';
import { ConfigError, loadAgentConfig } from './config/agent-config';
import { districtLists, exportDistrictLists } from './registry/district-lists';
import { registerSimulatedDistrict, type DistrictDescription } from './registry/district-setup';
import { hubToken } from './registry/registry-client';
import { countDailyVolumes } from './simulator/daily-volumes';
import { buildDistrictEstate, districtRegistry } from './simulator/district-estate';
import { DistrictTrafficModel } from './simulator/district-traffic-model';
import { loadFaceGallery } from './simulator/face-gallery';
import { createSimulatedDistrict } from './simulator/simulated-district-agent';
import { createLogger } from './util/logger';

const USAGE = `citywatch-agent <command> [options]

  run --config agent.json          run the agent for the devices and sources in the file
                                   (the environment may add or override: see README)
  simulate [options]               run the Pingfang district simulator as one agent process
      --broker URL                 broker (default $CITYWATCH_BROKER_URL or mqtt://127.0.0.1:11883)
      --hub URL                    register the estate, the hotlisted plates and the watchlisted
                                   people with this hub first (see register)
      --token TOKEN                bearer token for the hub (default $CITYWATCH_HUB_TOKEN, or a
                                   sign-in as $ADMIN_USERNAME with $ADMIN_PASSWORD)
      --topic-root ROOT            default $CITYWATCH_TOPIC_ROOT or ${DEFAULT_TOPIC_ROOT}
      --time-compression N         simulated time runs N times faster (default 1)
      --multiplier N               multiply every event rate (default 1)
      --seed S                     seed of the traffic (default 1)
      --data-dir DIR               spool and images (default ./data/simulator)
      --faces DIR|off              face photographs (default: @vladmandic/face-api demo pictures)
      --no-faults                  no simulated outages, video loss or tamper
      --backlog-rate N             events/s per device after an outage (default 50)
  volumes [--seed S --multiplier N]  print the district's expected daily volumes as JSON
  export-registry                  print the district's RegistryImport JSON (with the devices' secrets)
  register --hub URL [--token T --seed S --faces DIR|off]
                                   register the estate, the simulator's hotlisted plates and its
                                   watchlisted people (with their photos) with a running hub, as
                                   \`simulate --hub\` does before it starts; safe to repeat
  export-lists [--seed S --faces DIR|off]
                                   print those hotlist entries and watchlist people (photos as
                                   base64 JPEG) as JSON, for a hub this machine cannot reach
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'run':
      return run(rest);
    case 'simulate':
      return simulate(rest);
    case 'volumes':
      return volumes(rest);
    case 'export-registry':
      process.stdout.write(JSON.stringify(districtRegistry(), null, 2) + '\n');
      return;
    case 'register':
      return register(rest);
    case 'export-lists':
      return exportLists(rest);
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}

async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { config: { type: 'string', short: 'c' } } });
  const logger = createLogger();
  const config = loadAgentConfig(values.config ?? process.env.CITYWATCH_AGENT_CONFIG);
  const agent = agentFromConfig(config, logger);
  await agent.start();
  stopOnSignal(agent, logger);
}

async function simulate(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      broker: { type: 'string' },
      hub: { type: 'string' },
      token: { type: 'string' },
      'topic-root': { type: 'string' },
      'time-compression': { type: 'string' },
      multiplier: { type: 'string' },
      seed: { type: 'string' },
      'data-dir': { type: 'string' },
      faces: { type: 'string' },
      'no-faults': { type: 'boolean' },
      'backlog-rate': { type: 'string' },
    },
  });
  const logger = createLogger();
  const district = await createSimulatedDistrict({
    broker: { url: values.broker ?? process.env.CITYWATCH_BROKER_URL ?? 'mqtt://127.0.0.1:11883' },
    topicRoot: values['topic-root'] ?? process.env.CITYWATCH_TOPIC_ROOT ?? DEFAULT_TOPIC_ROOT,
    dataDir: values['data-dir'] ?? process.env.CITYWATCH_DATA_DIR ?? './data/simulator',
    seed: values.seed ?? 1,
    timeCompression: positive(values['time-compression'], 1, '--time-compression'),
    rateMultiplier: positive(values.multiplier, 1, '--multiplier'),
    faces: values.faces,
    faults: !values['no-faults'],
    backlogRatePerS: values['backlog-rate'] !== undefined ? Number(values['backlog-rate']) : undefined,
    logger,
  });
  const { agent, simulator } = district;
  if (values.hub) {
    await registerSimulatedDistrict(
      { hubUrl: values.hub, token: values.token ?? (await hubToken(values.hub, process.env)) },
      { ...district, model: simulator.model },
      logger,
    );
  }
  await agent.start();
  const report = setInterval(() => {
    const stats = agent.stats();
    const sim = simulator.stats();
    logger.info('district', {
      simulatedTime: sim.simulatedTime,
      online: stats.online,
      accepted: stats.accepted,
      acknowledged: stats.acknowledged,
      spoolDepth: stats.spool.depth,
      outages: sim.outages,
      lagMs: sim.lagMs,
    });
  }, 10_000);
  report.unref();
  stopOnSignal(agent, logger, () => clearInterval(report));
}

async function volumes(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { seed: { type: 'string' }, multiplier: { type: 'string' }, faces: { type: 'string' } },
  });
  const faces = values.faces === 'off' ? undefined : await loadFaceGallery(values.faces);
  const model = new DistrictTrafficModel(buildDistrictEstate(), {
    seed: values.seed ?? 1,
    rateMultiplier: positive(values.multiplier, 1, '--multiplier'),
    faces,
  });
  process.stdout.write(JSON.stringify(countDailyVolumes(model), null, 2) + '\n');
}

/** The district of a seed as the hub must know it, without running it: the same lists the simulator would use. */
async function describeDistrict(seed: string, faces: string | undefined): Promise<DistrictDescription> {
  const gallery = faces === 'off' ? undefined : await loadFaceGallery(faces);
  const estate = buildDistrictEstate();
  return { estate, model: new DistrictTrafficModel(estate, { seed, faces: gallery }), faces: gallery, seed };
}

async function register(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      hub: { type: 'string' },
      token: { type: 'string' },
      seed: { type: 'string' },
      faces: { type: 'string' },
    },
  });
  if (!values.hub) throw new ConfigError(['register needs --hub URL']);
  const logger = createLogger();
  const token = values.token ?? (await hubToken(values.hub, process.env));
  const result = await registerSimulatedDistrict(
    { hubUrl: values.hub, token },
    await describeDistrict(values.seed ?? '1', values.faces),
    logger,
  );
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  if (result.lists.watchlist.failed.length > 0) process.exitCode = 1;
}

async function exportLists(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { seed: { type: 'string' }, faces: { type: 'string' } } });
  const district = await describeDistrict(values.seed ?? '1', values.faces);
  const lists = await districtLists(district.model, district.faces, district.seed);
  process.stdout.write(JSON.stringify(exportDistrictLists(lists), null, 2) + '\n');
}

function positive(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0)) throw new ConfigError([`${name} must be a positive number, got "${text}"`]);
  return value;
}

function stopOnSignal(agent: EdgeAgent, logger: ReturnType<typeof createLogger>, before?: () => void): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    before?.();
    agent.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stop failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : ((error as Error).stack ?? String(error))}\n`);
  process.exit(1);
});
