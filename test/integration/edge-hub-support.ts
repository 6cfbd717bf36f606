import { expect } from 'vitest';
import type { DeviceRegistration } from '@citywatch/protocol';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';
import type { ProjectMosquitto } from '../support/mosquitto';
import type { Backend } from '../support/backends';
import { uniqueName, uniqueTopicRoot } from '../support/services';

export interface DeliveryHub {
  hub: InProcessHub;
  topicRoot: string;
  stop(): Promise<void>;
}

/**
 * Starts the real hub for the edge agent's delivery tests and registers the street cameras the agent
 * speaks for: in the test process, on an external Mosquitto of the test's own (so the test may stop and
 * restart it), with the database of either backend (its broker is replaced by `broker`). One ingest
 * writer per table, so that the order rows are stored in is the order the hub took them in.
 */
export async function startDeliveryHub(
  broker: ProjectMosquitto,
  database: Backend,
  cameras: string[],
): Promise<DeliveryHub> {
  const prepared = await database.prepare();
  const topicRoot = uniqueTopicRoot();
  let hub: InProcessHub;
  try {
    hub = await startInProcessHub({
      ...prepared.env,
      MQTT_URL: broker.url,
      TOPIC_ROOT: topicRoot,
      HUB_ID: uniqueName('hub'),
      INGEST_WRITERS: '1',
      // The hub warns of every broker reconnection attempt during the outage; the test says what matters.
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error',
    });
  } catch (error) {
    await prepared.cleanup();
    throw error;
  }
  await registerEstate(hub.httpUrl, { tollgates: [], devices: cameras.map(streetCamera) });
  return {
    hub,
    topicRoot,
    stop: async () => {
      await hub.stop();
      await prepared.cleanup();
    },
  };
}

function streetCamera(id: string, index: number): DeviceRegistration {
  return {
    id,
    name: `Delivery test camera ${index + 1}`,
    kind: 'hd_camera',
    lat: 45.6061,
    lon: 126.6352,
    place: 'Youxie St',
    area: 'Youxie street office',
  };
}

export interface StoredIncident {
  eventId: string;
  deviceId: string;
  at: number;
  storedAt: number;
}

/** The hub's stored incident rows of these devices, each device's in the order of the agent's event time. */
export async function storedIncidents(hub: InProcessHub, deviceIds: string[]): Promise<Map<string, StoredIncident[]>> {
  const database = hub.hub.app.get<Database>(DATABASE);
  const result = await database.query<{ event_id: string; device_id: string; at: Date; stored_at: Date }>(
    `SELECT event_id, device_id, at, stored_at FROM incidents WHERE device_id = ANY($1::text[]) ORDER BY device_id, at, stored_at`,
    [deviceIds],
  );
  const byDevice = new Map<string, StoredIncident[]>(deviceIds.map((id) => [id, []]));
  for (const row of result.rows) {
    byDevice.get(row.device_id)!.push({
      eventId: row.event_id,
      deviceId: row.device_id,
      at: new Date(row.at).getTime(),
      storedAt: new Date(row.stored_at).getTime(),
    });
  }
  return byDevice;
}

/** Waits until the hub has stored a row for every one of `eventIds`. */
export async function waitStored(
  hub: InProcessHub,
  deviceIds: string[],
  eventIds: ReadonlySet<string>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = new Set([...(await storedIncidents(hub, deviceIds)).values()].flat().map((row) => row.eventId));
    const missing = [...eventIds].filter((id) => !stored.has(id)).length;
    if (missing === 0) return;
    if (Date.now() > deadline) throw new Error(`${missing} of ${eventIds.size} accepted events not stored in time`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * What the hub stored, against what the agent accepted (per device, in the order it accepted them,
 * each with a later event time than the one before): every accepted event is stored exactly once, no
 * other event of `prefixOf(device)` is stored, and the rows in the agent's time order were stored in
 * that order too (stored_at never goes back).
 */
export function expectStoredExactlyOnceInOrder(
  stored: Map<string, StoredIncident[]>,
  accepted: Map<string, string[]>,
  offered: (deviceId: string, eventId: string) => boolean = () => true,
): void {
  for (const [deviceId, ids] of accepted) {
    const rows = stored.get(deviceId) ?? [];
    const acceptedIds = new Set(ids);
    expect(new Set(rows.map((row) => row.eventId)).size, `${deviceId}: distinct stored`).toBe(rows.length);
    expect(
      rows.every((row) => offered(deviceId, row.eventId)),
      `${deviceId}: only events the feeder offered`,
    ).toBe(true);
    // An event whose acceptance the feeder never saw (the agent was killed before it answered) may be
    // stored; every accepted one is, once, in the agent's order.
    expect(
      rows.filter((row) => acceptedIds.has(row.eventId)).map((row) => row.eventId),
      `${deviceId}: accepted events in the agent's order`,
    ).toEqual(ids);
    for (let index = 1; index < rows.length; index += 1) {
      expect(
        rows[index].storedAt,
        `${deviceId}: ${rows[index].eventId} stored before the one before it`,
      ).toBeGreaterThanOrEqual(rows[index - 1].storedAt);
    }
  }
}
