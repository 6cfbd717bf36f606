import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { HubConfig } from '../platform/config/hub-config';
import { HubMetrics } from '../platform/metrics/metrics';
import type { BrokerLink, DrainOutcome, ReplicaSessions } from '../platform/mqtt/broker-link';
import { ReplicaMembership } from './replica-membership.service';
import type { ClaimedSession, ReplicaRepository, ReplicaState } from './replica.repository';

/** The table's rules in memory, on a clock the test moves. */
class FakeReplicas {
  now = 0;
  readonly rows = new Map<
    string,
    { clientId: string; group: string; state: ReplicaState; seenAt: number; adoptedBy?: string; adoptedAt?: number }
  >();

  async heartbeat(hubId: string, clientId: string, group: string): Promise<void> {
    this.rows.set(hubId, { clientId, group, state: 'member', seenAt: this.now });
  }

  async claimSilent(adopter: string, group: string, timeoutS: number): Promise<ClaimedSession | undefined> {
    const limit = this.now - timeoutS * 1000;
    for (const [hubId, row] of this.rows) {
      if (hubId === adopter || row.group !== group) continue;
      const silent =
        (row.state === 'member' && row.seenAt < limit) || (row.state === 'adopting' && row.adoptedAt! < limit);
      if (!silent) continue;
      Object.assign(row, { state: 'adopting', adoptedBy: adopter, adoptedAt: this.now });
      return { hubId, clientId: row.clientId };
    }
    return undefined;
  }

  async renewClaim(hubId: string, adopter: string): Promise<void> {
    const row = this.rows.get(hubId);
    if (row?.state === 'adopting' && row.adoptedBy === adopter) row.adoptedAt = this.now;
  }

  async finishClaim(hubId: string, adopter: string): Promise<boolean> {
    const row = this.rows.get(hubId);
    if (row?.state !== 'adopting' || row.adoptedBy !== adopter) return false;
    row.state = 'left';
    return true;
  }

  async leaveUnlessLast(hubId: string, group: string, timeoutS: number): Promise<boolean> {
    const others = [...this.rows].filter(
      ([id, row]) =>
        id !== hubId && row.group === group && row.state === 'member' && row.seenAt >= this.now - timeoutS * 1000,
    );
    if (others.length === 0) return false;
    this.rows.get(hubId)!.state = 'left';
    return true;
  }

  async rejoin(hubId: string): Promise<void> {
    Object.assign(this.rows.get(hubId)!, { state: 'member', seenAt: this.now });
  }
}

/** The broker side: records what it was asked to do and answers as told. */
class FakeSessions implements ReplicaSessions {
  readonly shareGroup = 'citywatch';
  readonly adopted: string[] = [];
  leftGroup = 0;
  adoptOutcome: DrainOutcome = { drained: true, messages: 120 };
  leaveOutcome: DrainOutcome = { drained: true, messages: 3 };
  private release?: () => void;

  constructor(readonly clientId: string) {}

  /** Makes the next takeover wait until `finishTakeover`. */
  holdTakeover(): void {
    this.release = undefined;
    this.gate = new Promise<void>((resolve) => (this.release = resolve));
  }

  finishTakeover(): void {
    this.release?.();
  }

  private gate?: Promise<void>;

  async adopt(clientId: string): Promise<DrainOutcome> {
    this.adopted.push(clientId);
    await this.gate;
    return this.adoptOutcome;
  }

  async leaveGroup(): Promise<DrainOutcome> {
    this.leftGroup += 1;
    return this.leaveOutcome;
  }
}

const CONFIG = { REPLICA_HEARTBEAT_S: 5, REPLICA_TIMEOUT_S: 30 };

function replica(
  hubId: string,
  table: FakeReplicas,
  sessions: FakeSessions | undefined = new FakeSessions(`c-${hubId}`),
) {
  const broker = { replicaSessions: sessions } as unknown as BrokerLink;
  const metrics = new HubMetrics();
  const membership = new ReplicaMembership(
    table as unknown as ReplicaRepository,
    broker,
    { ...CONFIG, hubId } as HubConfig,
    pino({ level: 'silent' }),
    metrics,
  );
  return { membership, sessions: sessions!, metrics };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('ReplicaMembership', () => {
  it('takes over the session of a replica silent for the timeout, drains it, and marks it out of the group', async () => {
    const table = new FakeReplicas();
    const a = replica('a', table);
    const b = replica('b', table);
    await a.membership.tick();
    await b.membership.tick();

    // b dies; a goes on. Just inside the timeout nothing is claimed.
    table.now = 30_000;
    await a.membership.tick();
    expect(a.sessions.adopted).toEqual([]);

    table.now = 30_001;
    await a.membership.tick();
    await settle();
    expect(a.sessions.adopted).toEqual(['c-b']);
    expect(table.rows.get('b')!.state).toBe('left');
    expect(await a.metrics.registry.getSingleMetricAsString('citywatch_replica_takeover_messages_total')).toMatch(
      / 120$/m,
    );
  });

  it('runs one takeover at a time, renewing its claim so no other replica takes the same session', async () => {
    const table = new FakeReplicas();
    const a = replica('a', table);
    const c = replica('c', table);
    for (const id of ['b', 'd']) await table.heartbeat(id, `c-${id}`, 'citywatch');
    await a.membership.tick();
    await c.membership.tick();
    table.now = 31_000;
    a.sessions.holdTakeover();
    await c.membership.tick(); // c is alive
    await a.membership.tick(); // a claims the first silent one
    expect(a.sessions.adopted).toHaveLength(1);

    // A long drain: a keeps renewing; c takes the other silent replica, never the one a is draining.
    table.now = 70_000;
    await a.membership.tick();
    await c.membership.tick();
    expect(a.sessions.adopted).toHaveLength(1);
    expect(c.sessions.adopted).toHaveLength(1);
    expect(c.sessions.adopted[0]).not.toBe(a.sessions.adopted[0]);
    a.sessions.finishTakeover();
    await settle();
    expect([...table.rows.values()].filter((row) => row.state === 'left')).toHaveLength(2);
  });

  it('leaves the session marked as a member when the takeover stops short (the replica came back)', async () => {
    const table = new FakeReplicas();
    const a = replica('a', table);
    await table.heartbeat('b', 'c-b', 'citywatch');
    table.now = 40_000;
    a.sessions.adoptOutcome = { drained: false, messages: 10, reason: 'the connection closed' };
    a.sessions.holdTakeover();
    await a.membership.tick();
    await table.heartbeat('b', 'c-b', 'citywatch'); // b is back
    a.sessions.finishTakeover();
    await settle();
    expect(table.rows.get('b')!.state).toBe('member');
    expect(await a.metrics.registry.getSingleMetricAsString('citywatch_replica_takeovers_total')).toMatch(
      /outcome="stopped"} 1/,
    );
  });

  it('leaves the group on a clean stop while another replica is alive, and keeps its session when it is the last', async () => {
    const table = new FakeReplicas();
    const a = replica('a', table);
    const b = replica('b', table);
    await a.membership.tick();
    await b.membership.tick();

    await a.membership.leave();
    expect(a.sessions.leftGroup).toBe(1);
    expect(table.rows.get('a')!.state).toBe('left');

    await b.membership.leave();
    expect(b.sessions.leftGroup).toBe(0);
    expect(table.rows.get('b')!.state).toBe('member');
  });

  it('stays a member, to be taken over later, when leaving could not drain in time', async () => {
    const table = new FakeReplicas();
    const a = replica('a', table);
    const b = replica('b', table);
    await a.membership.tick();
    await b.membership.tick();
    a.sessions.leaveOutcome = { drained: false, messages: 50, reason: 'still receiving after 10 s' };
    table.now = 1_000;
    await a.membership.leave();
    expect(table.rows.get('a')).toMatchObject({ state: 'member', seenAt: 1_000 });
  });

  it('does nothing without a shared subscription group (a single hub or the embedded broker)', async () => {
    const table = new FakeReplicas();
    const solo = replica('solo', table, null as unknown as undefined);
    await solo.membership.start();
    await solo.membership.tick();
    await solo.membership.leave();
    expect(table.rows.size).toBe(0);
  });
});
