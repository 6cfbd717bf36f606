import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DATABASE, type Database } from '../platform/database/database';
import { BROKER_LINK, type BrokerLink } from '../platform/mqtt/broker-link';
import { HubMetrics } from '../platform/metrics/metrics';
import { IngestService } from '../ingest/ingest.service';
import { Public } from '../auth/auth.decorators';

interface Readiness {
  status: 'ok' | 'unavailable';
  checks: { database: 'up' | 'down'; broker: 'up' | 'down' };
  timescale: boolean;
  embedded: { database: boolean; broker: boolean };
  queues: Record<string, number>;
}

/** Health and metrics are for probes and Prometheus: public, so keep the hub's port off the open internet. */
@Controller()
@Public()
export class HealthController {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(BROKER_LINK) private readonly broker: BrokerLink,
    private readonly ingest: IngestService,
    private readonly metrics: HubMetrics,
  ) {}

  /** Liveness: the process answers. */
  @Get('health/live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database answers and the broker link is up; 503 otherwise. */
  @Get('health')
  async ready(@Res({ passthrough: true }) response: Response): Promise<Readiness> {
    const database = await Promise.race([
      this.database.ping().then(() => 'up' as const),
      new Promise<'down'>((resolve) => setTimeout(() => resolve('down'), 2_000).unref()),
    ]).catch(() => 'down' as const);
    const broker = this.broker.isConnected() ? ('up' as const) : ('down' as const);
    const ok = database === 'up' && broker === 'up';
    response.status(ok ? 200 : 503);
    return {
      status: ok ? 'ok' : 'unavailable',
      checks: { database, broker },
      timescale: this.database.features.timescale,
      embedded: { database: this.database.features.embedded, broker: this.broker.embedded },
      queues: this.ingest.queueDepths(),
    };
  }

  @Get('metrics')
  @Header('Cache-Control', 'no-store')
  async metricsText(@Res({ passthrough: true }) response: Response): Promise<string> {
    for (const [queue, depth] of Object.entries(this.ingest.queueDepths()))
      this.metrics.queueDepth.set({ queue }, depth);
    response.setHeader('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
