import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { DeviceRegistration, RegistryImport, TollgateRegistration } from '@citywatch/protocol';
import { loadHubConfig } from '../../server/src/platform/config/hub-config';
import { createLogger } from '../../server/src/platform/logging/logger';
import { startHub as startHubInProcess, type RunningHub } from '../../server/src/hub';

export const REPO_ROOT = resolve(__dirname, '../..');
const HUB_ENTRY = join(REPO_ROOT, 'server/dist/main.js');

export interface HubUnderTest {
  httpUrl: string;
  mqttUrl: string;
  topicRoot: string;
  stop(): Promise<void>;
}

export interface InProcessHub extends HubUnderTest {
  hub: RunningHub;
}

const QUIET = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', HTTP_PORT: '0', HOST: '127.0.0.1' };

/** Starts the hub inside the test process (TypeScript sources), on ephemeral ports. */
export async function startInProcessHub(env: Record<string, string> = {}): Promise<InProcessHub> {
  const dataDir = env.DATA_DIR ? undefined : mkdtempSync(join(tmpdir(), 'citywatch-hub-'));
  const config = loadHubConfig({
    EMBEDDED_MQTT_PORT: '0',
    EMBEDDED_MQTT_HOST: '127.0.0.1',
    ...QUIET,
    ...(dataDir ? { DATA_DIR: dataDir } : {}),
    ...env,
  });
  const hub = await startHubInProcess(config, createLogger(config));
  return {
    hub,
    httpUrl: hub.httpUrl,
    mqttUrl: hub.mqttUrl,
    topicRoot: config.TOPIC_ROOT,
    stop: async () => {
      await hub.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HubProcess extends HubUnderTest {
  child: ChildProcess;
  /** Everything the hub printed, for failure messages. */
  output: string[];
  /** SIGKILL, no clean-up (for crash tests). */
  kill(): Promise<void>;
}

/** Starts the built hub (`server/dist/main.js`) as a child process, on embedded defaults unless env says otherwise. */
export async function startHub(options: { env?: Record<string, string>; keepDataDir?: boolean } = {}): Promise<HubProcess> {
  const dataDir = options.env?.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'citywatch-hub-'));
  const child = spawn(process.execPath, [HUB_ENTRY], {
    env: {
      ...process.env,
      EMBEDDED_MQTT_PORT: '0',
      EMBEDDED_MQTT_HOST: '127.0.0.1',
      ...QUIET,
      LOG_LEVEL: 'info',
      DATA_DIR: dataDir,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const ready = new Promise<{ httpUrl: string; mqttUrl: string; topicRoot: string }>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start in 60 s:\n${output.slice(-30).join('\n')}`)), 60_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (output.length > 2_000) output.shift();
        if (!line.includes('"hub ready"')) return;
        const entry = JSON.parse(line) as { httpUrl: string; mqttUrl: string; topicRoot: string };
        clearTimeout(timer);
        resolvePromise(entry);
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${code} before it was ready:\n${output.slice(-30).join('\n')}`));
    });
  });
  const started = await ready;
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  const cleanup = () => {
    if (!options.keepDataDir && !options.env?.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    ...started,
    child,
    output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      cleanup();
    },
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Registers tollgates and devices through the hub's REST API. */
export async function registerEstate(httpUrl: string, body: RegistryImport, token?: string): Promise<void> {
  const response = await fetch(`${httpUrl}/api/registry/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ tollgates: body.tollgates, devices: body.devices }),
  });
  if (!response.ok) throw new Error(`registry import failed: ${response.status} ${await response.text()}`);
}

export async function registerDevice(
  httpUrl: string,
  device: DeviceRegistration,
  tollgates: TollgateRegistration[] = [],
  token?: string,
): Promise<void> {
  await registerEstate(httpUrl, { tollgates, devices: [device] }, token);
}
