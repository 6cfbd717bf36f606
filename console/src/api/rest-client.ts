import { ApiError } from './api-error';

export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** Sent as JSON; FormData and Blob bodies go as they are (uploads). */
  body?: unknown;
  /** `text` for CSV and other non-JSON answers, `blob` for files. */
  responseType?: 'json' | 'text' | 'blob';
  signal?: AbortSignal;
}

export interface RestClientOptions {
  /** Prefix of every path; the hub serves its REST API under `/api`. */
  baseUrl?: string;
  /** Injected for tests; the browser's fetch otherwise. */
  fetch?: typeof fetch;
  /** Returns the bearer token to send, if any, at the time of each call. */
  getToken?: () => string | null | undefined;
  /** Called once for every 401 answer that is not cured by a refresh, before the call rejects (sign out). */
  onUnauthorized?: (error: ApiError) => void;
  /**
   * Asked once after a 401 to a call that carried a token: resolves true when a fresh token is there, and the
   * call is then sent once more.
   */
  refreshToken?: () => Promise<boolean>;
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

  async function request<Result>(
    method: string,
    path: string,
    requestOptions: RequestOptions = {},
    retried = false,
  ): Promise<Result> {
    const url = baseUrl + path + queryString(requestOptions.query);
    const responseType = requestOptions.responseType ?? 'json';
    const headers: Record<string, string> = { accept: responseType === 'json' ? 'application/json' : '*/*' };
    const token = options.getToken?.();
    if (token) headers.authorization = `Bearer ${token}`;
    const { body } = requestOptions;
    const hasBody = body !== undefined;
    const raw = body instanceof FormData || body instanceof Blob;
    if (hasBody && !raw) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await fetchFn(url, {
        method,
        headers,
        body: hasBody ? (raw ? (body as BodyInit) : JSON.stringify(body)) : undefined,
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
      if (error.isUnauthorized) {
        if (token && !retried && options.refreshToken && (await options.refreshToken().catch(() => false))) {
          return request<Result>(method, path, requestOptions, true);
        }
        options.onUnauthorized?.(error);
      }
      throw error;
    }

    if (response.status === 204) return undefined as Result;
    try {
      if (responseType === 'text') return (await response.text()) as Result;
      if (responseType === 'blob') return (await response.blob()) as Result;
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
    request: (method, path, requestOptions) => request(method, path, requestOptions),
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
