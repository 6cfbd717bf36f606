import { Inject, type OnModuleDestroy } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import { LIVE_NAMESPACE, type ClientToServerEvents, type ServerToClientEvents } from '@citywatch/protocol';
import { HubEvents } from '../common/hub-events';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';

type LiveNamespace = Namespace<ClientToServerEvents, ServerToClientEvents>;
type LiveSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** Pushes what happens in the district to every connected console. */
@WebSocketGateway({ namespace: LIVE_NAMESPACE })
export class LiveGateway implements OnGatewayInit, OnGatewayConnection, OnModuleDestroy {
  @WebSocketServer() private server!: LiveNamespace;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly events: HubEvents,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
  ) {}

  afterInit(): void {
    this.unsubscribe.push(
      this.events.on('passage.stored', (passage) => this.server.emit('passage:new', passage)),
      this.events.on('device.status', (change) => this.server.emit('device:status', change)),
    );
  }

  handleConnection(socket: LiveSocket): void {
    socket.emit('hello', { hubId: this.config.hubId, serverTime: new Date().toISOString() });
  }

  @SubscribeMessage('ping')
  ping(): { serverTime: string } {
    return { serverTime: new Date().toISOString() };
  }

  onModuleDestroy(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}
