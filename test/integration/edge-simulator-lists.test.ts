import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord, HotlistPage, WatchlistPage } from '@citywatch/protocol';
import { registerSimulatedDistrict } from '../../edge-agent/src/registry/district-setup';
import { hubToken } from '../../edge-agent/src/registry/registry-client';
import { buildDistrictEstate } from '../../edge-agent/src/simulator/district-estate';
import {
  createSimulatedDistrict,
  type SimulatedDistrict,
} from '../../edge-agent/src/simulator/simulated-district-agent';
import { startInProcessHub, TEST_ADMIN, type InProcessHub } from '../support/hub';

/**
 * What `npm run demo` does, against a hub in the test process: sign in as the initial administrator,
 * register the estate and the simulator's hotlisted plates and watchlisted people through the REST
 * API, run the simulator. A few devices only, with more hotlisted vehicles and watchlisted faces than
 * the district's natural share, so the alerts come within seconds.
 */
describe('the simulated district registers its hotlist and watchlist with the hub', () => {
  let hub: InProcessHub;
  let district: SimulatedDistrict;
  let dataDir: string;
  let token: string;

  beforeAll(async () => {
    hub = await startInProcessHub();
    dataDir = mkdtempSync(join(tmpdir(), 'citywatch-demo-lists-'));
    const estate = buildDistrictEstate();
    const lanes = estate.devices.filter((device) => device.lane).slice(0, 2);
    const faceCameras = estate.devices.filter((device) => device.face).slice(0, 2);
    district = await createSimulatedDistrict({
      broker: { url: hub.mqttUrl, reconnectPeriodMs: 500 },
      topicRoot: hub.topicRoot,
      dataDir,
      seed: 1,
      // 08:00 in Harbin: lanes and face checkpoints are busy.
      startAt: new Date('2026-11-26T08:00:00+08:00').getTime(),
      rateMultiplier: 5,
      faults: false,
      deviceIds: [...lanes, ...faceCameras].map((device) => device.registration.id),
      hotlistedPassageShare: 0.2,
      watchlistedFaceShare: 0.2,
    });
    // As the demo signs in: the first administrator's password (the hub's ADMIN_PASSWORD here).
    token = (await hubToken(hub.httpUrl, { ADMIN_PASSWORD: TEST_ADMIN.password }))!;
  });

  afterAll(async () => {
    await district?.agent.stop();
    await hub?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${hub.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };

  it('registers the lists once, however often it starts, and the run raises hotlist and watchlist alerts', async () => {
    const description = { ...district, model: district.simulator.model };
    const first = await registerSimulatedDistrict({ hubUrl: hub.httpUrl, token }, description);
    expect(first.registry.devices).toBe(4);
    expect(first.lists).toEqual({
      hotlist: { created: 25, existing: 0 },
      watchlist: { created: 3, existing: 0, failed: [] },
    });
    // A restarted demo registers nothing twice.
    const again = await registerSimulatedDistrict({ hubUrl: hub.httpUrl, token }, description);
    expect(again.lists).toEqual({
      hotlist: { created: 0, existing: 25 },
      watchlist: { created: 0, existing: 3, failed: [] },
    });

    const hotlist = await get<HotlistPage>('/api/checkpoints/hotlist?limit=500');
    const hotPlates = district.simulator.model.population.hotlist.map((vehicle) => vehicle.plateNo);
    expect(hotlist.items.map((entry) => entry.plate).sort()).toEqual([...hotPlates].sort());
    const watchlist = await get<WatchlistPage>('/api/faces/watchlist/people?limit=500');
    expect(watchlist.items.map((person) => person.idNumber).sort()).toEqual(
      district.simulator.model.watchlistedPersonIds.map((id) => `SIM-${id}`).sort(),
    );
    expect(watchlist.items.every((person) => person.photos.length === 2 && person.active)).toBe(true);

    await district.agent.start();
    await district.agent.waitAllOnline(30_000);
    const deadline = Date.now() + 90_000;
    let hotlistAlerts: AlertRecord[] = [];
    let watchlistAlerts: AlertRecord[] = [];
    while (Date.now() < deadline && (hotlistAlerts.length === 0 || watchlistAlerts.length === 0)) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      hotlistAlerts = await get<AlertRecord[]>('/api/alerts?type=hotlist_vehicle');
      watchlistAlerts = await get<AlertRecord[]>('/api/alerts?type=watchlist_face');
    }
    const stats = district.simulator.stats();
    expect(hotlistAlerts.length, `hotlist alerts (simulator ${JSON.stringify(stats)})`).toBeGreaterThan(0);
    expect(watchlistAlerts.length, `watchlist alerts (simulator ${JSON.stringify(stats)})`).toBeGreaterThan(0);
    expect(hotPlates).toContain(hotlistAlerts[0].evidence.plateNo);
    const people = new Map(watchlist.items.map((person) => [person.id, person.idNumber]));
    for (const alert of watchlistAlerts) {
      expect(people.get(alert.evidence.watchlistPersonId!)).toMatch(/^SIM-sample[0-9]-[0-9]$/);
    }
  }, 180_000);
});
