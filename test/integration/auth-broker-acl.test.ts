import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme, encodeMessage, makeDeviceId } from '@citywatch/protocol';
import { DeviceCredentialsService } from '../../server/src/auth/device-credentials.service';
import { buildMosquittoFiles } from '../../server/src/auth/mosquitto-files';
import { DATABASE, type Database } from '../../server/src/platform/database/database';
import { passage, smallEstate } from '../support/fixtures';
import { adminHeaders, registerEstate, startInProcessHub, type InProcessHub } from '../support/hub';
import { PROJECT_MOSQUITTO_CONF, canConnect, freePort } from '../support/mosquitto';
import { uniqueTopicRoot } from '../support/services';

const NO_RETRY = { reconnectPeriod: 0, connectTimeout: 5_000 } as const;

async function storedCount(hub: InProcessHub, eventId: string): Promise<number> {
  const database = hub.hub.app.get<Database>(DATABASE);
  return (await database.query('SELECT 1 FROM passages WHERE event_id = $1', [eventId])).rowCount;
}

/** Resolves with the topics `client` received within `ms`. */
async function receivedWithin(client: MqttClient, ms: number, act: () => Promise<void>): Promise<string[]> {
  const topics: string[] = [];
  const listener = (topic: string) => topics.push(topic);
  client.on('message', listener);
  await act();
  await new Promise((resolve) => setTimeout(resolve, ms));
  client.off('message', listener);
  return topics;
}

describe('device ACL on the embedded broker', () => {
  let hub: InProcessHub;
  let topics: TopicScheme;
  const estate = smallEstate(40);
  const [deviceA, deviceB] = estate.laneDevices as [string, string];
  const secrets = new Map<string, string>();

  beforeAll(async () => {
    hub = await startInProcessHub({ DEVICE_AUTH: 'required' });
    topics = new TopicScheme(hub.topicRoot);
    const imported = await registerEstate(hub.httpUrl, estate);
    for (const credential of imported.credentials ?? []) secrets.set(credential.deviceId, credential.secret);
  });

  afterAll(async () => {
    await hub?.stop();
  });

  const connectAs = (deviceId: string, password = secrets.get(deviceId)) =>
    mqtt.connectAsync(hub.mqttUrl, {
      clientId: `acl-${deviceId}-${Date.now()}`,
      username: deviceId,
      password,
      ...NO_RETRY,
    });

  it('issues each registered device its own secret once, and keeps only a hash', async () => {
    expect(secrets.size).toBe(2);
    expect(secrets.get(deviceA)).not.toBe(secrets.get(deviceB));
    const again = await registerEstate(hub.httpUrl, estate);
    expect(again.credentials).toEqual([]);
    const database = hub.hub.app.get<Database>(DATABASE);
    const rows = await database.query<{ secret_hash: string }>('SELECT secret_hash FROM device_credentials');
    expect(rows.rows.map((row) => row.secret_hash)).not.toContain(secrets.get(deviceA));
    expect(rows.rows.every((row) => row.secret_hash.startsWith('$7$'))).toBe(true);
  });

  it('refuses a device without credentials, with a wrong secret, or with another device’s secret', async () => {
    await expect(mqtt.connectAsync(hub.mqttUrl, { clientId: 'anonymous', ...NO_RETRY })).rejects.toThrow();
    await expect(connectAs(deviceA, 'wrong-secret-wrong-secret')).rejects.toThrow(/Bad username or password/i);
    await expect(connectAs(deviceA, secrets.get(deviceB))).rejects.toThrow(/Bad username or password/i);
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(Number(/citywatch_broker_refusals_total\{kind="connect"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(
      3,
    );
  });

  it('refuses a device publishing on another device’s topic, stores nothing, and keeps serving', async () => {
    const device = await connectAs(deviceA);
    const forged = passage(deviceB, { laneNo: 2, direction: 'S' });
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    device.publish(topics.event(deviceB, 'passage'), encodeMessage('passage', forged), { qos: 1 });
    await closed; // aedes ends the connection of a client that breaks the ACL
    device.end(true);
    const honest = await connectAs(deviceA);
    const own = passage(deviceA);
    await honest.publishAsync(topics.event(deviceA, 'passage'), encodeMessage('passage', own), { qos: 1 });
    await honest.endAsync();
    expect(await storedCount(hub, own.eventId)).toBe(1);
    expect(await storedCount(hub, forged.eventId)).toBe(0);
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/citywatch_broker_refusals_total\{kind="publish"\} [1-9]/);
    expect((await fetch(`${hub.httpUrl}/health`)).status).toBe(200);
  });

  it('refuses a device subscribing to another device’s commands, and lets it read its own', async () => {
    const device = await connectAs(deviceA);
    const own = await device.subscribeAsync(topics.deviceCommandSubscription(deviceA), { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    device.subscribe(topics.deviceCommandSubscription(deviceB), { qos: 1 });
    await closed;
    device.end(true);
    const metrics = await (await fetch(`${hub.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/citywatch_broker_refusals_total\{kind="subscribe"\} [1-9]/);
  });

  it('rotates a secret through the API: the old one stops working at once, the new one works', async () => {
    const headers = await adminHeaders(hub.httpUrl);
    const response = await fetch(`${hub.httpUrl}/api/devices/${deviceB}/secret`, { method: 'POST', headers });
    expect(response.status).toBe(200);
    const issued = (await response.json()) as { deviceId: string; secret: string; rotatedAt: string };
    expect(issued.deviceId).toBe(deviceB);
    expect(issued.secret).not.toBe(secrets.get(deviceB));
    await expect(connectAs(deviceB)).rejects.toThrow(/Bad username or password/i);
    const device = await connectAs(deviceB, issued.secret);
    await device.endAsync();
    secrets.set(deviceB, issued.secret);
    const unknown = await fetch(
      `${hub.httpUrl}/api/devices/${makeDeviceId({ kind: 'checkpoint', serial: 999 })}/secret`,
      {
        method: 'POST',
        headers,
      },
    );
    expect(unknown.status).toBe(404);
  });
});

describe('DEVICE_AUTH=optional on the embedded broker', () => {
  let hub: InProcessHub;
  const estate = smallEstate(50);
  const [withoutSecret, withSecret] = estate.laneDevices as [string, string];

  beforeAll(async () => {
    hub = await startInProcessHub({ DEVICE_AUTH: 'optional' });
    const imported = await registerEstate(hub.httpUrl, estate);
    expect(imported.credentials).toEqual([]);
    const response = await fetch(`${hub.httpUrl}/api/devices/${withSecret}/secret`, {
      method: 'POST',
      headers: await adminHeaders(hub.httpUrl),
    });
    expect(response.status).toBe(200);
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('lets an anonymous client act for a device without a secret, never for one with a secret', async () => {
    const topics = new TopicScheme(hub.topicRoot);
    const client = await mqtt.connectAsync(hub.mqttUrl, { clientId: 'legacy-camera', ...NO_RETRY });
    const allowed = passage(withoutSecret);
    await client.publishAsync(topics.event(withoutSecret, 'passage'), encodeMessage('passage', allowed), { qos: 1 });
    expect(await storedCount(hub, allowed.eventId)).toBe(1);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    const forged = passage(withSecret, { laneNo: 2, direction: 'S' });
    client.publish(topics.event(withSecret, 'passage'), encodeMessage('passage', forged), { qos: 1 });
    await closed;
    client.end(true);
    expect(await storedCount(hub, forged.eventId)).toBe(0);
  });
});

describe('device ACL on Mosquitto started with the generated configuration', () => {
  const estate = smallEstate(60);
  const [deviceA, deviceB] = estate.laneDevices as [string, string];
  const hubLogin = { username: 'citywatch-hub', password: 'hub-password-for-the-test' };
  let directory: string;
  let port: number;
  let mosquitto: ChildProcess | undefined;
  let hub: InProcessHub;
  let topicRoot: string;
  const secrets = new Map<string, string>();

  async function writeFiles(devices: { id: string; secretHash: string | null }[]): Promise<void> {
    const files = await buildMosquittoFiles({ topicRoot, devices, hub: hubLogin });
    writeFileSync(join(directory, 'passwd'), files.passwd);
    writeFileSync(join(directory, 'acl'), files.acl);
  }

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'citywatch-acl-'));
    port = await freePort();
    topicRoot = uniqueTopicRoot();
    await writeFiles([]);
    // The project's configuration, with its paths pointed at this test's folder and port.
    const conf = readFileSync(PROJECT_MOSQUITTO_CONF, 'utf8')
      .replace(/^listener\s+\d+.*$/m, `listener ${port} 127.0.0.1`)
      .replace(/^persistence_location\s+.*$/m, `persistence_location ${directory}/`)
      .replace(/^password_file\s+.*$/m, `password_file ${join(directory, 'passwd')}`)
      .replace(/^acl_file\s+.*$/m, `acl_file ${join(directory, 'acl')}`);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    writeFileSync(join(directory, 'mosquitto.conf'), `${conf}\nuser ${userInfo().username}\nlog_dest none\n`);
    mosquitto = spawn('mosquitto', ['-c', join(directory, 'mosquitto.conf')], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (Date.now() > deadline) throw new Error('mosquitto did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    hub = await startInProcessHub({
      MQTT_URL: `mqtt://127.0.0.1:${port}`,
      MQTT_USERNAME: hubLogin.username,
      MQTT_PASSWORD: hubLogin.password,
      TOPIC_ROOT: topicRoot,
      DEVICE_AUTH: 'required',
    });
    const imported = await registerEstate(hub.httpUrl, estate);
    for (const credential of imported.credentials ?? []) secrets.set(credential.deviceId, credential.secret);
    // Regenerate from the registry, and have Mosquitto read the files again.
    await writeFiles(await hub.hub.app.get(DeviceCredentialsService).devicesWithCredentials());
    mosquitto.kill('SIGHUP');
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  afterAll(async () => {
    await hub?.stop();
    if (mosquitto && mosquitto.exitCode === null) {
      const exited = new Promise((resolve) => mosquitto!.once('exit', resolve));
      mosquitto.kill('SIGTERM');
      await exited;
    }
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  const connectAs = (deviceId: string, password = secrets.get(deviceId), protocolVersion: 4 | 5 = 4) =>
    mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: `acl-${deviceId}-${Date.now()}`,
      username: deviceId,
      password,
      protocolVersion,
      ...NO_RETRY,
    });

  it('refuses anonymous clients and wrong secrets', async () => {
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'anonymous', ...NO_RETRY })).rejects.toThrow(
      /Not authorized/i,
    );
    await expect(connectAs(deviceA, 'wrong-secret-wrong-secret')).rejects.toThrow(/Not authorized/i);
  });

  it('delivers a device’s own events to the hub and drops what it publishes on another device’s topic', async () => {
    const topics = new TopicScheme(topicRoot);
    const device = await connectAs(deviceA);
    const forged = passage(deviceB, { laneNo: 2, direction: 'S' });
    await device.publishAsync(topics.event(deviceB, 'passage'), encodeMessage('passage', forged), { qos: 1 });
    const own = passage(deviceA);
    await device.publishAsync(topics.event(deviceA, 'passage'), encodeMessage('passage', own), { qos: 1 });
    await device.endAsync();
    await expect.poll(() => storedCount(hub, own.eventId), { timeout: 10_000 }).toBe(1);
    expect(await storedCount(hub, forged.eventId)).toBe(0);
    // MQTT 5 clients are told so.
    const v5 = await connectAs(deviceA, undefined, 5);
    await expect(
      v5.publishAsync(topics.event(deviceB, 'passage'), encodeMessage('passage', forged), { qos: 1 }),
    ).rejects.toThrow(/Not authorized/i);
    await v5.endAsync();
  });

  it('never hands a device another device’s commands', async () => {
    const topics = new TopicScheme(topicRoot);
    const snooper = await connectAs(deviceA);
    await snooper.subscribeAsync(topics.deviceCommandSubscription(deviceB), { qos: 1 });
    await snooper.subscribeAsync(topics.deviceCommandSubscription(deviceA), { qos: 1 });
    const received = await receivedWithin(snooper, 500, async () => {
      const hubClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { ...hubLogin, ...NO_RETRY });
      await hubClient.publishAsync(topics.command(deviceB, 'reboot'), '{}', { qos: 1 });
      await hubClient.publishAsync(topics.command(deviceA, 'reboot'), '{}', { qos: 1 });
      await hubClient.endAsync();
    });
    await snooper.endAsync();
    expect(received).toEqual([topics.command(deviceA, 'reboot')]);
  });
});
