import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { HubMetrics } from '../platform/metrics/metrics';
import { BROKER_LINK, type BrokerLink, type ReplicaSessions } from '../platform/mqtt/broker-link';
import { ReplicaRepository, type ClaimedSession } from './replica.repository';

/** Longest a takeover may keep draining a dead replica's session before it is given up (and claimed again). */
const TAKEOVER_TIMEOUT_MS = 10 * 60_000;
/** Longest a clean stop waits for what was already on its way (the hub's own stop is bounded at 20 s). */
const LEAVE_TIMEOUT_MS = 10_000;

/**
 * Membership of a replica in its shared-subscription group. Mosquitto keeps routing a dead replica's
 * share to its persistent session until that replica comes back, so the replicas keep a heartbeat in the
 * database; when one has been silent for REPLICA_TIMEOUT_S another takes its session over (stores what
 * the broker queued for it and takes it out of the group), and the live ones get the whole stream. A
 * replica that stops cleanly leaves the group itself, unless it is the last one.
 */
@Injectable()
export class ReplicaMembership implements OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private ticking?: Promise<void>;
  private takeover?: { hubId: string; done: Promise<void> };
  private stopped = false;

  constructor(
    private readonly repository: ReplicaRepository,
    @Inject(BROKER_LINK) private readonly broker: BrokerLink,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: HubMetrics,
  ) {}

  private get sessions(): ReplicaSessions | undefined {
    return this.broker.replicaSessions;
  }

  /** Called once the broker link is up: records this replica and keeps doing so. */
  async start(): Promise<void> {
    if (!this.sessions || this.stopped) return;
    await this.tick();
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, this.config.REPLICA_HEARTBEAT_S * 1000);
    this.timer.unref();
  }

  /** One round: this replica is alive; if no takeover is running, claim a silent replica's session. */
  async tick(): Promise<void> {
    const sessions = this.sessions;
    if (!sessions || this.stopped) return;
    const me = this.config.hubId;
    try {
      await this.repository.heartbeat(me, sessions.clientId, sessions.shareGroup);
      if (this.takeover) {
        await this.repository.renewClaim(this.takeover.hubId, me);
        return;
      }
      const claim = await this.repository.claimSilent(me, sessions.shareGroup, this.config.REPLICA_TIMEOUT_S);
      if (claim) this.takeover = { hubId: claim.hubId, done: this.takeOver(sessions, claim) };
    } catch (error) {
      this.logger.warn({ err: error }, 'replica heartbeat failed; will try again');
    }
  }

  private async takeOver(sessions: ReplicaSessions, claim: ClaimedSession): Promise<void> {
    const me = this.config.hubId;
    this.logger.warn(
      { replica: claim.hubId, clientId: claim.clientId },
      'replica silent: taking over its MQTT session to store what the broker kept for it',
    );
    try {
      const outcome = await sessions.adopt(claim.clientId, TAKEOVER_TIMEOUT_MS);
      this.metrics.replicaTakeovers.inc({ outcome: outcome.drained ? 'drained' : 'stopped' });
      this.metrics.replicaTakeoverMessages.inc(outcome.messages);
      if (!outcome.drained) {
        this.logger.warn(
          { replica: claim.hubId, messages: outcome.messages, reason: outcome.reason },
          'took over part of a replica session and stopped',
        );
        return;
      }
      const left = await this.repository.finishClaim(claim.hubId, me);
      this.logger.info(
        { replica: claim.hubId, messages: outcome.messages, left },
        left
          ? 'replica session drained and out of the group; the live replicas share the whole stream'
          : 'replica session drained; the replica came back meanwhile',
      );
    } catch (error) {
      this.logger.warn({ err: error, replica: claim.hubId }, 'takeover of a replica session failed');
    } finally {
      this.takeover = undefined;
    }
  }

  /**
   * On a clean stop, before the broker link closes: leaves the group so the broker stops queueing a share
   * for a replica that may not come back (scale-in), unless no other replica is alive.
   */
  async leave(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const sessions = this.sessions;
    if (!sessions) return;
    const me = this.config.hubId;
    try {
      const leaving = await this.repository.leaveUnlessLast(me, sessions.shareGroup, this.config.REPLICA_TIMEOUT_S);
      if (!leaving) {
        this.logger.info('last live replica of the group: keeping its MQTT session, so the broker keeps the stream');
        return;
      }
      const outcome = await sessions.leaveGroup(LEAVE_TIMEOUT_MS);
      if (outcome.drained) {
        this.logger.info({ messages: outcome.messages }, 'left the shared subscription group');
        return;
      }
      await this.repository.rejoin(me);
      this.logger.warn(
        { reason: outcome.reason, messages: outcome.messages },
        'left the group without draining; another replica will take over what is left in this session',
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'could not leave the shared subscription group');
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.takeover?.done;
  }
}
