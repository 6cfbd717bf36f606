import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme } from '@citywatch/protocol';
import { smallEstate } from '../support/fixtures';
import { registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';

/** EMQX's HTTP authentication and authorisation hooks (infra/emqx/emqx.conf), called as EMQX calls them. */
describe('EMQX hooks: POST /api/broker/authenticate and /api/broker/authorize', () => {
  const hookToken = 'emqx-hook-token-for-the-test';
  const hubLogin = { username: 'citywatch-hub', password: 'hub-password-for-the-test' };
  const estate = smallEstate(70);
  const [deviceA, deviceB] = estate.laneDevices as [string, string];
  const secrets = new Map<string, string>();
  let hub: InProcessHub;
  let topics: TopicScheme;

  const hook = (path: 'authenticate' | 'authorize', body: unknown, token: string | null = hookToken) =>
    fetch(`${hub.httpUrl}/api/broker/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(body),
    });
  const verdict = async (path: 'authenticate' | 'authorize', body: unknown) => {
    const response = await hook(path, body);
    expect(response.status).toBe(200);
    return (await response.json()) as { result: 'allow' | 'deny'; is_superuser?: boolean };
  };
  /** citywatch_broker_refusals_total by kind, read from the hub's registry (not /metrics: it is rate-limited here). */
  const refusals = async (kind: string) => {
    const { HubMetrics } = await import('../../server/src/platform/metrics/metrics.js');
    const counter = await hub.hub.app.get(HubMetrics).brokerRefusals.get();
    return counter.values.find((value) => value.labels.kind === kind)?.value ?? 0;
  };

  beforeAll(async () => {
    hub = await startInProcessHub({
      BROKER_HOOK_TOKEN: hookToken,
      MQTT_USERNAME: hubLogin.username,
      MQTT_PASSWORD: hubLogin.password,
      DEVICE_AUTH: 'required',
      // A general limit far below one broker restart's worth of connects: the hooks must not feel it.
      RATE_LIMIT_PER_MINUTE: '10',
    });
    topics = new TopicScheme(hub.topicRoot);
    const imported = await registerEstate(hub.httpUrl, estate);
    for (const credential of imported.credentials ?? []) secrets.set(credential.deviceId, credential.secret);
    expect(secrets.size).toBe(2);
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('answers 401 without the hook token or with a wrong one, and decides nothing', async () => {
    const body = { clientid: deviceA, username: deviceA, password: secrets.get(deviceA) };
    for (const token of [null, 'x'.repeat(hookToken.length), 'short', `${hookToken}x`]) {
      const response = await hook('authenticate', body, token);
      expect(response.status).toBe(401);
      expect(JSON.stringify(await response.json())).not.toContain('allow');
    }
    const authorize = await hook(
      'authorize',
      { clientid: deviceA, username: deviceA, topic: topics.event(deviceA, 'passage'), action: 'publish' },
      'not-the-token-not-the-token',
    );
    expect(authorize.status).toBe(401);
  });

  it('lets the hub in as superuser with its own login, and nobody else', async () => {
    expect(await verdict('authenticate', { clientid: 'citywatch-hub-x', ...hubLogin })).toEqual({
      result: 'allow',
      is_superuser: true,
    });
    const wrong = await verdict('authenticate', {
      clientid: 'citywatch-hub-x',
      username: hubLogin.username,
      password: 'hub-password-for-the-tesT',
    });
    expect(wrong).toEqual({ result: 'deny', is_superuser: false });
    // A device with the right secret is allowed, but never as superuser.
    expect(
      await verdict('authenticate', {
        clientid: `agent-${deviceA}`,
        username: deviceA,
        password: secrets.get(deviceA),
      }),
    ).toEqual({ result: 'allow', is_superuser: false });
  });

  it('refuses wrong secrets, another device’s secret and anonymous clients, counting each refusal', async () => {
    const before = await refusals('connect');
    const cases = [
      { clientid: 'a', username: deviceA, password: 'wrong-secret-wrong-secret' },
      { clientid: 'b', username: deviceA, password: secrets.get(deviceB) },
      { clientid: 'c', username: '', password: '' },
      { clientid: 'd' },
    ];
    for (const body of cases) expect((await verdict('authenticate', body)).result).toBe('deny');
    expect((await refusals('connect')) - before).toBe(cases.length);
  });

  it('allows a device its own topics and denies another device’s, counting each refusal', async () => {
    const as = (username: string, topic: string, action: 'publish' | 'subscribe') =>
      verdict('authorize', { clientid: `agent-${username}`, username, topic, action });
    const publishesBefore = await refusals('publish');
    const subscribesBefore = await refusals('subscribe');
    expect(await as(deviceA, topics.event(deviceA, 'passage'), 'publish')).toEqual({ result: 'allow' });
    expect(await as(deviceA, topics.status(deviceA), 'publish')).toEqual({ result: 'allow' });
    expect(await as(deviceA, topics.heartbeat(deviceA), 'publish')).toEqual({ result: 'allow' });
    expect(await as(deviceA, topics.commandReply(deviceA, 'req-1'), 'publish')).toEqual({ result: 'allow' });
    expect(await as(deviceA, topics.deviceCommandSubscription(deviceA), 'subscribe')).toEqual({ result: 'allow' });
    expect(await as(deviceA, topics.event(deviceB, 'passage'), 'publish')).toEqual({ result: 'deny' });
    expect(await as(deviceA, topics.command(deviceA, 'reboot'), 'publish')).toEqual({ result: 'deny' });
    expect(await as(deviceA, topics.deviceCommandSubscription(deviceB), 'subscribe')).toEqual({ result: 'deny' });
    expect(await as(deviceA, `${hub.topicRoot}/#`, 'subscribe')).toEqual({ result: 'deny' });
    expect((await refusals('publish')) - publishesBefore).toBe(2);
    expect((await refusals('subscribe')) - subscribesBefore).toBe(2);
  });

  it('answers a burst of hook calls from one address without 429, while other requests are limited', async () => {
    const statuses: number[] = [];
    for (let round = 0; round < 4; round++) {
      const burst = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          i % 2 === 0
            ? hook('authenticate', { clientid: `burst-${i}`, username: deviceA, password: secrets.get(deviceA) })
            : hook('authorize', {
                clientid: `burst-${i}`,
                username: deviceA,
                topic: topics.event(deviceA, 'passage'),
                action: 'publish',
              }),
        ),
      );
      for (const response of burst) {
        statuses.push(response.status);
        expect(((await response.json()) as { result: string }).result).toBe('allow');
      }
    }
    expect(statuses).toHaveLength(100);
    expect(statuses.every((status) => status === 200)).toBe(true);
    // The general limit (10 a minute from this address) is in force for everything else.
    const others: number[] = [];
    for (let i = 0; i < 12; i++) others.push((await fetch(`${hub.httpUrl}/health/live`)).status);
    expect(others).toContain(429);
  });
});
