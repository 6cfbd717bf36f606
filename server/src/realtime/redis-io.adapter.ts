import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Logger } from '../platform/logging/logger';

type RedisClient = ReturnType<typeof createClient>;
// @nestjs/platform-socket.io carries its own copy of socket.io; use its types.
type IoServer = ReturnType<IoAdapter['createIOServer']>;
type IoServerOptions = Parameters<IoAdapter['createIOServer']>[1];

/**
 * socket.io through Redis pub/sub, so a broadcast on one hub replica reaches the consoles connected to the
 * others. Switched on in hub.ts when REDIS_URL is set; gateways do not change.
 */
export class RedisIoAdapter extends IoAdapter {
  private publisher?: RedisClient;
  private subscriber?: RedisClient;
  private adapterConstructor?: ReturnType<typeof createAdapter>;

  constructor(
    app: INestApplicationContext,
    private readonly options: { url: string; channelPrefix: string; logger: Logger },
  ) {
    super(app);
  }

  async connect(): Promise<void> {
    const log = this.options.logger.child({ component: 'redis' });
    this.publisher = createClient({ url: this.options.url });
    this.subscriber = this.publisher.duplicate();
    for (const client of [this.publisher, this.subscriber]) {
      client.on('error', (error: Error) => log.warn({ err: error }, 'redis connection error'));
    }
    await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
    this.adapterConstructor = createAdapter(this.publisher, this.subscriber, { key: this.options.channelPrefix });
    log.info({ channelPrefix: this.options.channelPrefix }, 'socket.io Redis adapter connected');
  }

  override createIOServer(port: number, options?: IoServerOptions): IoServer {
    const server = super.createIOServer(port, options) as IoServer;
    if (this.adapterConstructor) server.adapter(this.adapterConstructor);
    return server;
  }

  override async close(server: Parameters<IoAdapter['close']>[0]): Promise<void> {
    await super.close(server);
    await Promise.all(
      [this.publisher, this.subscriber].map((client) => client?.quit().catch(() => client.destroy?.())),
    );
    this.publisher = this.subscriber = undefined;
  }
}
