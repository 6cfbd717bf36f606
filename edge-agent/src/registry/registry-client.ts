import type { RegistryImport, RegistryImportResult } from '@citywatch/protocol';

export interface HubClientOptions {
  /** e.g. http://localhost:8080 */
  hubUrl: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
}

/** Registers an estate with the hub: POST {hubUrl}/api/registry/import. */
export async function importRegistry(options: HubClientOptions, body: RegistryImport): Promise<RegistryImportResult> {
  const response = await fetch(new URL('/api/registry/import', options.hubUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`registry import refused: HTTP ${response.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as RegistryImportResult;
}

/** Polls {hubUrl}/health until it answers 200 with status ok. */
export async function waitForHub(
  hubUrl: string,
  timeoutMs = 60_000,
  isAlive: () => boolean = () => true,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline && isAlive()) {
    try {
      const response = await fetch(new URL('/health', hubUrl));
      if (response.ok && ((await response.json()) as { status?: string }).status === 'ok') return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`the hub at ${hubUrl} was not ready (${last})`);
}

/** Signs in to the hub (POST /api/auth/sign-in) and returns the access token. */
export async function signIn(hubUrl: string, username: string, password: string): Promise<string> {
  const response = await fetch(new URL('/api/auth/sign-in', hubUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`sign-in as ${username} refused: HTTP ${response.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { accessToken: string }).accessToken;
}

/**
 * A bearer token for the hub: CITYWATCH_HUB_TOKEN if set, else a sign-in as ADMIN_USERNAME (admin)
 * with ADMIN_PASSWORD or the password the hub wrote to {dataDir}/initial-admin-password on first start.
 */
export async function hubToken(hubUrl: string, env: NodeJS.ProcessEnv, dataDir?: string): Promise<string | undefined> {
  if (env.CITYWATCH_HUB_TOKEN) return env.CITYWATCH_HUB_TOKEN;
  let password = env.ADMIN_PASSWORD;
  if (!password && dataDir) {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    password = (await readFile(join(dataDir, 'initial-admin-password'), 'utf8').catch(() => '')).trim() || undefined;
  }
  if (!password) return undefined;
  return signIn(hubUrl, env.ADMIN_USERNAME ?? 'admin', password);
}
