/**
 * How fast the hub can turn MQTT payload bytes into validated passages, on one core.
 *
 *   npx tsx protocol/bench/validate.bench.ts                 (about 50 s of CPU; longer on a busy machine)
 *   BENCH_QUICK=1 npx tsx protocol/bench/validate.bench.ts   (about 6 s of CPU)
 *
 * Cases, each over a pool of distinct pre-encoded payloads so no cache flatters the figures:
 *   - json-parse:    bytes -> JSON.parse, no validation (the floor)
 *   - passage-valid: decodeMessage('passage', bytes) on realistic passages (a quarter carry a 3 KB plate crop inline)
 *   - passage-mixed: the same with 10% invalid (bad plate, missing field, bad JSON, wrong device, stale, unreal date)
 *   - passage-crop:  every passage with a 3 KB plate crop inline (the worst realistic case: JSON.parse and the
 *                    base64 pattern both walk the 4,000 characters)
 * Rates are per second of this process's CPU time, so they say what one core does even when other work shares the
 * machine; the wall-clock rate is printed beside them. Prints a table, then ONE line of JSON with the figures and
 * whether the target (TARGET_PASSAGES_PER_SECOND for passage-valid and passage-mixed) is met; exits 1 if not.
 */
import { cpus, loadavg } from 'node:os';
import { decodeMessage, type MessagePayload } from '../src/codec';
import { makeDeviceId } from '../src/device-id';
import { DIRECTIONS, PLATE_COLORS, VEHICLE_CLASSES, VEHICLE_COLORS } from '../src/payloads/event-payloads';

const QUICK = process.env.BENCH_QUICK === '1';
/** The hub must hold tens of thousands of events per second on two cores; validation gets a fraction of one. */
const TARGET_PASSAGES_PER_SECOND = 50_000;
const POOL_SIZE = 2_000;
const ROUNDS = QUICK ? 3 : 5;
const ROUND_MS = QUICK ? 400 : 2_000;

const NOW = Date.parse('2026-11-27T00:20:00Z');
const PROVINCES = '黑吉辽京津冀鲁苏浙沪粤川';
const PLATE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same payloads. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(20261127);
const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)];
const round2 = (value: number) => Math.round(value * 100) / 100;

const devices = Array.from({ length: 64 }, (_, serial) => makeDeviceId({ kind: 'checkpoint', serial: serial + 1 }));
const plateCrop = Buffer.from(Array.from({ length: 3_000 }, () => Math.floor(rand() * 256))).toString('base64');

function passage(index: number, inlineCrop: boolean): MessagePayload<'passage'> {
  const deviceId = pick(devices);
  const plate =
    rand() < 0.03
      ? '无牌'
      : `${pick([...PROVINCES])}${pick([...'ABCDEFGHJK'])}${Array.from({ length: 5 }, () => pick([...PLATE_CHARS])).join('')}`;
  const eventId = `${deviceId.slice(-6)}-${(1_000_000 + index).toString(36)}-${Math.floor(rand() * 1e9).toString(36)}`;
  const payload: MessagePayload<'passage'> = {
    v: 1,
    eventId,
    deviceId,
    tollgateId: `TG-PF-${deviceId.slice(-3)}`,
    laneNo: 1 + Math.floor(rand() * 4),
    direction: pick(DIRECTIONS),
    passTime: new Date(NOW - Math.floor(rand() * 600_000)).toISOString().replace('Z', '+00:00'),
    plateNo: plate,
    plateColor: pick(PLATE_COLORS),
    plateConfidence: round2(0.6 + rand() * 0.4),
    charConfidences: Array.from({ length: 7 }, () => round2(0.7 + rand() * 0.3)),
    vehicleClass: pick(VEHICLE_CLASSES),
    vehicleColor: pick(VEHICLE_COLORS),
    speedKmh: round2(rand() * 90),
    images: [{ kind: 'scene', ref: `scenes/2026/11/27/${eventId}.jpg` }],
  };
  if (inlineCrop) payload.images!.push({ kind: 'plate', jpegBase64: plateCrop });
  else payload.images!.push({ kind: 'plate', ref: `plates/2026/11/27/${eventId}.jpg` });
  return payload;
}

interface Sample {
  bytes: Buffer;
  deviceId: string;
  valid: boolean;
}

const INVALID_MAKERS: ((payload: Record<string, unknown>) => string | Record<string, unknown>)[] = [
  (p) => ({ ...p, plateNo: '黑AI2345' }),
  (p) => {
    const { laneNo: _laneNo, ...rest } = p;
    return rest;
  },
  (p) => JSON.stringify(p).slice(0, -3),
  (p) => ({ ...p, deviceId: '23010800001219999999' }),
  (p) => ({ ...p, passTime: '2026-09-01T08:00:00Z' }),
  (p) => ({ ...p, passTime: '2026-02-30T08:00:00Z' }),
  (p) => ({ ...p, speedKmh: '42', extra: true }),
];

function pool(invalidShare: number, cropShare: number): Sample[] {
  return Array.from({ length: POOL_SIZE }, (_, index) => {
    const value = passage(index, (index * 104729) % 100 < cropShare * 100);
    const invalid = (index * 7919) % 100 < invalidShare * 100;
    if (!invalid) return { bytes: Buffer.from(JSON.stringify(value)), deviceId: value.deviceId, valid: true };
    const broken = INVALID_MAKERS[index % INVALID_MAKERS.length](value as unknown as Record<string, unknown>);
    const text = typeof broken === 'string' ? broken : JSON.stringify(broken);
    return { bytes: Buffer.from(text), deviceId: value.deviceId, valid: false };
  });
}

interface CaseResult {
  /** Per second of CPU time of this process: what one core does, even on a machine busy with other work. */
  messagesPerSecond: number;
  nsPerMessage: number;
  /** Per second of wall-clock time; lower than messagesPerSecond when other processes share the cores. */
  wallMessagesPerSecond: number;
  meanBytes: number;
}

/** CPU time this process has used, in nanoseconds (its main thread plus any GC helper threads: conservative). */
function cpuNs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

/** Runs `step` over the pool for ROUNDS rounds of ROUND_MS of CPU time and reports the median round. */
function measure(name: string, samples: Sample[], step: (sample: Sample) => boolean): CaseResult {
  const expectedValid = samples.filter((sample) => sample.valid).length;
  const once = () => {
    let valid = 0;
    for (const sample of samples) if (step(sample)) valid++;
    if (valid !== expectedValid) throw new Error(`${name}: ${valid} valid, expected ${expectedValid}`);
  };
  for (let warm = 0; warm < 20; warm++) once();
  const rounds: { cpu: number; wall: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let messages = 0;
    const cpuStart = cpuNs();
    const wallStart = process.hrtime.bigint();
    let cpuElapsed = 0;
    while (cpuElapsed < ROUND_MS * 1e6) {
      once();
      messages += samples.length;
      cpuElapsed = cpuNs() - cpuStart;
    }
    const wallElapsed = Number(process.hrtime.bigint() - wallStart);
    rounds.push({ cpu: (messages / cpuElapsed) * 1e9, wall: (messages / wallElapsed) * 1e9 });
  }
  rounds.sort((a, b) => a.cpu - b.cpu);
  const median = rounds[Math.floor(rounds.length / 2)];
  const meanBytes = Math.round(samples.reduce((sum, sample) => sum + sample.bytes.length, 0) / samples.length);
  return {
    messagesPerSecond: Math.round(median.cpu),
    nsPerMessage: Math.round(1e9 / median.cpu),
    wallMessagesPerSecond: Math.round(median.wall),
    meanBytes,
  };
}

const validPool = pool(0, 0.25);
const mixedPool = pool(0.1, 0.25);
const cropPool = pool(0, 1);
const decodeOptions = (sample: Sample) => ({ now: NOW, topicDeviceId: sample.deviceId });

const results = {
  'json-parse': measure('json-parse', validPool, (sample) => {
    JSON.parse(sample.bytes.toString('utf8'));
    return true;
  }),
  'passage-valid': measure(
    'passage-valid',
    validPool,
    (sample) => decodeMessage('passage', sample.bytes, decodeOptions(sample)).ok,
  ),
  'passage-mixed': measure(
    'passage-mixed',
    mixedPool,
    (sample) => decodeMessage('passage', sample.bytes, decodeOptions(sample)).ok,
  ),
  'passage-crop': measure(
    'passage-crop',
    cropPool,
    (sample) => decodeMessage('passage', sample.bytes, decodeOptions(sample)).ok,
  ),
};

console.log(`protocol validation benchmark, Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, one thread`);
console.log(
  `pool of ${POOL_SIZE} payloads per case, median of ${ROUNDS} rounds of ${ROUND_MS} ms of CPU time` +
    `${QUICK ? ' (BENCH_QUICK)' : ''}; load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
);
console.log('  case              msg/s (CPU)    ns/msg   msg/s (wall)   mean size');
for (const [name, result] of Object.entries(results)) {
  console.log(
    `  ${name.padEnd(14)} ${result.messagesPerSecond.toLocaleString('en-US').padStart(13)} ${result.nsPerMessage
      .toLocaleString('en-US')
      .padStart(9)} ${result.wallMessagesPerSecond.toLocaleString('en-US').padStart(14)}   ${result.meanBytes} bytes`,
  );
}
const validated = results['passage-valid'].messagesPerSecond;
const met =
  validated >= TARGET_PASSAGES_PER_SECOND && results['passage-mixed'].messagesPerSecond >= TARGET_PASSAGES_PER_SECOND;
console.log(
  JSON.stringify({
    bench: 'protocol-validate',
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadAverage: Math.round(loadavg()[0] * 10) / 10,
    measuredOn: 'CPU time of this process',
    quick: QUICK,
    poolSize: POOL_SIZE,
    invalidShareMixed: mixedPool.filter((sample) => !sample.valid).length / mixedPool.length,
    results,
    validationOverJsonParse: round2(results['json-parse'].messagesPerSecond / validated),
    target: { passagesPerSecond: TARGET_PASSAGES_PER_SECOND, met },
  }),
);
if (!met) process.exitCode = 1;
