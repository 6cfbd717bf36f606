import { timingSafeEqual } from 'node:crypto';
import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  NotFoundException,
  Post,
  UnauthorizedException,
} from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';
import { LOGGER } from '../platform/logging/logging.tokens';
import type { Logger } from '../platform/logging/logger';
import { HubMetrics } from '../platform/metrics/metrics';
import { Public } from './auth.decorators';
import { bearerToken } from './auth.guard';
import { DeviceAccessPolicy } from './device-access.policy';
import { NoRateLimit } from './rate-limits';

const AuthenticateBody = Type.Object({
  clientid: Type.String({ maxLength: 256 }),
  username: Type.Optional(Type.String({ maxLength: 256 })),
  password: Type.Optional(Type.String({ maxLength: 512 })),
});
const AuthorizeBody = Type.Object({
  clientid: Type.String({ maxLength: 256 }),
  username: Type.Optional(Type.String({ maxLength: 256 })),
  topic: Type.String({ minLength: 1, maxLength: 1024 }),
  action: Type.Union([Type.Literal('publish'), Type.Literal('subscribe')]),
});

type Verdict = { result: 'allow' | 'deny'; is_superuser?: boolean };

/**
 * EMQX's HTTP authentication and authorisation hooks (infra/emqx), answering with the same rules the
 * embedded broker applies. Off unless BROKER_HOOK_TOKEN is set; EMQX sends it as a bearer token.
 * Not rate-limited: every request comes from the broker's address, the hook token authenticates it, and
 * EMQX takes a 429 for "no match", which denies the device (a burst of connects after a broker restart).
 */
@Controller('api/broker')
@Public()
@NoRateLimit()
export class BrokerHooksController {
  constructor(
    private readonly policy: DeviceAccessPolicy,
    private readonly metrics: HubMetrics,
    @Inject(HUB_CONFIG) private readonly config: HubConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  @Post('authenticate')
  @HttpCode(200)
  async authenticate(
    @Headers('authorization') authorization: string | undefined,
    @Body(new TypeBoxPipe(AuthenticateBody)) body: Static<typeof AuthenticateBody>,
  ): Promise<Verdict> {
    this.checkCaller(authorization);
    if (this.isHub(body.username, body.password)) return { result: 'allow', is_superuser: true };
    const ok = await this.policy.authenticate(
      body.clientid,
      body.username || undefined,
      body.password ? Buffer.from(body.password) : undefined,
    );
    if (!ok) this.refused('connect', `bad credentials for client ${body.clientid}`);
    return { result: ok ? 'allow' : 'deny', is_superuser: false };
  }

  @Post('authorize')
  @HttpCode(200)
  authorize(
    @Headers('authorization') authorization: string | undefined,
    @Body(new TypeBoxPipe(AuthorizeBody)) body: Static<typeof AuthorizeBody>,
  ): Verdict {
    this.checkCaller(authorization);
    const client = { id: body.clientid, username: body.username || undefined };
    const reason =
      body.action === 'publish'
        ? this.policy.refusePublish(client, body.topic)
        : this.policy.refuseSubscribe(client, body.topic);
    if (reason) this.refused(body.action, reason);
    return { result: reason ? 'deny' : 'allow' };
  }

  private checkCaller(authorization: string | undefined): void {
    const expected = this.config.BROKER_HOOK_TOKEN;
    if (!expected) throw new NotFoundException();
    const given = Buffer.from(bearerToken(authorization) ?? '');
    const wanted = Buffer.from(expected);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      throw new UnauthorizedException('bad broker hook token');
    }
  }

  private isHub(username: string | undefined, password: string | undefined): boolean {
    const hubUser = this.config.MQTT_USERNAME;
    const hubPassword = this.config.MQTT_PASSWORD;
    if (!hubUser || !hubPassword || username !== hubUser || password === undefined) return false;
    const given = Buffer.from(password);
    const wanted = Buffer.from(hubPassword);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  }

  private refused(kind: 'connect' | 'publish' | 'subscribe', reason: string): void {
    this.logger.warn({ kind, reason }, 'broker refused a device');
    this.metrics.brokerRefusals.inc({ kind });
  }
}
