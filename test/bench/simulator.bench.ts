/**
 * District simulator figures: the expected daily volumes at 1x, and how many events/s one agent
 * process sustains at the highest multiplier (all 309 devices, one MQTT connection each, durable
 * spool, QoS 1 acknowledgements) against a Mosquitto of its own.
 *
 *   npx tsx test/bench/simulator.bench.ts          (BENCH_QUICK=1 to finish under a minute)
 *
 * Ends with ONE line of JSON with the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countDailyVolumes } from '../../edge-agent/src/simulator/daily-volumes';
import { buildDistrictEstate } from '../../edge-agent/src/simulator/district-estate';
import { DistrictTrafficModel } from '../../edge-agent/src/simulator/district-traffic-model';
import { loadFaceGallery } from '../../edge-agent/src/simulator/face-gallery';
import { createSimulatedDistrict } from '../../edge-agent/src/simulator/simulated-district-agent';
import { ProjectMosquitto } from '../support/mosquitto';

const quick = process.env.BENCH_QUICK === '1';
const seed = 42;

async function main(): Promise<void> {
  const faces = await loadFaceGallery();
  const estate = buildDistrictEstate();

  const volumeStarted = Date.now();
  const daily = countDailyVolumes(
    new DistrictTrafficModel(estate, { seed, faces }),
    new Date('2026-11-26T12:00:00+08:00'),
  );
  const volumeSeconds = (Date.now() - volumeStarted) / 1000;
  console.log('expected daily volumes at 1x (seed 42):');
  console.table({
    passages: daily.passages,
    faces: daily.faces,
    incidents: daily.incidents,
    total: daily.total,
    'hotlist passages': daily.hotlistPassages,
    'cloned-plate passages': daily.clonedPlatePassages,
    'speeding passages': daily.speeders,
    'watchlisted faces': daily.watchlistedFaces,
    'device outages': daily.outages,
    'busiest hour (local)': daily.busiestHour.hour,
    'busiest hour events/s': daily.busiestHour.eventsPerS,
    'average events/s': daily.averageEventsPerS,
  });

  // Load: the busiest hour, with every rate multiplied, through one agent process.
  const multiplier = Number(process.env.BENCH_MULTIPLIER ?? 100);
  const seconds = quick ? 15 : 60;
  const broker = await ProjectMosquitto.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'citywatch-bench-'));
  const busiest = new Date('2026-11-26T00:00:00+08:00').getTime() + daily.busiestHour.hour * 3_600_000;
  const { agent, simulator } = await createSimulatedDistrict({
    broker: { url: broker.url },
    topicRoot: 'bench/v1',
    dataDir,
    seed,
    rateMultiplier: multiplier,
    faults: false,
    startAt: busiest,
    spool: { sync: (process.env.BENCH_SPOOL_SYNC as 'commit' | 'checkpoint' | undefined) ?? 'checkpoint' },
  });
  const connectStarted = Date.now();
  await agent.start();
  await agent.waitAllOnline(60_000);
  const connectSeconds = (Date.now() - connectStarted) / 1000;
  const warmup = 3000;
  await new Promise((r) => setTimeout(r, warmup));
  const before = { ...agent.stats(), at: Date.now() };
  const cpuBefore = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const after = { ...agent.stats(), at: Date.now() };
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = (after.at - before.at) / 1000;
  const offered = daily.busiestHour.eventsPerS * multiplier;
  const sim = simulator.stats();
  await agent.stop();
  await broker.dispose();
  rmSync(dataDir, { recursive: true, force: true });

  const figures = {
    bench: 'simulator',
    quick,
    seed,
    devices: agent.deviceIds().length,
    daily: { passages: daily.passages, faces: daily.faces, incidents: daily.incidents, total: daily.total },
    busiestHourEventsPerS1x: daily.busiestHour.eventsPerS,
    averageEventsPerS1x: daily.averageEventsPerS,
    dayGeneratedInS: Math.round(volumeSeconds * 10) / 10,
    multiplier,
    offeredEventsPerS: Math.round(offered),
    acceptedEventsPerS: Math.round((after.accepted - before.accepted) / elapsed),
    acknowledgedEventsPerS: Math.round((after.acknowledged - before.acknowledged) / elapsed),
    spoolDepthAtEnd: after.spool.depth,
    simulatorLagMs: sim.lagMs,
    agentCpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100),
    connectAllS: Math.round(connectSeconds * 10) / 10,
    measuredS: Math.round(elapsed),
  };
  console.log(JSON.stringify(figures));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
