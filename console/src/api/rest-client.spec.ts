import { describe, expect, it, vi } from 'vitest';
import { ApiError } from './api-error';
import { createRestClient } from './rest-client';

type FetchArguments = Parameters<typeof fetch>;

function fakeFetch(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  return vi.fn(async (input: FetchArguments[0], init?: FetchArguments[1]) => respond(String(input), init ?? {}));
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('createRestClient', () => {
  it('sends JSON to the base URL with the query and returns the parsed answer', async () => {
    const fetch = fakeFetch(() => json({ devices: 2 }));
    const client = createRestClient({ baseUrl: '/api', fetch });

    const result = await client.post<{ devices: number }>(
      '/registry/import',
      { tollgates: [] },
      {
        query: { dryRun: true, skip: undefined },
      },
    );

    expect(result).toEqual({ devices: 2 });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/registry/import?dryRun=true');
    expect(init?.method).toBe('POST');
    expect(init?.body).toBe('{"tollgates":[]}');
    expect(init?.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json' });
  });

  it('sends the bearer token the getter returns at the time of each call', async () => {
    let token: string | undefined = undefined;
    const fetch = fakeFetch(() => json({}));
    const client = createRestClient({ fetch, getToken: () => token });

    await client.get('/devices');
    token = 'secret-token';
    await client.get('/devices');

    expect(fetch.mock.calls[0][1]?.headers).not.toHaveProperty('authorization');
    expect(fetch.mock.calls[1][1]?.headers).toMatchObject({ authorization: 'Bearer secret-token' });
  });

  it('calls onUnauthorized once on a 401 and rejects with the status', async () => {
    const onUnauthorized = vi.fn();
    const client = createRestClient({
      fetch: fakeFetch(() => json({ statusCode: 401, message: 'token expired' }, 401)),
      onUnauthorized,
    });

    const error = await rejection(client.get('/alerts'));

    expect(error.status).toBe(401);
    expect(error.kind).toBe('http');
    expect(error.isUnauthorized).toBe(true);
    expect(error.message).toBe('GET /alerts: token expired');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(onUnauthorized).toHaveBeenCalledWith(error);
  });

  it('turns an error status into an ApiError carrying the hub message and body', async () => {
    const body = { statusCode: 400, message: ['laneNo must be an integer', 'name is required'], error: 'Bad Request' };
    const onUnauthorized = vi.fn();
    const client = createRestClient({ fetch: fakeFetch(() => json(body, 400)), onUnauthorized });

    const error = await rejection(client.put('/tollgates/TG-1', {}));

    expect(error.status).toBe(400);
    expect(error.body).toEqual(body);
    expect(error.message).toBe('PUT /tollgates/TG-1: laneNo must be an integer; name is required');
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('falls back to the status text when the error body is not JSON', async () => {
    const client = createRestClient({
      fetch: fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' })),
    });
    const error = await rejection(client.get('/devices'));
    expect(error.status).toBe(502);
    expect(error.message).toBe('GET /devices: 502 Bad Gateway');
  });

  it('reports a hub that does not answer as a network error', async () => {
    const client = createRestClient({
      fetch: fakeFetch(() => {
        throw new TypeError('Failed to fetch');
      }),
    });
    const error = await rejection(client.get('/devices'));
    expect(error.kind).toBe('network');
    expect(error.status).toBe(0);
    expect(error.cause).toBeInstanceOf(TypeError);
  });

  it('reports a success answer that is not JSON as invalid', async () => {
    const client = createRestClient({ fetch: fakeFetch(() => new Response('not json', { status: 200 })) });
    const error = await rejection(client.get('/devices'));
    expect(error.kind).toBe('invalid_response');
  });

  it('resolves to undefined for 204 No Content', async () => {
    const client = createRestClient({ fetch: fakeFetch(() => new Response(null, { status: 204 })) });
    await expect(client.delete('/alerts/1')).resolves.toBeUndefined();
  });

  it('lets an abort through as it is', async () => {
    const controller = new AbortController();
    const client = createRestClient({
      fetch: fakeFetch(() => {
        controller.abort();
        throw new DOMException('The operation was aborted.', 'AbortError');
      }),
    });
    await expect(client.get('/devices', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('refreshes once after a 401 and sends the call again with the new token', async () => {
    let token = 'old';
    const fetch = fakeFetch((_url, init) =>
      (init.headers as Record<string, string>).authorization === 'Bearer new' ? json({ ok: 1 }) : json({}, 401),
    );
    const onUnauthorized = vi.fn();
    const refreshToken = vi.fn(async () => {
      token = 'new';
      return true;
    });
    const client = createRestClient({ fetch, getToken: () => token, refreshToken, onUnauthorized });

    await expect(client.get('/alerts')).resolves.toEqual({ ok: 1 });
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('gives up after one refresh and reports the 401', async () => {
    const onUnauthorized = vi.fn();
    const refreshToken = vi.fn(async () => true);
    const client = createRestClient({
      fetch: fakeFetch(() => json({ message: 'token expired' }, 401)),
      getToken: () => 'stale',
      refreshToken,
      onUnauthorized,
    });
    const error = await rejection(client.get('/alerts'));
    expect(error.status).toBe(401);
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('sends FormData as it is and reads text answers', async () => {
    const fetch = fakeFetch(() => new Response('a,b\n1,2\n', { status: 200 }));
    const client = createRestClient({ fetch });
    const form = new FormData();
    form.append('photo', new Blob(['x']), 'x.jpg');
    expect(await client.post<string>('/upload', form, { responseType: 'text' })).toBe('a,b\n1,2\n');
    const init = fetch.mock.calls[0][1]!;
    expect(init.body).toBe(form);
    expect(init.headers).not.toHaveProperty('content-type');
  });
});
