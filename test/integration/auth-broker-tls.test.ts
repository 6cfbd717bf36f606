import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicScheme, encodeMessage } from '@citywatch/protocol';
import { buildMosquittoFiles } from '../../server/src/auth/mosquitto-files';
import { passage, smallEstate } from '../support/fixtures';
import { ProjectMosquitto, canConnect, freePort } from '../support/mosquitto';
import { uniqueTopicRoot } from '../support/services';

const PROJECT_TLS_CONF = resolve(__dirname, '../../infra/mosquitto/mosquitto-tls.conf');
const NO_RETRY = { reconnectPeriod: 0, connectTimeout: 5_000 } as const;

/** A throw-away PKI made with openssl: a device CA, the broker's certificate, device certificates. */
class TestPki {
  readonly directory = mkdtempSync(join(tmpdir(), 'citywatch-pki-'));

  constructor() {
    this.authority('ca');
    this.authority('rogue-ca');
    // The names infra/mosquitto/mosquitto-tls.conf expects in /etc/mosquitto/certs.
    this.issue('ca', 'broker', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  }

  path(name: string): string {
    return join(this.directory, name);
  }

  /** Key `<name>.key` and certificate `<name>.pem` with Common Name `cn`, signed by the authority `ca`. */
  issue(ca: string, name: string, cn: string, extensions = 'extendedKeyUsage=clientAuth'): void {
    const extfile = this.path(`${name}.ext`);
    writeFileSync(extfile, `${extensions}\n`);
    this.openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      this.path(`${name}.key`),
      '-out',
      this.path(`${name}.csr`),
      '-subj',
      `/CN=${cn}`,
    );
    this.openssl(
      'x509',
      '-req',
      '-in',
      this.path(`${name}.csr`),
      '-CA',
      this.path(`${ca}.pem`),
      '-CAkey',
      this.path(`${ca}.key`),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      extfile,
      '-out',
      this.path(`${name}.pem`),
    );
  }

  /** TLS options of a client presenting `<name>.pem`, trusting the device CA (which also signed the broker). */
  client(name?: string): Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> {
    return {
      ca: readFileSync(this.path('ca.pem')),
      rejectUnauthorized: true,
      ...(name ? { cert: readFileSync(this.path(`${name}.pem`)), key: readFileSync(this.path(`${name}.key`)) } : {}),
    };
  }

  dispose(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }

  private authority(name: string): void {
    this.openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      this.path(`${name}.key`),
      '-out',
      this.path(`${name}.pem`),
      '-days',
      '1',
      '-subj',
      `/CN=citywatch test ${name}`,
    );
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.directory, stdio: 'pipe' });
  }
}

/** Connects and says how it went: the client, or the error (a refused TLS handshake, a refused CONNECT). */
function tryConnect(url: string, options: IClientOptions): Promise<MqttClient | Error> {
  return new Promise((done) => {
    const client = mqtt.connect(url, { ...NO_RETRY, ...options });
    client.once('connect', () => done(client));
    client.once('error', (error) => {
      client.end(true);
      done(error);
    });
    client.once('close', () => {
      if (!client.connected) done(new Error('connection closed before CONNACK'));
    });
  });
}

describe('device login with client certificates on Mosquitto (infra/mosquitto/mosquitto-tls.conf)', () => {
  const estate = smallEstate(80);
  const [deviceA, deviceB] = estate.laneDevices as [string, string];
  const hubLogin = { username: 'citywatch-hub', password: 'hub-password-for-the-test' };
  const topicRoot = uniqueTopicRoot();
  const topics = new TopicScheme(topicRoot);
  let pki: TestPki;
  let broker: ProjectMosquitto;
  let tlsUrl: string;
  let hub: MqttClient;
  const received: string[] = [];

  beforeAll(async () => {
    pki = new TestPki();
    pki.issue('ca', 'device-a', deviceA);
    pki.issue('rogue-ca', 'impostor-a', deviceA);
    // Certificate devices have no secret: the password file holds the hub alone; the ACL is the registry's.
    const files = await buildMosquittoFiles({ topicRoot, devices: [], hub: hubLogin });
    writeFileSync(pki.path('passwd'), files.passwd);
    writeFileSync(pki.path('acl'), files.acl);
    const tlsPort = await freePort();
    const tlsConf = readFileSync(PROJECT_TLS_CONF, 'utf8');
    expect(tlsConf).toMatch(/^require_certificate true$/m);
    expect(tlsConf).toMatch(/^use_identity_as_username true$/m);
    const tlsLines = tlsConf
      .split('\n')
      .map((line) => line.replace(/^listener\s+\d+.*$/, `listener ${tlsPort} 127.0.0.1`))
      .map((line) => line.replace(/\/etc\/mosquitto\/certs\/citywatch-device-ca\.pem/, pki.path('ca.pem')))
      .map((line) => line.replace(/\/etc\/mosquitto\/certs\//, `${pki.directory}/`));
    broker = await ProjectMosquitto.start({
      signIn: { passwordFile: pki.path('passwd'), aclFile: pki.path('acl') },
      extraLines: tlsLines,
    });
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(tlsPort))) {
      if (Date.now() > deadline) throw new Error('the TLS listener did not open');
      await new Promise((r) => setTimeout(r, 50));
    }
    tlsUrl = `mqtts://127.0.0.1:${tlsPort}`;
    // The hub, on the plain listener with its password, watches everything devices publish.
    hub = await mqtt.connectAsync(broker.url, { ...hubLogin, clientId: 'citywatch-hub-tls-test', ...NO_RETRY });
    hub.on('message', (topic) => received.push(topic));
    await hub.subscribeAsync(`${topicRoot}/#`, { qos: 1 });
  });

  afterAll(async () => {
    await hub?.endAsync();
    await broker?.dispose();
    pki?.dispose();
  });

  it('lets a device in with its certificate, as its id, and delivers what it publishes on its own topics', async () => {
    const device = await tryConnect(tlsUrl, { ...pki.client('device-a'), clientId: 'tls-a', protocolVersion: 5 });
    expect(device).not.toBeInstanceOf(Error);
    const client = device as MqttClient;
    const own = passage(deviceA);
    await client.publishAsync(topics.event(deviceA, 'passage'), encodeMessage('passage', own), { qos: 1 });
    await expect.poll(() => received).toContain(topics.event(deviceA, 'passage'));
    await client.endAsync();
  });

  it('refuses that device on another device’s topic (MQTT 5: not authorised; nothing delivered)', async () => {
    const client = (await tryConnect(tlsUrl, {
      ...pki.client('device-a'),
      clientId: 'tls-a2',
      protocolVersion: 5,
    })) as MqttClient;
    expect(client).not.toBeInstanceOf(Error);
    const forged = passage(deviceB, { laneNo: 2, direction: 'S' });
    await expect(
      client.publishAsync(topics.event(deviceB, 'passage'), encodeMessage('passage', forged), { qos: 1 }),
    ).rejects.toThrow(/Not authorized/i);
    // MQTT 3.1.1 has no negative PUBACK: Mosquitto drops it.
    const v4 = (await tryConnect(tlsUrl, { ...pki.client('device-a'), clientId: 'tls-a3' })) as MqttClient;
    await v4.publishAsync(topics.event(deviceB, 'passage'), encodeMessage('passage', forged), { qos: 1 });
    await v4.publishAsync(topics.heartbeat(deviceA), '{}', { qos: 1 });
    await expect.poll(() => received).toContain(topics.heartbeat(deviceA));
    expect(received).not.toContain(topics.event(deviceB, 'passage'));
    await client.endAsync();
    await v4.endAsync();
  });

  it('refuses a client without a certificate, and one whose certificate another authority signed', async () => {
    const without = await tryConnect(tlsUrl, { ...pki.client(), clientId: 'tls-none', username: deviceA });
    expect(String(without)).toMatch(/certificate required|handshake failure|closed before CONNACK/);
    const impostor = await tryConnect(tlsUrl, { ...pki.client('impostor-a'), clientId: 'tls-impostor' });
    expect(String(impostor)).toMatch(/unknown ca|certificate verify failed|closed before CONNACK/);
    // Nor is the plain listener a way round: it still wants a password.
    const anonymous = await tryConnect(broker.url, { clientId: 'plain-anonymous' });
    expect(String(anonymous)).toMatch(/Not authorized/i);
    expect(received.filter((topic) => !topic.startsWith(topics.devicePrefix(deviceA)))).toEqual([]);
  });
});
