import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import type { Role, SessionUser } from '@citywatch/protocol';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { PUBLIC_KEY, ROLES_KEY } from './auth.decorators';
import { AuthService } from './auth.service';

/** An endpoint that declares nothing is for administrators only (and says so in the log once). */
const UNDECLARED_ROLES: readonly Role[] = ['admin'];

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: SessionUser;
  sessionId?: string;
  method?: string;
  url?: string;
}

/** The roles an endpoint declares: undefined for `@Public()`, the admin-only default when it declares nothing. */
export function declaredAccess(
  reflector: Reflector,
  targets: Parameters<Reflector['getAllAndOverride']>[1],
): { public: true } | { public: false; roles: readonly Role[]; declared: boolean } {
  if (reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return { public: true };
  const roles = reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
  return roles ? { public: false, roles, declared: true } : { public: false, roles: UNDECLARED_ROLES, declared: false };
}

export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+(\S+)$/i.exec(value ?? '');
  return match?.[1];
}

/**
 * The global guard: every REST endpoint is `@Public()` or needs a signed-in user with one of its
 * `@Roles(...)`. No or a bad token: 401; wrong role: 403. Nest does not apply global guards to gateways:
 * sockets are authenticated at the handshake (`SocketAuthenticator`) and their events checked by
 * `WsRolesGuard`, which each gateway names with `@UseGuards`.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly warned = new Set<string>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = declaredAccess(this.reflector, [context.getHandler(), context.getClass()]);
    if (!access.public && !access.declared) this.warnUndeclared(context);
    if (context.getType() === 'ws') {
      if (access.public) return true;
      const user = context.switchToWs().getClient<{ data?: { user?: SessionUser } }>().data?.user;
      if (!user) throw new WsException('sign in first');
      if (!access.roles.includes(user.role)) throw new WsException(`forbidden for role ${user.role}`);
      return true;
    }
    if (context.getType() !== 'http') return false;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (access.public) return true;
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedException('sign in first: send Authorization: Bearer <access token>');
    const authenticated = await this.auth.authenticate(token);
    request.user = authenticated.user;
    request.sessionId = authenticated.sessionId;
    if (!access.roles.includes(authenticated.user.role)) {
      throw new ForbiddenException(`the role ${authenticated.user.role} may not do this`);
    }
    return true;
  }

  private warnUndeclared(context: ExecutionContext): void {
    const name = `${context.getClass().name}.${context.getHandler().name}`;
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.logger.warn({ handler: name }, 'endpoint declares neither @Roles nor @Public: admins only');
  }
}
