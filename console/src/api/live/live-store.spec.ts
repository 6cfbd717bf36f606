import type { AlertChange, AlertRecord, DeviceStatusChange, LivePassage } from '@citywatch/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveStore } from './live-store';

const passage = (n: number): LivePassage => ({
  eventId: `event-${String(n).padStart(6, '0')}`,
  deviceId: '23010800001210000001',
  tollgateId: 'TG-PF-001',
  laneNo: 1,
  direction: 'N',
  passTime: '2026-11-27T08:15:30.120+08:00',
  plateNo: '黑A12345',
  plateColor: 'blue',
  plateConfidence: 0.98,
  vehicleClass: 'car',
  speedKmh: 52,
  storedAt: '2026-11-27T08:15:30.300+08:00',
});

const deviceChange: DeviceStatusChange = {
  deviceId: '23010800001210000001',
  state: 'offline',
  at: '2026-11-27T08:15:31.000+08:00',
  reason: 'last_will',
};

describe('LiveStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const makeStore = () =>
    new LiveStore({ passageWindow: 5, deviceStatusWindow: 3, alertWindow: 10, flushIntervalMs: 200 });

  it('publishes passages to the passages topic once per flush interval, newest first', () => {
    const store = makeStore();
    const listener = vi.fn();
    store.subscribe('passages', listener);

    store.receivePassage(passage(1));
    store.receivePassage(passage(2));
    expect(store.get('passages').items).toEqual([]);
    vi.advanceTimersByTime(200);

    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.get('passages').items.map((p) => p.eventId)).toEqual(['event-000002', 'event-000001']);
    expect(store.get('passages').total).toBe(2);
  });

  it('keeps the passage window bounded while counting every passage', () => {
    const store = makeStore();
    for (let n = 1; n <= 12; n += 1) store.receivePassage(passage(n));
    vi.advanceTimersByTime(200);
    for (let n = 13; n <= 14; n += 1) store.receivePassage(passage(n));
    vi.advanceTimersByTime(200);

    const { items, total } = store.get('passages');
    expect(items.map((p) => p.eventId)).toEqual([
      'event-000014',
      'event-000013',
      'event-000012',
      'event-000011',
      'event-000010',
    ]);
    expect(total).toBe(14);
  });

  it('wakes only the subscribers of the topic that changed', () => {
    const store = makeStore();
    const onPassages = vi.fn();
    const onDeviceStatus = vi.fn();
    const onConnection = vi.fn();
    store.subscribe('passages', onPassages);
    store.subscribe('deviceStatus', onDeviceStatus);
    store.subscribe('connection', onConnection);

    store.receiveDeviceStatus(deviceChange);
    vi.advanceTimersByTime(200);
    expect(onDeviceStatus).toHaveBeenCalledTimes(1);
    expect(onPassages).not.toHaveBeenCalled();
    expect(onConnection).not.toHaveBeenCalled();

    store.setConnection({ state: 'connected', attempt: 0 });
    expect(onConnection).toHaveBeenCalledTimes(1);
    expect(onPassages).not.toHaveBeenCalled();
  });

  it('leaves the connection topic alone when the status did not change', () => {
    const store = makeStore();
    const listener = vi.fn();
    store.subscribe('connection', listener);
    store.setConnection({ state: 'reconnecting', attempt: 2 });
    store.setConnection({ state: 'reconnecting', attempt: 2 });
    expect(listener).toHaveBeenCalledTimes(1);
    expect(store.get('connection')).toEqual({ state: 'reconnecting', attempt: 2 });
  });

  it('applies a storm of alert changes once per flush, keeps each alert at its latest seq and counts critical raises', () => {
    const store = makeStore();
    const listener = vi.fn();
    store.subscribe('alerts', listener);
    const record = (id: number, seq: number, severity: 'critical' | 'minor') =>
      ({ id: String(id), seq, severity, state: 'new' }) as AlertRecord;
    for (let n = 1; n <= 300; n += 1) {
      const id = (n % 5) + 1;
      store.receiveAlertChange({
        kind: n <= 5 ? 'raised' : 'repeated',
        alert: record(id, n, id === 1 ? 'critical' : 'minor'),
      } as AlertChange);
    }
    vi.advanceTimersByTime(200);
    expect(listener).toHaveBeenCalledTimes(1);
    const { items, lastSeq } = store.get('alerts');
    expect(items.map((a) => a.id)).toEqual(['5', '4', '3', '2', '1']);
    expect(items.every((a) => a.seq > 295)).toBe(true);
    expect(lastSeq).toBe(300);
    expect(store.get('criticalRaised')).toBe(1);

    // A catch-up answer older than what was pushed does not roll an alert back.
    store.receiveAlerts([record(5, 10, 'minor')], 300);
    expect(store.get('alerts').byId.get('5')?.seq).toBe(299);
  });
});
