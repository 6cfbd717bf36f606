import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminHeaders, startInProcessHub, type InProcessHub } from '../support/hub';

const CONSOLE_ORIGIN = 'https://console.citywatch.example';
const OTHER_CONSOLE = 'https://wall.citywatch.example';
const STRANGER = 'https://evil.example';

/** A browser's preflight before a cross-origin request with an Authorization header. */
const preflight = (hub: InProcessHub, origin: string, path = '/api/alerts') =>
  fetch(`${hub.httpUrl}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'authorization,content-type',
    },
  });

describe('CORS restricted to CORS_ORIGINS', () => {
  let hub: InProcessHub;

  beforeAll(async () => {
    hub = await startInProcessHub({ CORS_ORIGINS: `${CONSOLE_ORIGIN}, ${OTHER_CONSOLE}` });
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('answers a configured origin’s preflight and requests with the CORS headers', async () => {
    for (const origin of [CONSOLE_ORIGIN, OTHER_CONSOLE]) {
      const answer = await preflight(hub, origin);
      expect(answer.status).toBe(204);
      expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
      expect(answer.headers.get('access-control-allow-credentials')).toBe('true');
      expect(answer.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    }
    const request = await fetch(`${hub.httpUrl}/api/alerts`, {
      headers: { ...(await adminHeaders(hub.httpUrl)), origin: CONSOLE_ORIGIN },
    });
    expect(request.status).toBe(200);
    expect(request.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(request.headers.get('vary')?.toLowerCase()).toContain('origin');
  });

  it('gives any other origin no CORS headers, so its browser keeps the answer from the page', async () => {
    for (const origin of [STRANGER, `${CONSOLE_ORIGIN}.evil.example`, 'http://console.citywatch.example']) {
      const answer = await preflight(hub, origin);
      // (The cors middleware sends Allow-Credentials anyway; without Allow-Origin the browser refuses.)
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
    const request = await fetch(`${hub.httpUrl}/api/alerts`, {
      headers: { ...(await adminHeaders(hub.httpUrl)), origin: STRANGER },
    });
    expect(request.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS off without CORS_ORIGINS', () => {
  let hub: InProcessHub;

  beforeAll(async () => {
    hub = await startInProcessHub();
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('gives no origin the CORS headers', async () => {
    for (const origin of [CONSOLE_ORIGIN, STRANGER]) {
      const answer = await preflight(hub, origin);
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
