import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type {
  DeviceRegistration,
  RegistryImport,
  RegistryImportResult,
  TokenPair,
  TollgateRegistration,
} from '@citywatch/protocol';
import type { RunningHub } from '../../server/src/hub';

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

/** The first administrator of every hub the tests start (ADMIN_PASSWORD); `adminToken` signs in as them. */
export const TEST_ADMIN = { username: 'admin', password: 'test-admin-password' } as const;

/**
 * Hubs in tests run with DEVICE_AUTH=optional unless a test sets it, so test devices publish without
 * credentials (the registry import then issues none). Tests of device authentication set `required`.
 */
const QUIET = {
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
  HTTP_PORT: '0',
  HOST: '127.0.0.1',
  ADMIN_PASSWORD: TEST_ADMIN.password,
  DEVICE_AUTH: 'optional',
};

/** Starts the hub inside the test process (TypeScript sources), on ephemeral ports. */
export async function startInProcessHub(env: Record<string, string> = {}): Promise<InProcessHub> {
  const dataDir = env.DATA_DIR ? undefined : mkdtempSync(join(tmpdir(), 'citywatch-hub-'));
  // Loaded here, not at the top, so scripts that only start hub processes (benchmarks under tsx) never
  // compile the hub's decorated sources.
  const { loadHubConfig } = await import('../../server/src/platform/config/hub-config.js');
  const { createLogger } = await import('../../server/src/platform/logging/logger.js');
  const { startHub: startHubInProcess } = await import('../../server/src/hub.js');
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
export async function startHub(
  options: { env?: Record<string, string>; keepDataDir?: boolean; nodeArgs?: string[] } = {},
): Promise<HubProcess> {
  const dataDir = options.env?.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'citywatch-hub-'));
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), HUB_ENTRY], {
    env: {
      ...process.env,
      EMBEDDED_MQTT_PORT: '0',
      EMBEDDED_MQTT_HOST: '127.0.0.1',
      ...QUIET,
      DATA_DIR: dataDir,
      ...options.env,
      // The ready line is logged at info.
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const ready = new Promise<{ httpUrl: string; mqttUrl: string; topicRoot: string }>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`hub did not start in 60 s:\n${output.slice(-30).join('\n')}`)),
      60_000,
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (output.length > 200_000) output.shift();
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
  let stopping = false;
  const exited = new Promise<void>((resolvePromise) =>
    child.once('exit', (code, signal) => {
      // A hub that dies on its own is a bug worth seeing in the test's output.
      if (!stopping) {
        process.stderr.write(
          `hub exited unexpectedly (${code ?? signal}); its last lines:\n${output.slice(-40).join('\n')}\n`,
        );
      }
      resolvePromise();
    }),
  );
  const cleanup = () => {
    if (!options.keepDataDir && !options.env?.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    ...started,
    child,
    output,
    stop: async () => {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      cleanup();
    },
    kill: async () => {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Signs in through the REST API; throws with the hub's answer when refused. */
export async function signIn(httpUrl: string, username: string, password: string): Promise<TokenPair> {
  const response = await fetch(`${httpUrl}/api/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!response.ok) throw new Error(`sign-in as ${username} failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as TokenPair;
}

const adminTokens = new Map<string, Promise<TokenPair>>();

/** An access token of the test administrator (TEST_ADMIN) on this hub, signed in once per hub. */
export async function adminToken(httpUrl: string): Promise<string> {
  let pair = adminTokens.get(httpUrl);
  if (!pair || Date.parse((await pair).accessTokenExpiresAt) < Date.now() + 30_000) {
    pair = signIn(httpUrl, TEST_ADMIN.username, TEST_ADMIN.password);
    adminTokens.set(httpUrl, pair);
    pair.catch(() => adminTokens.delete(httpUrl));
  }
  return (await pair).accessToken;
}

/** `Authorization` header of the test administrator, for `fetch`. */
export async function adminHeaders(httpUrl: string): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await adminToken(httpUrl)}` };
}

/** Registers tollgates and devices through the hub's REST API (as the test administrator unless a token is given). */
export async function registerEstate(
  httpUrl: string,
  body: RegistryImport,
  token?: string,
): Promise<RegistryImportResult> {
  const response = await fetch(`${httpUrl}/api/registry/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token ?? (await adminToken(httpUrl))}` },
    body: JSON.stringify({ tollgates: body.tollgates, devices: body.devices }),
  });
  if (!response.ok) throw new Error(`registry import failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as RegistryImportResult;
}

export async function registerDevice(
  httpUrl: string,
  device: DeviceRegistration,
  tollgates: TollgateRegistration[] = [],
  token?: string,
): Promise<RegistryImportResult> {
  return registerEstate(httpUrl, { tollgates, devices: [device] }, token);
}
