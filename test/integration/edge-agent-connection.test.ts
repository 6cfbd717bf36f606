import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, makeDeviceId, TopicScheme } from '@citywatch/protocol';
import { agentFromConfig } from '../../edge-agent/src/agent/agent-from-config';
import type { EdgeAgent } from '../../edge-agent/src/agent/edge-agent';
import { ConfigError, loadAgentConfig } from '../../edge-agent/src/config/agent-config';
import { silentLogger } from '../../edge-agent/src/util/logger';
import { ProjectMosquitto } from '../support/mosquitto';

/**
 * The agent's broker connection: TLS when the URL says mqtts (a throw-away CA made with openssl), and
 * each device's credentials, from the configuration file or the environment, against a Mosquitto that
 * requires sign-in (a password file made with mosquitto_passwd).
 */

const cameras = [31, 32, 33, 34].map((serial) => makeDeviceId({ kind: 'hd_camera', serial }));

function incident() {
  return {
    kind: 'incident' as const,
    payload: { at: new Date().toISOString(), kind: 'crowding' as const, confidence: 0.8 },
  };
}

/** Retained statuses under `root`, read by a client of the test's own. */
async function statuses(url: string, root: string, options: IClientOptions = {}): Promise<Map<string, string>> {
  const reader = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  const found = new Map<string, string>();
  reader.on('message', (_topic, payload) => {
    const decoded = decodeMessage('status', payload);
    if (decoded.ok) found.set(decoded.value.deviceId, `${decoded.value.state}:${decoded.value.reason}`);
  });
  await reader.subscribeAsync(`${root}/+/status`, { qos: 1 });
  await new Promise((resolve) => setTimeout(resolve, 500));
  await reader.endAsync();
  return found;
}

async function waitAcknowledged(agent: EdgeAgent, count: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (agent.stats().acknowledged < count) {
    if (Date.now() > deadline) throw new Error(`${agent.stats().acknowledged} of ${count} acknowledged`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('edge agent over TLS (mqtts)', () => {
  const directory = mkdtempSync(join(tmpdir(), 'citywatch-agent-tls-'));
  const topics = new TopicScheme(`tls-${Date.now().toString(36)}/v1`);
  const path = (name: string) => join(directory, name);
  let broker: ProjectMosquitto;
  let url: string;
  const agents: EdgeAgent[] = [];

  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: directory, stdio: 'pipe' });

  beforeAll(async () => {
    // A CA of the test's own, and the broker's certificate for 127.0.0.1 signed by it.
    openssl(
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', path('ca.key'), '-out', path('ca.pem'), '-days', '1', '-subj', '/CN=citywatch agent test CA'],
    );
    writeFileSync(path('broker.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    openssl(
      ...['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', path('broker.key'), '-out', path('broker.csr'), '-subj', '/CN=127.0.0.1'],
    );
    openssl(
      ...['x509', '-req', '-in', path('broker.csr'), '-CA', path('ca.pem'), '-CAkey', path('ca.key')],
      ...['-CAcreateserial', '-days', '1', '-extfile', path('broker.ext'), '-out', path('broker.pem')],
    );
    // Other CA: what a client trusting the wrong authority has.
    openssl(
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', path('other.key'), '-out', path('other.pem'), '-days', '1', '-subj', '/CN=another CA'],
    );
    broker = await ProjectMosquitto.start({
      extraLines: [`cafile ${path('ca.pem')}`, `certfile ${path('broker.pem')}`, `keyfile ${path('broker.key')}`],
    });
    url = `mqtts://127.0.0.1:${broker.port}`;
  });

  afterAll(async () => {
    for (const agent of agents) await agent.stop(0).catch(() => undefined);
    await broker?.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  /** An agent built from a configuration file beside the certificates (caFile relative to the file). */
  function agentWith(name: string, broker: Record<string, unknown>): EdgeAgent {
    const configPath = path(`${name}.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        broker: { reconnectPeriodMs: 300, ...broker },
        topicRoot: topics.root,
        dataDir: `./data-${name}`,
        devices: [{ id: cameras[0], kind: 'hd_camera' }],
      }),
    );
    const agent = agentFromConfig(loadAgentConfig(configPath, {}), silentLogger);
    agents.push(agent);
    return agent;
  }

  it('connects with the CA from its configuration file, says it is online and has its events acknowledged', async () => {
    const agent = agentWith('trusted', { url, caFile: 'ca.pem' });
    await agent.start();
    await agent.waitAllOnline(10_000);
    await agent.sink.submit(cameras[0], incident());
    await waitAcknowledged(agent, 1);
    expect(await statuses(url, topics.root, { ca: readFileSync(path('ca.pem')) })).toEqual(
      new Map([[cameras[0], 'online:startup']]),
    );
    await agent.stop();
  });

  it('does not connect to a broker whose certificate its CA did not sign, nor without TLS', async () => {
    for (const [name, settings] of [
      ['foreign-ca', { url, caFile: 'other.pem' }],
      ['system-ca', { url }],
      ['plain', { url: `mqtt://127.0.0.1:${broker.port}` }],
    ] as const) {
      const agent = agentWith(name, settings);
      await agent.start();
      await expect(agent.waitAllOnline(2000), name).rejects.toThrow(/did not connect/);
      expect(agent.stats().online, name).toBe(0);
      await agent.stop(0);
    }
  });
});

describe('edge agent credentials against a broker that requires sign-in', () => {
  const directory = mkdtempSync(join(tmpdir(), 'citywatch-agent-auth-'));
  const topics = new TopicScheme(`auth-${Date.now().toString(36)}/v1`);
  const path = (name: string) => join(directory, name);
  const secrets = Object.fromEntries(cameras.map((id, index) => [id, `secret-${index}-${id.slice(-4)}`]));
  let broker: ProjectMosquitto;
  const agents: EdgeAgent[] = [];

  beforeAll(async () => {
    const passwords = path('passwd');
    writeFileSync(passwords, '');
    for (const [user, secret] of [...Object.entries(secrets), ['reader', 'reader-secret']]) {
      execFileSync('mosquitto_passwd', ['-b', passwords, user, secret], { stdio: 'pipe' });
    }
    writeFileSync(path('acl'), 'pattern readwrite #\n');
    broker = await ProjectMosquitto.start({ signIn: { passwordFile: passwords, aclFile: path('acl') } });
  });

  afterAll(async () => {
    for (const agent of agents) await agent.stop(0).catch(() => undefined);
    await broker?.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  function writeConfig(name: string, devices: Record<string, unknown>[]): string {
    const configPath = path(`${name}.json`);
    writeFileSync(
      configPath,
      JSON.stringify({
        broker: { url: broker.url, reconnectPeriodMs: 300 },
        topicRoot: topics.root,
        dataDir: `./data-${name}`,
        devices,
      }),
    );
    return configPath;
  }

  it('signs each device in with its secret from the file, a named variable, its own variable or the single-device variables', async () => {
    const [inFile, namedVariable, ownVariable, singleDevice] = cameras;
    const configPath = writeConfig('good', [
      { id: inFile, kind: 'hd_camera', secret: secrets[inFile] },
      { id: namedVariable, kind: 'hd_camera', secretEnv: 'LANE_TWO_SECRET' },
      // The environment wins over the file.
      { id: ownVariable, kind: 'hd_camera', secret: 'stale-secret-in-the-file' },
    ]);
    const config = loadAgentConfig(configPath, {
      LANE_TWO_SECRET: secrets[namedVariable],
      [`CITYWATCH_DEVICE_SECRET_${ownVariable}`]: secrets[ownVariable],
      CITYWATCH_DEVICE_ID: singleDevice,
      CITYWATCH_DEVICE_KIND: 'hd_camera',
      CITYWATCH_DEVICE_SECRET: secrets[singleDevice],
    });
    expect(config.devices.map((device) => [device.id, device.secret])).toEqual(cameras.map((id) => [id, secrets[id]]));
    const agent = agentFromConfig(config, silentLogger);
    agents.push(agent);
    await agent.start();
    await agent.waitAllOnline(10_000);
    for (const id of cameras) await agent.sink.submit(id, incident());
    await waitAcknowledged(agent, cameras.length);
    const online = await statuses(broker.url, topics.root, { username: 'reader', password: 'reader-secret' });
    expect(new Map([...online].filter(([, state]) => state.startsWith('online')))).toEqual(
      new Map(cameras.map((id) => [id, 'online:startup'])),
    );
    await agent.stop();
  });

  it('is refused with a wrong secret or none, and will not start when a named variable is missing', async () => {
    const refused = agentFromConfig(
      loadAgentConfig(
        writeConfig('bad', [
          { id: cameras[0], kind: 'hd_camera', secret: 'not-the-secret' },
          { id: cameras[1], kind: 'hd_camera' },
        ]),
        {},
      ),
      silentLogger,
    );
    agents.push(refused);
    await refused.start();
    await expect(refused.connection(cameras[0]).waitOnline(2000)).rejects.toThrow(/did not connect/);
    await expect(refused.connection(cameras[1]).waitOnline(500)).rejects.toThrow(/did not connect/);
    expect(refused.stats().online).toBe(0);
    await refused.stop(0);

    const missing = writeConfig('missing', [{ id: cameras[2], kind: 'hd_camera', secretEnv: 'NOT_SET_ANYWHERE' }]);
    expect(() => loadAgentConfig(missing, {})).toThrow(ConfigError);
    expect(() => loadAgentConfig(missing, {})).toThrow(/NOT_SET_ANYWHERE is not set/);
  });
});
