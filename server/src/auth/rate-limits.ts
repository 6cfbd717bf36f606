import { type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { SkipThrottle, ThrottlerGuard, type ThrottlerModuleOptions } from '@nestjs/throttler';
import type { HubConfig } from '../platform/config/hub-config';

const RATE_LIMIT_KEY = 'citywatch:rate-limit';
type RateLimitName = 'sign-in' | 'search' | 'upload';
const RATE_LIMIT_NAMES: readonly RateLimitName[] = ['sign-in', 'search', 'upload'];

/** Sign-in: RATE_LIMIT_SIGN_IN_PER_MINUTE attempts per minute from one address (on top of the per-user back-off). */
export const SignInRateLimit = () => SetMetadata(RATE_LIMIT_KEY, 'sign-in' satisfies RateLimitName);
/** Searches and exports: RATE_LIMIT_SEARCH_PER_MINUTE per minute per user. Put it on every search endpoint. */
export const SearchRateLimit = () => SetMetadata(RATE_LIMIT_KEY, 'search' satisfies RateLimitName);
/** Uploads: RATE_LIMIT_UPLOAD_PER_MINUTE per minute per user. Put it on every upload endpoint. */
export const UploadRateLimit = () => SetMetadata(RATE_LIMIT_KEY, 'upload' satisfies RateLimitName);

/**
 * No rate limit at all, not even the general one: only for callers that are authenticated otherwise and
 * all come from one address, such as the broker's HTTP hooks (every EMQX request comes from the broker,
 * and a 429 there would deny devices).
 */
export const NoRateLimit = () =>
  SkipThrottle(Object.fromEntries(['default', ...RATE_LIMIT_NAMES].map((name) => [name, true])));

const MINUTE_MS = 60_000;

function rateLimitOf(context: ExecutionContext): RateLimitName | undefined {
  return (
    (Reflect.getMetadata(RATE_LIMIT_KEY, context.getHandler()) as RateLimitName | undefined) ??
    (Reflect.getMetadata(RATE_LIMIT_KEY, context.getClass()) as RateLimitName | undefined)
  );
}

/**
 * A general limit on every REST request, plus a tighter named limit on endpoints marked with one of the
 * decorators above. Counted per user when signed in, per address otherwise; in memory, per replica. The
 * general limit counts each endpoint on its own; a named limit counts all its endpoints together (60
 * searches a minute in all, not 60 on each search endpoint).
 */
export function throttlerOptions(config: HubConfig): ThrottlerModuleOptions {
  const named = (name: RateLimitName, limit: number) => ({
    name,
    ttl: MINUTE_MS,
    limit,
    skipIf: (context: ExecutionContext) => rateLimitOf(context) !== name,
  });
  return {
    throttlers: [
      { name: 'default', ttl: MINUTE_MS, limit: config.RATE_LIMIT_PER_MINUTE },
      named('sign-in', config.RATE_LIMIT_SIGN_IN_PER_MINUTE),
      named('search', config.RATE_LIMIT_SEARCH_PER_MINUTE),
      named('upload', config.RATE_LIMIT_UPLOAD_PER_MINUTE),
    ],
    errorMessage: 'too many requests; slow down',
  };
}

/** The throttler for REST only (socket events are not throttled here), tracking users rather than addresses. */
@Injectable()
export class HubThrottlerGuard extends ThrottlerGuard {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return super.canActivate(context);
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const user = request.user as { id?: string } | undefined;
    return user?.id ? `user:${user.id}` : `ip:${String(request.ip ?? '')}`;
  }

  /** Named limits share one count across their endpoints; the general one is per endpoint (the default key). */
  protected override generateKey(context: ExecutionContext, tracker: string, name: string): string {
    return name === 'default' ? super.generateKey(context, tracker, name) : `${name}:${tracker}`;
  }
}
