import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role, SessionUser } from '@citywatch/protocol';

export const ROLES_KEY = 'citywatch:roles';
export const PUBLIC_KEY = 'citywatch:public';

/**
 * The roles allowed to call an endpoint (or a socket event handler). Every endpoint declares its
 * roles or `@Public()`; the global guard refuses a request with no token (401) or the wrong role (403).
 */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** An endpoint anyone may call without signing in (health, sign-in, device-facing endpoints). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The signed-in user of this request (set by the auth guard). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): SessionUser => {
  if (context.getType() === 'ws') return context.switchToWs().getClient<{ data: { user: SessionUser } }>().data.user;
  return context.switchToHttp().getRequest<{ user: SessionUser }>().user;
});

/** Where the request came from, for the audit log. */
export const ClientAddress = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  if (context.getType() === 'ws') {
    return context.switchToWs().getClient<{ handshake: { address: string } }>().handshake.address;
  }
  return context.switchToHttp().getRequest<{ ip?: string }>().ip ?? '';
});
