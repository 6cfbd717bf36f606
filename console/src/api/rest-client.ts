import { ApiError } from './api-error';

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Sent as JSON. */
  body?: unknown;
  signal?: AbortSignal;
}

export interface RestClientOptions {
  /** Prefix of every path; the hub serves its REST API under `/api`. */
  baseUrl?: string;
  /** Injected for tests; the browser's fetch otherwise. */
  fetch?: typeof fetch;
  /** Returns the bearer token to send, if any, at the time of each call. */
  getToken?: () => string | null | undefined;
  /** Called once for every 401 answer, before the call rejects (sign the operator out, show the login). */
  onUnauthorized?: (error: ApiError) => void;
}

export interface RestClient {
  request<Result>(method: string, path: string, options?: RequestOptions): Promise<Result>;
  get<Result>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<Result>;
  post<Result>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<Result>;
  put<Result>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<Result>;
  patch<Result>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>): Promise<Result>;
  delete<Result>(path: string, options?: Omit<RequestOptions, 'body'>): Promise<Result>;
}

/** The one way the console talks REST to the hub: JSON in and out, every failure an `ApiError`. */
export function createRestClient(options: RestClientOptions = {}): RestClient {
  const baseUrl = options.baseUrl ?? '/api';
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<Result>(method: string, path: string, requestOptions: RequestOptions = {}): Promise<Result> {
    const url = baseUrl + path + queryString(requestOptions.query);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = options.getToken?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const hasBody = requestOptions.body !== undefined;
    if (hasBody) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await fetchFn(url, {
        method,
        headers,
        body: hasBody ? JSON.stringify(requestOptions.body) : undefined,
        signal: requestOptions.signal,
      });
    } catch (cause) {
      if (requestOptions.signal?.aborted) throw cause;
      throw new ApiError(`${method} ${path}: the hub did not answer`, 'network', 0, method, path, undefined, { cause });
    }

    if (!response.ok) {
      const body = await readJson(response).catch(() => undefined);
      const error = new ApiError(
        `${method} ${path}: ${messageOf(body) ?? `${response.status} ${response.statusText}`.trim()}`,
        'http',
        response.status,
        method,
        path,
        body,
      );
      if (error.isUnauthorized) options.onUnauthorized?.(error);
      throw error;
    }

    if (response.status === 204) return undefined as Result;
    try {
      return (await readJson(response)) as Result;
    } catch (cause) {
      throw new ApiError(
        `${method} ${path}: the answer is not JSON`,
        'invalid_response',
        response.status,
        method,
        path,
        undefined,
        {
          cause,
        },
      );
    }
  }

  return {
    request,
    get: (path, requestOptions) => request('GET', path, requestOptions),
    post: (path, body, requestOptions) => request('POST', path, { ...requestOptions, body }),
    put: (path, body, requestOptions) => request('PUT', path, { ...requestOptions, body }),
    patch: (path, body, requestOptions) => request('PATCH', path, { ...requestOptions, body }),
    delete: (path, requestOptions) => request('DELETE', path, requestOptions),
  };
}

function queryString(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  return text === '' ? undefined : JSON.parse(text);
}

/** The hub (Nest) answers errors as `{ statusCode, message, error }`; `message` may be a list. */
function messageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || !('message' in body)) return undefined;
  const { message } = body;
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.join('; ');
  return undefined;
}
