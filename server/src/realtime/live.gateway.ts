import { Inject, type OnModuleDestroy, UseGuards } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import {
  LIVE_NAMESPACE,
  ROLES,
  type ClientToServerEvents,
  type Role,
  type ServerToClientEvents,
} from '@citywatch/protocol';
import { Roles } from '../auth/auth.decorators';
import { SocketAuthenticator, WsRolesGuard, roleRooms } from '../auth/ws-auth';
import { HubEvents } from '../common/hub-events';
import { HubMetrics } from '../platform/metrics/metrics';
import { LiveFeedLimiter } from './live-feed-limiter';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';

type LiveNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;
type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** Who sees passages (plates are personal data): everyone but department members, who work their alerts. */
export const PASSAGE_VIEWERS: readonly Role[] = ['admin', 'operator', 'traffic_police', 'viewer'];

/**
 * Pushes what happens in the district to signed-in consoles: the handshake needs an access token
 * (`io(url, { auth: { token } })`), each socket joins `role:<role>`, `department:<id>`, `user:<id>` and
 * `session:<id>`, and a socket closes when its session ends.
 */
@WebSocketGateway({ namespace: LIVE_NAMESPACE })
@UseGuards(WsRolesGuard)
export class LiveGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  @WebSocketServer() private server!: LiveNamespace;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly passageFeed: LiveFeedLimiter;

  constructor(
    private readonly events: HubEvents,
    private readonly authenticator: SocketAuthenticator,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    metrics: HubMetrics,
  ) {
    this.passageFeed = new LiveFeedLimiter(config.LIVE_PASSAGES_PER_SECOND, () => metrics.livePassagesLeftOut.inc());
  }

  afterInit(): void {
    this.server.use(this.authenticator.middleware());
    this.unsubscribe.push(
      this.events.on('passage.stored', (passage) => {
        if (this.passageFeed.admit()) this.server.to(roleRooms(PASSAGE_VIEWERS)).emit('passage:new', passage);
      }),
      this.events.on('auth.sessions_revoked', ({ sessionIds }) => {
        if (sessionIds.length > 0) this.server.in(sessionIds.map((id) => `session:${id}`)).disconnectSockets(true);
      }),
      this.events.on('device.status', (change) => this.server.emit('device:status', change)),
    );
  }

  handleConnection(socket: LiveSocket): void {
    socket.emit('hello', { hubId: this.config.hubId, serverTime: new Date().toISOString() });
  }

  @SubscribeMessage('ping')
  @Roles(...ROLES)
  ping(): { serverTime: string } {
    return { serverTime: new Date().toISOString() };
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}
