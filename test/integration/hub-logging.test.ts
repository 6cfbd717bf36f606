import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubProcess } from '../support/hub';

interface LogLine {
  component?: string;
  context?: string;
  msg?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
}

/** The built hub's own log lines: one per HTTP request (not probes or scrapes), and Nest's messages. */
describe('hub logging', () => {
  let hub: HubProcess;

  beforeAll(async () => {
    hub = await startHub();
  }, 90_000);

  afterAll(async () => {
    await hub?.stop();
  });

  const lines = (): LogLine[] =>
    hub.output.flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return [];
      }
    });

  it('logs each API request with its method, path and status, and leaves out health probes and scrapes', async () => {
    expect((await fetch(`${hub.httpUrl}/api/alerts`)).status).toBe(401);
    expect((await fetch(`${hub.httpUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${hub.httpUrl}/metrics`)).status).toBe(200);
    await expect.poll(() => lines().filter((line) => line.component === 'http').length).toBeGreaterThan(0);
    const http = lines().filter((line) => line.component === 'http');
    expect(http).toContainEqual(
      expect.objectContaining({
        req: expect.objectContaining({ method: 'GET', url: '/api/alerts' }),
        res: expect.objectContaining({ statusCode: 401 }),
      }),
    );
    expect(http.some((line) => line.req?.url.startsWith('/health') || line.req?.url === '/metrics')).toBe(false);
  });

  it("writes Nest's start-up messages through the hub's logger, with their context", () => {
    const nest = lines().filter((line) => line.component === 'nest');
    expect(nest).toContainEqual(expect.objectContaining({ context: 'NestApplication' }));
  });
});
