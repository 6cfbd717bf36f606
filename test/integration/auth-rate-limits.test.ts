import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditPage, TokenPair } from '@citywatch/protocol';
import { adminHeaders, signIn, startInProcessHub, type InProcessHub } from '../support/hub';
import { photoForm } from './faces-support';

const SEARCH_LIMIT = 4;
const UPLOAD_LIMIT = 2;
const FROM = '2026-11-01T00:00:00Z';
const TO = '2026-11-02T00:00:00Z';

/** Every endpoint marked @SearchRateLimit(): one count per user across all of them. */
const SEARCHES: { path: string; method?: string; body?: () => FormData }[] = [
  { path: `/api/checkpoints/passages?from=${FROM}&to=${TO}` },
  { path: `/api/checkpoints/passages/export.csv?from=${FROM}&to=${TO}` },
  { path: '/api/checkpoints/trajectory?plate=%E9%BB%91A12345' },
  { path: `/api/checkpoints/statistics/top-plates?from=${FROM}&to=${TO}` },
  { path: '/api/faces/search', method: 'POST', body: () => photoForm([Buffer.from('not a photo')], {}) },
  { path: '/api/audit.csv?action=checkpoints.*' },
];

describe('rate limits on searches and uploads', () => {
  let hub: InProcessHub;
  let police: Record<string, string>;

  const send = (headers: Record<string, string>, search: (typeof SEARCHES)[number]) =>
    fetch(`${hub.httpUrl}${search.path}`, { method: search.method ?? 'GET', headers, body: search.body?.() });
  const upload = (headers: Record<string, string>, path = '/api/faces/watchlist/people') =>
    fetch(`${hub.httpUrl}${path}`, {
      method: 'POST',
      headers,
      body: photoForm([Buffer.from('not a photo either')], { name: 'Nobody', category: 'other', priority: '3' }),
    });

  beforeAll(async () => {
    hub = await startInProcessHub({
      RATE_LIMIT_SEARCH_PER_MINUTE: String(SEARCH_LIMIT),
      RATE_LIMIT_UPLOAD_PER_MINUTE: String(UPLOAD_LIMIT),
      FACE_UPLOAD_MAX_BYTES: '100000',
    });
    const admin = await adminHeaders(hub.httpUrl);
    const created = await fetch(`${hub.httpUrl}/api/users`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'limits.police',
        displayName: 'Traffic police',
        role: 'traffic_police',
        password: 'limits-police-password',
      }),
    });
    expect(created.status).toBe(201);
    const pair: TokenPair = await signIn(hub.httpUrl, 'limits.police', 'limits-police-password');
    police = { authorization: `Bearer ${pair.accessToken}` };
  });

  afterAll(async () => {
    await hub?.stop();
  });

  it('answers 429 once a user has used RATE_LIMIT_SEARCH_PER_MINUTE searches, on every search endpoint', async () => {
    const [passages, exportCsv, trajectory, topPlates] = SEARCHES;
    const statuses: number[] = [];
    for (const search of [passages!, exportCsv!, trajectory!, topPlates!])
      statuses.push((await send(police, search)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    for (const search of SEARCHES.slice(0, 4)) {
      const refused = await send(police, search);
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { message: string }).message).toMatch(/too many requests/);
      expect(Number(refused.headers.get('retry-after-search'))).toBeGreaterThan(0);
    }
    // The refused searches ran nothing, so they left no audit record: only the four that were answered.
    const admin = await adminHeaders(hub.httpUrl);
    const audit = (await (
      await fetch(`${hub.httpUrl}/api/audit?actor=limits.police&action=checkpoints.*`, { headers: admin })
    ).json()) as AuditPage;
    expect(audit.items).toHaveLength(4);
  });

  it('counts each user on their own: another user still searches, up to the same limit', async () => {
    const admin = await adminHeaders(hub.httpUrl);
    const statuses: number[] = [];
    // Search by face and the audit export first, this time: every search endpoint counts.
    for (const search of [...SEARCHES.slice(4), ...SEARCHES.slice(0, 4)]) {
      statuses.push((await send(admin, search)).status);
    }
    // Search by face with a file that is no photo is refused on its own (4xx); it still counts.
    expect([400, 415]).toContain(statuses[0]);
    expect(statuses.slice(1, SEARCH_LIMIT)).toEqual([200, 200, 200]);
    expect(statuses.slice(SEARCH_LIMIT)).toEqual([429, 429]);
  });

  it('answers 429 once a user has used RATE_LIMIT_UPLOAD_PER_MINUTE uploads, enrolments and added photos together', async () => {
    const admin = await adminHeaders(hub.httpUrl);
    const statuses: number[] = [];
    for (let i = 0; i < UPLOAD_LIMIT; i++) statuses.push((await upload(admin)).status);
    // Refused on their content (4xx: no image, fields missing), but each one counted.
    for (const status of statuses) expect([400, 415]).toContain(status);
    const refused = await upload(admin);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after-upload'))).toBeGreaterThan(0);
    expect((await upload(admin, '/api/faces/watchlist/people/1/photos')).status).toBe(429);
    // Uploads and searches are separate counts, and the general limit is far away.
    expect((await fetch(`${hub.httpUrl}/api/faces/watchlist/people`, { headers: admin })).status).toBe(200);
  });
});
