import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { BrokerHooksController } from './broker-hooks.controller';
import { DeviceAccessPolicy } from './device-access.policy';
import { DeviceCredentialsController } from './device-credentials.controller';
import { DeviceCredentialsRepository } from './device-credentials.repository';
import { DeviceCredentialsService } from './device-credentials.service';
import { HubThrottlerGuard, throttlerOptions } from './rate-limits';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';
import { SocketAuthenticator, WsRolesGuard } from './ws-auth';

/**
 * People (sign-in, sessions, users), device credentials and the broker access policy, the global guard on
 * every endpoint (APP_GUARD: roles first, then rate limits), and the socket.io handshake check.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [HUB_CONFIG],
      useFactory: (config: HubConfig) => throttlerOptions(config),
    }),
  ],
  controllers: [AuthController, UsersController, DeviceCredentialsController, BrokerHooksController],
  providers: [
    AuthRepository,
    AuthService,
    UsersService,
    DeviceCredentialsRepository,
    DeviceCredentialsService,
    DeviceAccessPolicy,
    SocketAuthenticator,
    WsRolesGuard,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: HubThrottlerGuard },
  ],
  exports: [AuthService, DeviceCredentialsService, DeviceAccessPolicy, SocketAuthenticator, WsRolesGuard],
})
export class AuthModule {}
