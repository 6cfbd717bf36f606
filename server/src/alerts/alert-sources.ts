import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type {
  AlertSeverity,
  AlertType,
  DeviceStatusChange,
  INCIDENT_KINDS,
  RaiseAlertInput,
} from '@citywatch/protocol';
import { HubEvents, type StoredIncident } from '../common/hub-events';
import { StoredEventProcessors } from '../common/stored-event-processors';
import { isConnectionError } from '../platform/database/database';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { AlertsService } from './alerts.service';

type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** How each incident kind a camera reports becomes an alert. */
export const INCIDENT_ALERTS: Record<IncidentKind, { type: AlertType; severity: AlertSeverity; title: string }> = {
  fire_smoke: { type: 'urban_incident', severity: 'critical', title: 'Fire or smoke' },
  crowding: { type: 'urban_incident', severity: 'major', title: 'Crowding' },
  road_damage: { type: 'urban_incident', severity: 'minor', title: 'Road damage' },
  illegal_parking: { type: 'urban_incident', severity: 'minor', title: 'Illegal parking' },
  street_vending: { type: 'urban_incident', severity: 'minor', title: 'Street vending' },
  garbage_overflow: { type: 'urban_incident', severity: 'minor', title: 'Garbage overflow' },
  tamper: { type: 'device_tamper', severity: 'major', title: 'Camera tampered with' },
  video_loss: { type: 'video_loss', severity: 'major', title: 'Video lost' },
  other: { type: 'other', severity: 'info', title: 'Incident' },
};

export function incidentAlert(incident: StoredIncident): RaiseAlertInput {
  const rule = INCIDENT_ALERTS[incident.kind];
  return {
    type: rule.type,
    severity: rule.severity,
    title: incident.description ? `${rule.title}: ${incident.description.slice(0, 120)}` : rule.title,
    // One open alert per camera and kind: repeats while it is open count up instead of flooding.
    dedupeKey: `incident:${incident.deviceId}:${incident.kind}`,
    ruleId: `incident.${incident.kind}`,
    deviceId: incident.deviceId,
    sourceEventIds: [incident.eventId],
    evidence: {
      images: incident.imageRef ? [{ label: 'scene', url: incident.imageRef }] : undefined,
      facts: { kind: incident.kind, confidence: incident.confidence },
    },
    occurredAt: incident.at,
  };
}

export function offlineAlert(change: DeviceStatusChange): RaiseAlertInput {
  return {
    type: 'device_offline',
    severity: 'major',
    title: `Device ${change.deviceId} offline (${change.reason.replace('_', ' ')})`,
    dedupeKey: `device_offline:${change.deviceId}`,
    ruleId: 'device.offline',
    deviceId: change.deviceId,
    sourceEventIds: [],
    evidence: { facts: { reason: change.reason, ...(change.kind ? { deviceKind: change.kind } : {}) } },
    occurredAt: change.at,
  };
}

/** Raises alerts from what the hub itself sees: devices going offline, incidents cameras report (before they are acknowledged). */
@Injectable()
export class AlertSources implements OnModuleInit, OnModuleDestroy {
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly alerts: AlertsService,
    private readonly events: HubEvents,
    private readonly processors: StoredEventProcessors,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.events.on('device.status', (change) => {
        if (change.state === 'offline') this.raise(offlineAlert(change));
      }),
      // Ingest waits for these before acknowledging the incidents, so none is lost with a hub that dies.
      this.processors.register('incident', ({ items }) => this.raiseIncidents(items)),
    );
  }

  private async raiseIncidents(incidents: readonly StoredIncident[]): Promise<void> {
    const outcomes = await Promise.allSettled(incidents.map((incident) => this.alerts.raise(incidentAlert(incident))));
    let away: unknown;
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'fulfilled') return;
      const incident = incidents[i]!;
      this.logger.warn(
        { err: outcome.reason, deviceId: incident.deviceId, eventId: incident.eventId },
        'alert not raised',
      );
      if (isConnectionError(outcome.reason)) away ??= outcome.reason;
    });
    if (away) throw away;
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private raise(input: RaiseAlertInput): void {
    this.alerts.raise(input).catch((error: unknown) => {
      this.logger.warn({ err: error, deviceId: input.deviceId, dedupeKey: input.dedupeKey }, 'alert not raised');
    });
  }
}
