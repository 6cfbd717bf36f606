/** Why a REST call failed: `network` (no answer), `http` (an error status) or `invalid_response` (unreadable body). */
export type ApiErrorKind = 'network' | 'http' | 'invalid_response';

/** The one error every REST call rejects with. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly kind: ApiErrorKind,
    /** The HTTP status; 0 when no answer came back. */
    readonly status: number,
    readonly method: string,
    readonly path: string,
    /** The parsed error body the hub sent, when there was one. */
    readonly body?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ApiError';
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}
