/**
 * District simulator figures: the expected daily volumes at 1x, and the highest event rate one agent
 * process sustains (all 309 devices, one MQTT connection each, durable spool, QoS 1 acknowledgements)
 * against a Mosquitto of its own. The ceiling is searched for: the district runs at its busiest hour
 * with the rate multiplier raised step by step (x2 in quick mode, x1.5 otherwise, then one bisection)
 * on the same agent and connections, until the acknowledged rate stops rising, the spool grows or the
 * simulator falls behind its schedule. Each step is printed; the last sustained one is the ceiling.
 *
 *   npx tsx test/bench/simulator.bench.ts          (BENCH_QUICK=1 to finish under a minute)
 *
 * Past saturation, one more step at twice the multiplier that saturated shows that the acknowledged rate
 * holds near the peak instead of collapsing (its share of the peak is printed), then the load stops and
 * the time the spool takes to drain is measured.
 *
 * BENCH_MULTIPLIER: the first step (default 100 quick, 50 otherwise). BENCH_SPOOL_SYNC: commit or
 * checkpoint (default, as the simulator runs). Ends with ONE line of JSON with the figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgeAgent, type AgentStats } from '../../edge-agent/src/agent/edge-agent';
import type { Health } from '../../edge-agent/src/health/host-health';
import { ImageStore } from '../../edge-agent/src/images/image-store';
import type { EventSource, SourceContext } from '../../edge-agent/src/sources/event-source';
import { countDailyVolumes } from '../../edge-agent/src/simulator/daily-volumes';
import { districtAgentDevices } from '../../edge-agent/src/simulator/simulated-district-agent';
import { buildDistrictEstate, type DistrictEstate } from '../../edge-agent/src/simulator/district-estate';
import { DistrictSimulator } from '../../edge-agent/src/simulator/district-simulator';
import { DistrictTrafficModel } from '../../edge-agent/src/simulator/district-traffic-model';
import { loadFaceGallery, type FaceGallery } from '../../edge-agent/src/simulator/face-gallery';
import { ProjectMosquitto } from '../support/mosquitto';

const quick = process.env.BENCH_QUICK === '1';
const seed = 42;
/** Warm-up and measured seconds of each step. */
const warmupS = quick ? 2 : 5;
const measureS = quick ? 5 : 20;
const firstMultiplier = Number(process.env.BENCH_MULTIPLIER ?? (quick ? 100 : 50));
const growth = quick ? 2 : 1.5;
const maxSteps = quick ? 5 : 12;
/** Quick mode stops searching after this long, so the whole run stays under a minute. */
const searchBudgetMs = quick ? 38_000 : 15 * 60_000;

interface Step {
  multiplier: number;
  offeredEventsPerS: number;
  acceptedEventsPerS: number;
  acknowledgedEventsPerS: number;
  spoolDepthStart: number;
  spoolDepthEnd: number;
  simulatorLagMs: number;
  agentCpuPercentOfOneCore: number;
  sustained: boolean;
  /** Why the step is not sustained. */
  limit?: string;
}

/** The agent's one source: the district at the current step's multiplier, swapped between steps. */
class SteppedDistrict implements EventSource {
  readonly name = 'district-steps';
  current: DistrictSimulator | undefined;
  private context: SourceContext | undefined;

  async start(context: SourceContext): Promise<void> {
    this.context = context;
  }

  async stop(): Promise<void> {
    await this.current?.stop();
    this.current = undefined;
  }

  async run(simulator: DistrictSimulator): Promise<void> {
    await this.current?.stop();
    this.current = simulator;
    await simulator.start(this.context!);
  }

  health(deviceId: string): Partial<Health> {
    return this.current?.health(deviceId) ?? {};
  }
}

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

  // Load: the busiest hour, every rate multiplied, through one agent process.
  const broker = await ProjectMosquitto.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'citywatch-bench-'));
  const busiest = new Date('2026-11-26T00:00:00+08:00').getTime() + daily.busiestHour.hour * 3_600_000;
  const district = new SteppedDistrict();
  const agent = new EdgeAgent({
    devices: districtAgentDevices(estate),
    broker: { url: broker.url },
    topicRoot: 'bench/v1',
    dataDir,
    spool: { sync: (process.env.BENCH_SPOOL_SYNC as 'commit' | 'checkpoint' | undefined) ?? 'checkpoint' },
    publish: { backlogRatePerS: 50 },
    sources: [district],
  });
  const connectStarted = Date.now();
  await agent.start();
  await agent.waitAllOnline(60_000);
  const connectSeconds = (Date.now() - connectStarted) / 1000;

  const images = new ImageStore(join(dataDir, 'images'));
  const runStep = (multiplier: number) =>
    measureStep(agent, district, multiplier, daily.busiestHour.eventsPerS, {
      estate,
      faces,
      busiest,
      images,
    });
  const searchStarted = Date.now();
  const steps: Step[] = [];
  let multiplier = firstMultiplier;
  let saturated: Step | undefined;
  while (steps.length < maxSteps && Date.now() - searchStarted < searchBudgetMs) {
    const step = judge(await runStep(multiplier), steps.filter((s) => s.sustained).at(-1));
    steps.push(step);
    report(step);
    if (!step.sustained) {
      saturated = step;
      break;
    }
    multiplier = Math.round(multiplier * growth);
  }
  // Full mode: one more step between the last sustained multiplier and the first one that was not.
  const below = steps.filter((s) => s.sustained).at(-1);
  if (!quick && saturated && below && saturated.multiplier / below.multiplier > 1.2) {
    await district.stop();
    await drainSpool(agent, 120_000, 100);
    const middle = Math.round(Math.sqrt(below.multiplier * saturated.multiplier));
    const step = judge(await runStep(middle), below);
    steps.push(step);
    report(step);
    if (!step.sustained) saturated = step;
  }
  const peak = Math.max(...steps.map((s) => s.acknowledgedEventsPerS));
  // Past saturation: twice the load that saturated. Acknowledgements should hold near the peak.
  let overload: Step | undefined;
  if (saturated) {
    overload = await runStep(saturated.multiplier * 2);
    console.log(
      `past saturation: ${overload.multiplier}x offered ${overload.offeredEventsPerS}/s, accepted ${overload.acceptedEventsPerS}/s, ` +
        `acknowledged ${overload.acknowledgedEventsPerS}/s = ${percent(overload.acknowledgedEventsPerS, peak)}% of the peak ${peak}/s, ` +
        `spool ${overload.spoolDepthStart} -> ${overload.spoolDepthEnd}, lag ${overload.simulatorLagMs} ms, cpu ${overload.agentCpuPercentOfOneCore}%`,
    );
  }
  // The load stops: the spool drains.
  await district.stop();
  const drained = await drainSpool(agent, quick ? 30_000 : 120_000);
  console.log(
    `load stopped: spool ${drained.from} -> ${drained.left} in ${drained.seconds} s` +
      (drained.seconds > 0 ? ` (${Math.round((drained.from - drained.left) / drained.seconds)} events/s)` : ''),
  );
  await agent.stop();
  await broker.dispose();
  rmSync(dataDir, { recursive: true, force: true });

  const sustained = steps.filter((s) => s.sustained).sort((a, b) => a.multiplier - b.multiplier);
  const best = sustained.at(-1);
  const shown = best ?? steps[0];
  console.log('load steps (busiest hour, one agent process):');
  console.table(
    [...steps, ...(overload ? [overload] : [])].map((s) => ({
      multiplier: s.multiplier,
      'offered/s': s.offeredEventsPerS,
      'accepted/s': s.acceptedEventsPerS,
      'acknowledged/s': s.acknowledgedEventsPerS,
      'spool start': s.spoolDepthStart,
      'spool end': s.spoolDepthEnd,
      'lag ms': s.simulatorLagMs,
      'cpu %': s.agentCpuPercentOfOneCore,
      sustained: s === overload ? 'past saturation' : s.sustained,
      limit: s === overload ? `${percent(s.acknowledgedEventsPerS, peak)}% of the peak acknowledged` : (s.limit ?? ''),
    })),
  );
  console.log(
    best
      ? `highest sustained: ${best.acknowledgedEventsPerS} events/s acknowledged at ${best.multiplier}x` +
          (saturated
            ? `; saturates at ${saturated.multiplier}x (${saturated.limit}: ${saturated.acknowledgedEventsPerS} events/s acknowledged)`
            : `; not saturated by ${steps.at(-1)!.multiplier}x (search ended)`)
      : `not sustained even at ${steps[0].multiplier}x (${steps[0].limit}): lower BENCH_MULTIPLIER`,
  );

  const figures = {
    bench: 'simulator',
    quick,
    seed,
    devices: agent.deviceIds().length,
    daily: { passages: daily.passages, faces: daily.faces, incidents: daily.incidents, total: daily.total },
    busiestHourEventsPerS1x: daily.busiestHour.eventsPerS,
    averageEventsPerS1x: daily.averageEventsPerS,
    dayGeneratedInS: Math.round(volumeSeconds * 10) / 10,
    // The highest sustained step (the first step when none was).
    multiplier: shown.multiplier,
    offeredEventsPerS: shown.offeredEventsPerS,
    acceptedEventsPerS: shown.acceptedEventsPerS,
    acknowledgedEventsPerS: shown.acknowledgedEventsPerS,
    spoolDepthAtEnd: shown.spoolDepthEnd,
    simulatorLagMs: shown.simulatorLagMs,
    agentCpuPercentOfOneCore: shown.agentCpuPercentOfOneCore,
    maxSustainedMultiplier: best?.multiplier ?? null,
    maxSustainedEventsPerS: best?.acknowledgedEventsPerS ?? null,
    saturatedAtMultiplier: saturated?.multiplier ?? null,
    saturatedBy: saturated?.limit ?? null,
    saturatedAcknowledgedEventsPerS: saturated?.acknowledgedEventsPerS ?? null,
    peakAcknowledgedEventsPerS: peak,
    // Twice the saturating multiplier: acknowledged rate and its share of the peak (1 = no collapse).
    overloadMultiplier: overload?.multiplier ?? null,
    overloadAcceptedEventsPerS: overload?.acceptedEventsPerS ?? null,
    overloadAcknowledgedEventsPerS: overload?.acknowledgedEventsPerS ?? null,
    overloadShareOfPeak: overload ? Math.round((overload.acknowledgedEventsPerS / peak) * 100) / 100 : null,
    overloadSpoolGrowth: overload ? overload.spoolDepthEnd - overload.spoolDepthStart : null,
    // After the load stopped: the spool left at the end of the load, what was left when draining stopped, and how long it took.
    drainFrom: drained.from,
    drainLeft: drained.left,
    drainS: drained.seconds,
    steps: steps.map((s) => [
      s.multiplier,
      s.acknowledgedEventsPerS,
      s.spoolDepthEnd - s.spoolDepthStart,
      s.simulatorLagMs,
    ]),
    connectAllS: Math.round(connectSeconds * 10) / 10,
    measuredSPerStep: measureS,
  };
  console.log(JSON.stringify(figures));
}

/** Runs the district at `multiplier` on the agent: warm-up, then the measured window. */
async function measureStep(
  agent: EdgeAgent,
  district: SteppedDistrict,
  multiplier: number,
  busiestPerS1x: number,
  setup: { estate: DistrictEstate; faces: FaceGallery | undefined; busiest: number; images: ImageStore },
): Promise<Step> {
  const simulator = new DistrictSimulator({
    estate: setup.estate,
    seed,
    rateMultiplier: multiplier,
    faces: setup.faces,
    faults: false,
    startAt: setup.busiest,
    images: setup.images,
  });
  await district.run(simulator);
  await delay(warmupS * 1000);
  const before: AgentStats & { at: number } = { ...agent.stats(), at: Date.now() };
  const cpuBefore = process.cpuUsage();
  await delay(measureS * 1000);
  const after: AgentStats & { at: number } = { ...agent.stats(), at: Date.now() };
  const cpu = process.cpuUsage(cpuBefore);
  const elapsed = (after.at - before.at) / 1000;
  return {
    multiplier,
    offeredEventsPerS: Math.round(busiestPerS1x * multiplier),
    acceptedEventsPerS: Math.round((after.accepted - before.accepted) / elapsed),
    acknowledgedEventsPerS: Math.round((after.acknowledged - before.acknowledged) / elapsed),
    spoolDepthStart: before.spool.depth,
    spoolDepthEnd: after.spool.depth,
    simulatorLagMs: simulator.stats().lagMs,
    agentCpuPercentOfOneCore: Math.round(((cpu.user + cpu.system) / 1000 / (elapsed * 1000)) * 100),
    sustained: true,
  };
}

/**
 * A step is sustained when the spool does not grow (by more than half a second of its acknowledged
 * rate, at least 500 events), the simulator keeps to its schedule (lag under 2 s) and, after the first
 * step, the acknowledged rate rose by at least a fifth of what the multiplier did.
 */
function judge(step: Step, previous: Step | undefined): Step {
  const growthAllowed = Math.max(500, step.acknowledgedEventsPerS * 0.5);
  const limits: string[] = [];
  if (step.spoolDepthEnd - step.spoolDepthStart > growthAllowed)
    limits.push(`spool grew by ${step.spoolDepthEnd - step.spoolDepthStart}`);
  if (step.simulatorLagMs > 2000) limits.push(`simulator ${step.simulatorLagMs} ms behind`);
  if (previous) {
    const expected = (step.multiplier / previous.multiplier - 1) * 0.2 + 1;
    if (step.acknowledgedEventsPerS < previous.acknowledgedEventsPerS * expected) {
      limits.push(
        `acknowledged ${step.acknowledgedEventsPerS}/s, not above ${previous.acknowledgedEventsPerS}/s at ${previous.multiplier}x`,
      );
    }
  }
  return limits.length > 0 ? { ...step, sustained: false, limit: limits.join('; ') } : step;
}

function report(step: Step): void {
  console.log(
    `${step.multiplier}x: offered ${step.offeredEventsPerS}/s, accepted ${step.acceptedEventsPerS}/s, ` +
      `acknowledged ${step.acknowledgedEventsPerS}/s, spool ${step.spoolDepthStart} -> ${step.spoolDepthEnd}, ` +
      `lag ${step.simulatorLagMs} ms, cpu ${step.agentCpuPercentOfOneCore}%` +
      (step.sustained ? '' : `: not sustained (${step.limit})`),
  );
}

/**
 * Waits until the spool holds at most `leaveAtMost` events (after the load stopped): where it started,
 * what is left, seconds taken.
 */
async function drainSpool(
  agent: EdgeAgent,
  timeoutMs: number,
  leaveAtMost = 0,
): Promise<{ from: number; left: number; seconds: number }> {
  const started = Date.now();
  const from = agent.spool.depth();
  while (agent.spool.depth() > leaveAtMost && Date.now() - started < timeoutMs) await delay(100);
  return { from, left: agent.spool.depth(), seconds: Math.round((Date.now() - started) / 100) / 10 };
}

function percent(part: number, whole: number): number {
  return whole > 0 ? Math.round((part / whole) * 100) : 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
