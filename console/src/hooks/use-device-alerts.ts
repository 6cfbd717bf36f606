import type { AlertRecord } from '@citywatch/protocol';
import { useMemo } from 'react';
import { useHubApi } from '../context/session-context';
import { useAsync } from './use-async';
import { useLiveTopic } from './use-live-topic';

/**
 * A device's newest alerts: the hub's list (`GET /api/alerts?deviceId=`, what the user may see), with the
 * live feed on top (alerts raised since, and each alert at its latest state).
 */
export function useDeviceAlerts(deviceId: string, limit: number): AlertRecord[] {
  const api = useHubApi();
  const listed = useAsync(() => api.alerts.list({ deviceId, limit }), [api, deviceId, limit]);
  const { items } = useLiveTopic('alerts');
  return useMemo(() => {
    const byId = new Map((listed.data ?? []).map((alert) => [alert.id, alert]));
    for (const alert of items) {
      if (alert.deviceId !== deviceId) continue;
      const known = byId.get(alert.id);
      if (!known || known.seq < alert.seq) byId.set(alert.id, alert);
    }
    return [...byId.values()].sort((a, b) => b.seq - a.seq).slice(0, limit);
  }, [listed.data, items, deviceId, limit]);
}
