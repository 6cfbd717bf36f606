import type { IncomingMessage } from 'node:http';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { WsException } from '@nestjs/websockets';
import type { Role, SessionUser } from '@citywatch/protocol';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { clientAddressOf, type TrustProxy } from '../platform/config/trust-proxy';
import { declaredAccess } from './auth.guard';
import { AuthService } from './auth.service';

/** What a socket carries once its handshake is accepted. */
export interface SocketSession {
  user: SessionUser;
  sessionId: string;
}

interface HandshakeSocket {
  handshake: {
    auth?: Record<string, unknown>;
    headers: Record<string, string | string[] | undefined>;
    address: string;
  };
  request: IncomingMessage;
  data: Partial<SocketSession> & Record<string, unknown>;
  join(rooms: string | string[]): unknown;
}

/** Rooms a signed-in socket joins: its role, its department (if any), its user and its session. */
export function roomsOf(session: SocketSession): string[] {
  const rooms = [`role:${session.user.role}`, `user:${session.user.id}`, `session:${session.sessionId}`];
  if (session.user.departmentId) rooms.push(`department:${session.user.departmentId}`);
  return rooms;
}

/** Rooms of every role in `roles`, for `server.to(...)`: e.g. `server.to(roleRooms(['admin', 'operator']))`. */
export function roleRooms(roles: readonly Role[]): string[] {
  return roles.map((role) => `role:${role}`);
}

export const departmentRoom = (departmentId: string): string => `department:${departmentId}`;

/**
 * The socket.io handshake check: `io(url, { auth: { token } })` with an access token. Use it as namespace
 * middleware (`server.use(authenticator.middleware())`); the socket then carries `data.user` and `data.sessionId`
 * and has joined its rooms.
 */
@Injectable()
export class SocketAuthenticator {
  private readonly trustProxy: TrustProxy | undefined;

  constructor(
    private readonly auth: AuthService,
    @Inject(HUB_CONFIG) config: HubConfig,
  ) {
    this.trustProxy = config.trustProxy;
  }

  middleware(): (socket: HandshakeSocket, next: (error?: Error) => void) => void {
    return (socket, next) => {
      this.admit(socket).then(
        () => next(),
        (error: Error) => next(Object.assign(new Error(error.message || 'unauthorized'), { data: { status: 401 } })),
      );
    };
  }

  async admit(socket: HandshakeSocket): Promise<SocketSession> {
    // handshake.address is where the socket's audited actions come from: behind a trusted proxy, the client.
    if (this.trustProxy) socket.handshake.address = clientAddressOf(socket.request, this.trustProxy);
    const fromAuth = socket.handshake.auth?.token;
    const header = socket.handshake.headers.authorization;
    const headerToken = /^Bearer\s+(\S+)$/i.exec((Array.isArray(header) ? header[0] : header) ?? '')?.[1];
    const token = typeof fromAuth === 'string' && fromAuth ? fromAuth : headerToken;
    if (!token) throw new Error('sign in first: connect with auth: { token }');
    const authenticated = await this.auth.authenticate(token).catch((error: Error) => {
      throw new Error(error.message);
    });
    socket.data.user = authenticated.user;
    socket.data.sessionId = authenticated.sessionId;
    await socket.join(roomsOf(authenticated));
    return authenticated;
  }
}

/**
 * The guard for `@SubscribeMessage` handlers, honouring `@Roles(...)` / `@Public()`. Put
 * `@UseGuards(WsRolesGuard)` on every gateway class: Nest's global guards (APP_GUARD) do not reach
 * gateways, so without it `@Roles` on a socket event is not enforced. The permission test checks that
 * every socket event refuses the roles it does not list.
 */
@Injectable()
export class WsRolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const access = declaredAccess(this.reflector, [context.getHandler(), context.getClass()]);
    if (access.public) return true;
    const user = context.switchToWs().getClient<{ data?: { user?: SessionUser } }>().data?.user;
    if (!user) throw new WsException('sign in first');
    if (!access.roles.includes(user.role)) throw new WsException(`forbidden for role ${user.role}`);
    return true;
  }
}

/** For code outside handlers: whether the socket's user has one of the roles. */
export function socketHasRole(socket: { data?: { user?: SessionUser } }, roles: readonly Role[]): boolean {
  const role = socket.data?.user?.role;
  return role !== undefined && roles.includes(role);
}
