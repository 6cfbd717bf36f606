import { describe, expect, it } from 'vitest';
import type { CheckpointRule, CheckpointRuleId, HotlistEntry, LivePassage, RaiseAlertInput } from '@citywatch/protocol';
import type { AlertRaiser } from '../common/alert-raiser';
import { StoredEventProcessors } from '../common/stored-event-processors';
import type { HubConfig } from '../platform/config/hub-config';
import type { Logger } from '../platform/logging/logger';
import { HotlistIndex } from './hotlist-index';
import { PassageRulesService, stepDown } from './passage-rules.service';
import { ruleWithDefaults } from './rule-settings.service';
import type { EstateView } from './tollgates.service';

const T0 = Date.parse('2026-11-27T08:00:00Z');

/** Two tollgates with a configured fastest travel of 300 s between them; lanes limited to 60 km/h. */
const estate: EstateView = {
  tollgate: (id) => ({
    id,
    name: `Checkpoint ${id}`,
    lat: 45.6,
    lon: 126.6,
    place: '',
    lanes: [],
    createdAt: '',
    updatedAt: '',
  }),
  speedLimit: (_tollgate, laneNo) => (laneNo <= 2 ? 60 : undefined),
  minTravelMs: (a, b) => (a !== b ? 300_000 : undefined),
};

const silent = { info() {}, warn() {}, error() {}, debug() {}, child: () => silent } as unknown as Logger;

function setup(overrides: Partial<Record<CheckpointRuleId, Partial<CheckpointRule>>> = {}) {
  const defaults: Record<CheckpointRuleId, CheckpointRule> = {
    hotlist: ruleWithDefaults('hotlist', { enabled: true, severity: 'critical', params: {}, updatedAt: '' }),
    speeding: ruleWithDefaults('speeding', { enabled: true, severity: 'minor', params: {}, updatedAt: '' }),
    cloned_plate: ruleWithDefaults('cloned_plate', { enabled: true, severity: 'major', params: {}, updatedAt: '' }),
    frequent_passage: ruleWithDefaults('frequent_passage', {
      enabled: true,
      severity: 'minor',
      params: { maxPassages: 3, windowMinutes: 10 },
      updatedAt: '',
    }),
  };
  for (const [id, change] of Object.entries(overrides)) {
    const key = id as CheckpointRuleId;
    defaults[key] = {
      ...defaults[key],
      ...change,
      params: { ...defaults[key].params, ...change.params },
    } as CheckpointRule;
  }
  const index = new HotlistIndex();
  const raised: RaiseAlertInput[] = [];
  const raiser: AlertRaiser = {
    raise: async (input) => {
      raised.push(input);
      return {} as never;
    },
  };
  const config = { CHECKPOINT_PLATE_STATE: 'memory' } as HubConfig;
  const processors = new StoredEventProcessors();
  const service = new PassageRulesService(
    processors,
    { rule: ((id: CheckpointRuleId) => defaults[id]) as never },
    { check: (plate, tollgate, at, fuzzy) => index.match(plate, tollgate, at, fuzzy) },
    estate,
    { recentOfPlates: () => Promise.reject(new Error('memory mode reads no database')) },
    config,
    silent,
    raiser,
  );
  return { service, index, raised, processors };
}

let serial = 0;
function passage(overrides: Partial<LivePassage> & { at?: number } = {}): LivePassage {
  const { at, ...rest } = overrides;
  return {
    eventId: `event-${++serial}`,
    deviceId: '23010800001210000001',
    tollgateId: 'TG-A',
    laneNo: 1,
    direction: 'N',
    passTime: new Date(at ?? T0).toISOString(),
    plateNo: '黑A12345',
    plateColor: 'blue',
    plateConfidence: 0.95,
    vehicleClass: 'car',
    vehicleColor: 'white',
    speedKmh: 50,
    storedAt: new Date().toISOString(),
    ...rest,
  };
}

function entry(id: string, plate: string, extra: Partial<HotlistEntry> = {}): HotlistEntry {
  return {
    id,
    plate,
    kind: /[?*]/.test(plate) ? 'pattern' : 'exact',
    category: 'stolen',
    priority: 1,
    reason: 'case 7',
    validFrom: '2026-01-01T00:00:00Z',
    validUntil: null,
    tollgateIds: [],
    fuzzy: true,
    createdBy: 'police1',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

describe('PassageRulesService', () => {
  it('steps severities down and stops at info', () => {
    expect(stepDown('critical', 1)).toBe('major');
    expect(stepDown('minor', 5)).toBe('info');
  });

  it('raises a hotlist alert on an exact hit and a marked, milder one on a fuzzy hit', async () => {
    const { service, index } = setup();
    index.upsert(entry('7', '黑AD8123', { priority: 2 }));
    const alerts = await service.evaluate([passage({ plateNo: '黑AD8123' }), passage({ plateNo: '黑A0B123' })]);
    expect(alerts.map((a) => [a.type, a.severity, a.evidence.fuzzyDistance, a.evidence.facts?.fuzzy])).toEqual([
      ['hotlist_vehicle', 'major', undefined, false],
      ['hotlist_vehicle', 'minor', 2, true],
    ]);
    expect(alerts[1]!.title).toContain('reads like 黑AD8123');
    expect(alerts[0]!.evidence.hotlistEntryId).toBe('7');
  });

  it('raises no hotlist alert when the rule is off, or fuzzily when fuzzy is off', async () => {
    const off = setup({ hotlist: { enabled: false } });
    off.index.upsert(entry('1', '黑AD8123'));
    expect(await off.service.evaluate([passage({ plateNo: '黑AD8123' })])).toEqual([]);
    const exactOnly = setup({ hotlist: { params: { fuzzy: false } } as never });
    exactOnly.index.upsert(entry('1', '黑AD8123'));
    expect(await exactOnly.service.evaluate([passage({ plateNo: '黑A0B123' })])).toEqual([]);
  });

  it('raises speeding above limit plus margin, not at it', async () => {
    const { service } = setup();
    const alerts = await service.evaluate([
      passage({ speedKmh: 70 }),
      passage({ speedKmh: 70.1, plateNo: '黑A22222' }),
      passage({ speedKmh: 150, laneNo: 9, plateNo: '黑A33333' }),
    ]);
    expect(alerts.map((a) => [a.type, a.evidence.plateNo, a.evidence.speedLimitKmh])).toEqual([
      ['speeding', '黑A22222', 60],
    ]);
  });

  it('raises a cloned plate when two tollgates are closer in time than the fastest travel, not at it', async () => {
    const { service } = setup();
    const first = await service.evaluate([passage({ plateNo: '黑A77777', tollgateId: 'TG-A', at: T0 })]);
    const exactly = await service.evaluate([passage({ plateNo: '黑A77777', tollgateId: 'TG-B', at: T0 + 300_000 })]);
    expect([...first, ...exactly]).toEqual([]);
    const faster = await service.evaluate([
      passage({ plateNo: '黑A88888', tollgateId: 'TG-A', at: T0 }),
      passage({ plateNo: '黑A88888', tollgateId: 'TG-B', at: T0 + 299_000 }),
    ]);
    expect(faster.map((a) => [a.type, a.sourceEventIds.length, a.evidence.facts?.gapS])).toEqual([
      ['cloned_plate', 2, 299],
    ]);
    expect(faster[0]!.dedupeKey).toBe('cloned_plate:黑A88888:TG-A|TG-B');
  });

  it('ignores low-confidence reads and unreadable plates for cloned plates', async () => {
    const { service } = setup();
    const alerts = await service.evaluate([
      passage({ plateNo: '黑A66666', tollgateId: 'TG-A', at: T0 }),
      passage({ plateNo: '黑A66666', tollgateId: 'TG-B', at: T0 + 10_000, plateConfidence: 0.5 }),
      passage({ plateNo: '无牌', tollgateId: 'TG-A', at: T0 }),
      passage({ plateNo: '无牌', tollgateId: 'TG-B', at: T0 + 10_000 }),
    ]);
    expect(alerts).toEqual([]);
  });

  it('raises frequent passage once the count passes N in the window, and once only', async () => {
    const { service } = setup({ cloned_plate: { enabled: false } });
    const plate = '黑A44444';
    // Three passages in ten minutes is the limit; a fourth just outside the window of the first is not over it.
    const inside = [0, 200_000, 400_000].map((d) => passage({ plateNo: plate, at: T0 + d }));
    expect(await service.evaluate(inside)).toEqual([]);
    expect(await service.evaluate([passage({ plateNo: plate, at: T0 + 600_000 })])).toEqual([]);
    const fifth = await service.evaluate([passage({ plateNo: plate, at: T0 + 610_000 })]);
    expect(fifth.map((a) => [a.type, a.evidence.facts?.passages])).toEqual([['frequent_passage', 4]]);
    expect(await service.evaluate([passage({ plateNo: plate, at: T0 + 620_000 })])).toEqual([]);
    // Another tollgate keeps its own count.
    expect(await service.evaluate([passage({ plateNo: plate, tollgateId: 'TG-B', at: T0 + 630_000 })])).toEqual([]);
  });

  it('raises through the AlertRaiser before the stored passages count as processed (so before their acknowledgement)', async () => {
    const { service, index, raised, processors } = setup();
    index.upsert(entry('9', '黑A?23*'));
    service.onModuleInit();
    await processors.process('passage', { items: [passage({ plateNo: '黑AK2301' })], replayed: false });
    expect(raised.map((a) => [a.type, a.dedupeKey])).toEqual([['hotlist_vehicle', 'hotlist:9:黑AK2301:TG-A']]);
    await service.onModuleDestroy();
  });

  it('fails the processing when the database is away, so ingest retries the batch', async () => {
    const { service, index, processors } = setup();
    index.upsert(entry('9', '黑A?23*'));
    (service as unknown as { raiser: AlertRaiser }).raiser = {
      raise: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })),
    };
    service.onModuleInit();
    await expect(
      processors.process('passage', { items: [passage({ plateNo: '黑AK2301' })], replayed: true }),
    ).rejects.toThrow(/ECONNREFUSED/);
    await service.onModuleDestroy();
  });
});
