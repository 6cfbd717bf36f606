import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import {
  ALERT_SEVERITIES,
  type AlertSeverity,
  type CheckpointRule,
  type LivePassage,
  type RaiseAlertInput,
} from '@citywatch/protocol';
import { ALERT_RAISER, type AlertRaiser } from '../common/alert-raiser';
import { StoredEventProcessors } from '../common/stored-event-processors';
import { isConnectionError } from '../platform/database/database';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import type { HotlistHit } from './hotlist-index';
import { HotlistService } from './hotlist.service';
import { MicroBatch } from './micro-batch';
import { PassagesRepository } from './passages.repository';
import { DatabasePlateHistory, MemoryPlateHistory, type PlateHistory, type Sighting } from './plate-history';
import { UNREADABLE } from './plate-matching';
import { RuleSettingsService } from './rule-settings.service';
import { TollgatesService, type EstateView } from './tollgates.service';

/** Severity `steps` levels below `base` (never below info). */
export function stepDown(base: AlertSeverity, steps: number): AlertSeverity {
  const at = ALERT_SEVERITIES.indexOf(base);
  return ALERT_SEVERITIES[Math.min(ALERT_SEVERITIES.length - 1, at + Math.max(0, steps))]!;
}

const CATEGORY_NAMES: Record<string, string> = {
  stolen: 'stolen',
  wanted: 'wanted',
  unlicensed_use: 'unlicensed use',
  suspect: 'suspect',
  other: 'listed',
};

/** Remembered alert keys, so one crossing of a limit raises once (the alert's dedupe covers the rest). */
const MEMORY_LIMIT = 100_000;

/**
 * A passage is compared with this many of its plate's latest sightings at least (more when the
 * frequent-passage threshold needs more): about an hour of a plate seen every minute, so the cloned-plate rule still sees every tollgate it went by.
 */
const MIN_SIGHTINGS_COMPARED = 64;

/**
 * The passage rules, run on every stored passage before it is acknowledged, a micro-batch at a time:
 * hotlist hits (exact, pattern, fuzzy), speeding, cloned plates and frequent passage. Each raises through
 * the alerts module's AlertRaiser.
 */
@Injectable()
export class PassageRulesService implements OnModuleInit, OnModuleDestroy {
  private readonly batch: MicroBatch<LivePassage>;
  private readonly history: PlateHistory;
  private readonly raisedFrequent = new Map<string, number>();
  private readonly raisedPairs = new Set<string>();
  private unsubscribe?: () => void;
  private warnedNoRaiser = false;

  constructor(
    private readonly processors: StoredEventProcessors,
    @Inject(RuleSettingsService) private readonly settings: Pick<RuleSettingsService, 'rule'>,
    @Inject(HotlistService) private readonly hotlist: Pick<HotlistService, 'check'>,
    @Inject(TollgatesService) private readonly estate: EstateView,
    @Inject(PassagesRepository) passages: Pick<PassagesRepository, 'recentOfPlates'>,
    @Inject(HUB_CONFIG) config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Optional() @Inject(ALERT_RAISER) private readonly raiser?: AlertRaiser,
  ) {
    this.history =
      config.CHECKPOINT_PLATE_STATE === 'database' ? new DatabasePlateHistory(passages) : new MemoryPlateHistory();
    this.batch = new MicroBatch(
      (items) => this.handle(items),
      (error) => this.logger.error({ err: error }, 'checkpoint rules failed on a batch of passages'),
    );
  }

  onModuleInit(): void {
    // Ingest waits for this before acknowledging the passages, so a hit is never lost with a hub that dies.
    this.unsubscribe = this.processors.register('passage', ({ items }) => this.batch.pushAll(items));
  }

  async onModuleDestroy(): Promise<void> {
    this.unsubscribe?.();
    await this.batch.idle();
  }

  /** Resolves when every passage stored so far has been through the rules (tests, shutdown). */
  idle(): Promise<void> {
    return this.batch.idle();
  }

  private async handle(passages: LivePassage[]): Promise<void> {
    const alerts = await this.evaluate(passages);
    // Raised together (the alerts module writes them in one transaction, in this order); a database
    // that is away fails the batch, so ingest retries it and the passages come back to be evaluated again.
    const outcomes = await Promise.all(alerts.map((alert) => this.raise(alert)));
    const away = outcomes.find((error) => error !== undefined && isConnectionError(error));
    if (away) throw away;
  }

  /** The alerts a batch of stored passages raises, in order. */
  async evaluate(passages: readonly LivePassage[]): Promise<RaiseAlertInput[]> {
    const alerts: RaiseAlertInput[] = [];
    const hotlist = this.settings.rule('hotlist');
    const speeding = this.settings.rule('speeding');
    for (const passage of passages) {
      if (hotlist.enabled && !UNREADABLE.has(passage.plateNo)) {
        const at = Date.parse(passage.passTime);
        for (const hit of this.hotlist.check(passage.plateNo, passage.tollgateId, at, hotlist.params.fuzzy)) {
          alerts.push(this.hotlistAlert(passage, hit, hotlist));
        }
      }
      if (speeding.enabled) {
        const alert = this.speedingAlert(passage, speeding);
        if (alert) alerts.push(alert);
      }
    }
    alerts.push(...(await this.plateAlerts(passages)));
    return alerts;
  }

  private hotlistAlert(passage: LivePassage, hit: HotlistHit, rule: CheckpointRule<'hotlist'>): RaiseAlertInput {
    const { entry } = hit;
    const where = this.estate.tollgate(passage.tollgateId)?.name ?? passage.tollgateId;
    const category = CATEGORY_NAMES[entry.category] ?? entry.category;
    return {
      type: 'hotlist_vehicle',
      severity: stepDown(rule.severity, entry.priority - 1 + (hit.fuzzy ? 1 : 0)),
      title: hit.fuzzy
        ? `Possible ${category} vehicle ${passage.plateNo} (reads like ${entry.plate}) at ${where}`
        : `${capitalise(category)} vehicle ${passage.plateNo} at ${where}`,
      dedupeKey: `hotlist:${entry.id}:${passage.plateNo}:${passage.tollgateId}`,
      ruleId: 'checkpoint.hotlist',
      deviceId: passage.deviceId,
      sourceEventIds: [passage.eventId],
      occurredAt: passage.passTime,
      evidence: {
        plateNo: passage.plateNo,
        plateColor: passage.plateColor,
        hotlistEntryId: entry.id,
        ...(hit.fuzzy ? { fuzzyDistance: hit.distance } : {}),
        tollgateId: passage.tollgateId,
        laneNo: passage.laneNo,
        speedKmh: passage.speedKmh,
        facts: {
          fuzzy: hit.fuzzy,
          listedPlate: entry.plate,
          category: entry.category,
          priority: entry.priority,
          reason: entry.reason,
          plateConfidence: passage.plateConfidence,
        },
      },
    };
  }

  private speedingAlert(passage: LivePassage, rule: CheckpointRule<'speeding'>): RaiseAlertInput | undefined {
    const limit = this.estate.speedLimit(passage.tollgateId, passage.laneNo);
    if (limit === undefined || !(passage.speedKmh > limit + rule.params.marginKmh)) return undefined;
    const where = this.estate.tollgate(passage.tollgateId)?.name ?? passage.tollgateId;
    return {
      type: 'speeding',
      severity: rule.severity,
      title: `Speeding ${passage.plateNo}: ${passage.speedKmh} km/h where the limit is ${limit} km/h (${where}, lane ${passage.laneNo})`,
      dedupeKey: `speeding:${passage.eventId}`,
      ruleId: 'checkpoint.speeding',
      deviceId: passage.deviceId,
      sourceEventIds: [passage.eventId],
      occurredAt: passage.passTime,
      evidence: {
        plateNo: passage.plateNo,
        plateColor: passage.plateColor,
        speedKmh: passage.speedKmh,
        speedLimitKmh: limit,
        tollgateId: passage.tollgateId,
        laneNo: passage.laneNo,
        facts: { marginKmh: rule.params.marginKmh, overLimitKmh: Math.round((passage.speedKmh - limit) * 10) / 10 },
      },
    };
  }

  /** Cloned plates and frequent passage: compare each passage with the plate's recent ones. */
  private async plateAlerts(passages: readonly LivePassage[]): Promise<RaiseAlertInput[]> {
    const cloned = this.settings.rule('cloned_plate');
    const frequent = this.settings.rule('frequent_passage');
    if (!cloned.enabled && !frequent.enabled) return [];
    const readable = passages.filter((p) => !UNREADABLE.has(p.plateNo));
    const sightings: Sighting[] = readable.map((p) => ({
      plateNo: p.plateNo,
      eventId: p.eventId,
      at: Date.parse(p.passTime),
      tollgateId: p.tollgateId,
      plateConfidence: p.plateConfidence,
    }));
    const horizonMs =
      Math.max(cloned.enabled ? cloned.params.windowMinutes : 0, frequent.enabled ? frequent.params.windowMinutes : 0) *
      60_000;
    // Enough of the plate's latest sightings for the frequent-passage count to pass its threshold.
    const perPlate = Math.max(MIN_SIGHTINGS_COMPARED, frequent.enabled ? frequent.params.maxPassages + 1 : 0);
    const others = await this.history.sightings(sightings, horizonMs, perPlate);
    const alerts: RaiseAlertInput[] = [];
    readable.forEach((passage, i) => {
      const sighting = sightings[i]!;
      if (cloned.enabled) alerts.push(...this.clonedAlerts(passage, sighting, others[i]!, cloned));
      if (frequent.enabled) {
        const alert = this.frequentAlert(passage, sighting, others[i]!, frequent);
        if (alert) alerts.push(alert);
      }
    });
    return alerts;
  }

  private clonedAlerts(
    passage: LivePassage,
    sighting: Sighting,
    others: readonly Sighting[],
    rule: CheckpointRule<'cloned_plate'>,
  ): RaiseAlertInput[] {
    if (sighting.plateConfidence < rule.params.minPlateConfidence) return [];
    const windowMs = rule.params.windowMinutes * 60_000;
    // The closest sighting at each other tollgate is the one to compare.
    const closest = new Map<string, Sighting>();
    for (const other of others) {
      if (other.tollgateId === sighting.tollgateId || other.plateConfidence < rule.params.minPlateConfidence) continue;
      if (Math.abs(other.at - sighting.at) >= windowMs) continue;
      const known = closest.get(other.tollgateId);
      if (!known || Math.abs(other.at - sighting.at) < Math.abs(known.at - sighting.at)) {
        closest.set(other.tollgateId, other);
      }
    }
    const alerts: RaiseAlertInput[] = [];
    for (const other of closest.values()) {
      const minTravelMs = this.estate.minTravelMs(other.tollgateId, sighting.tollgateId, rule.params.maxSpeedKmh);
      const gapMs = Math.abs(sighting.at - other.at);
      if (minTravelMs === undefined || !(gapMs < minTravelMs)) continue;
      const pair = [other.eventId, sighting.eventId].sort().join('|');
      if (this.raisedPairs.has(pair)) continue;
      remember(this.raisedPairs, pair);
      const [first, second] = other.at <= sighting.at ? [other, sighting] : [sighting, other];
      const name = (id: string) => this.estate.tollgate(id)?.name ?? id;
      alerts.push({
        type: 'cloned_plate',
        severity: rule.severity,
        title: `Cloned plate? ${passage.plateNo} at ${name(first.tollgateId)} and ${name(second.tollgateId)} ${Math.round(gapMs / 1000)} s apart (fastest plausible ${Math.round(minTravelMs / 1000)} s)`,
        dedupeKey: `cloned_plate:${passage.plateNo}:${[first.tollgateId, second.tollgateId].sort().join('|')}`,
        ruleId: 'checkpoint.cloned_plate',
        deviceId: passage.deviceId,
        sourceEventIds: [first.eventId, second.eventId],
        occurredAt: new Date(second.at).toISOString(),
        evidence: {
          plateNo: passage.plateNo,
          plateColor: passage.plateColor,
          tollgateId: passage.tollgateId,
          laneNo: passage.laneNo,
          facts: {
            firstTollgateId: first.tollgateId,
            firstSeenAt: new Date(first.at).toISOString(),
            secondTollgateId: second.tollgateId,
            secondSeenAt: new Date(second.at).toISOString(),
            gapS: Math.round(gapMs / 100) / 10,
            minTravelS: Math.round(minTravelMs / 100) / 10,
          },
        },
      });
    }
    return alerts;
  }

  private frequentAlert(
    passage: LivePassage,
    sighting: Sighting,
    others: readonly Sighting[],
    rule: CheckpointRule<'frequent_passage'>,
  ): RaiseAlertInput | undefined {
    const windowMs = rule.params.windowMinutes * 60_000;
    // Passages at this tollgate in the window that ends with this one: (at - window, at].
    const inWindow = others.filter(
      (s) => s.tollgateId === sighting.tollgateId && s.at > sighting.at - windowMs && s.at <= sighting.at,
    );
    const count = inWindow.length + 1;
    if (count <= rule.params.maxPassages) return undefined;
    const key = `frequent_passage:${passage.plateNo}:${passage.tollgateId}`;
    const last = this.raisedFrequent.get(key);
    if (last !== undefined && sighting.at - last < windowMs && sighting.at >= last) return undefined;
    this.raisedFrequent.delete(key);
    this.raisedFrequent.set(key, sighting.at);
    if (this.raisedFrequent.size > MEMORY_LIMIT) this.raisedFrequent.delete(this.raisedFrequent.keys().next().value!);
    const where = this.estate.tollgate(passage.tollgateId)?.name ?? passage.tollgateId;
    return {
      type: 'frequent_passage',
      severity: rule.severity,
      title: `Frequent passage: ${passage.plateNo} passed ${where} ${count} times in ${rule.params.windowMinutes} min`,
      dedupeKey: key,
      ruleId: 'checkpoint.frequent_passage',
      deviceId: passage.deviceId,
      sourceEventIds: [...inWindow.slice(-19).map((s) => s.eventId), passage.eventId],
      occurredAt: passage.passTime,
      evidence: {
        plateNo: passage.plateNo,
        plateColor: passage.plateColor,
        tollgateId: passage.tollgateId,
        laneNo: passage.laneNo,
        facts: { passages: count, maxPassages: rule.params.maxPassages, windowMinutes: rule.params.windowMinutes },
      },
    };
  }

  /** Raises one alert; resolves with the error when it could not be (logged here). */
  private async raise(alert: RaiseAlertInput): Promise<unknown> {
    if (!this.raiser) {
      if (!this.warnedNoRaiser) this.logger.warn('no alerts module: checkpoint rule hits are only logged');
      this.warnedNoRaiser = true;
      this.logger.info({ deviceId: alert.deviceId, eventId: alert.sourceEventIds[0], type: alert.type }, alert.title);
      return undefined;
    }
    try {
      await this.raiser.raise(alert);
      return undefined;
    } catch (error) {
      this.logger.error(
        { err: error, deviceId: alert.deviceId, eventId: alert.sourceEventIds[0], type: alert.type },
        'checkpoint alert could not be raised',
      );
      return error;
    }
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function remember(set: Set<string>, key: string): void {
  set.add(key);
  if (set.size > MEMORY_LIMIT) set.delete(set.values().next().value!);
}
