import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Every metric the hub exports at /metrics, in one registry. */
@Injectable()
export class HubMetrics {
  readonly registry = new Registry();

  readonly messagesReceived = new Counter({
    name: 'citywatch_mqtt_messages_received_total',
    help: 'MQTT messages received from devices, by message kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly eventsStored = new Counter({
    name: 'citywatch_events_stored_total',
    help: 'Events committed to the database (repeats excluded), by kind',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly eventsDuplicate = new Counter({
    name: 'citywatch_events_duplicate_total',
    help: 'Events received again after they were stored (redeliveries absorbed by idempotent storage)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly deadLetters = new Counter({
    name: 'citywatch_dead_letters_total',
    help: 'Messages refused on arrival and kept in the dead-letter table, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly brokerRefusals = new Counter({
    name: 'citywatch_broker_refusals_total',
    help: 'Connects, publishes and subscribes the embedded broker (or the EMQX hooks) refused, and connections it closed for an oversize packet (kind="oversize")',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'citywatch_ingest_queue_depth',
    help: 'Items held in memory waiting to be written, by queue',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly batchSeconds = new Histogram({
    name: 'citywatch_ingest_batch_seconds',
    help: 'Time to commit one batch, by queue',
    labelNames: ['queue'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly replicaTakeovers = new Counter({
    name: 'citywatch_replica_takeovers_total',
    help: 'Sessions of silent replicas this replica took over, by outcome (drained, or stopped short)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly replicaTakeoverMessages = new Counter({
    name: 'citywatch_replica_takeover_messages_total',
    help: 'Messages taken from the sessions of silent replicas',
    registers: [this.registry],
  });

  readonly writeRetries = new Counter({
    name: 'citywatch_ingest_write_retries_total',
    help: 'Batch writes retried because the database was unreachable',
    labelNames: ['queue'] as const,
    registers: [this.registry],
  });

  readonly livePassagesLeftOut = new Counter({
    name: 'citywatch_live_passages_left_out_total',
    help: 'Stored passages not pushed to consoles because the live feed was at LIVE_PASSAGES_PER_SECOND',
    registers: [this.registry],
  });

  readonly devicesOnline = new Gauge({
    name: 'citywatch_devices_online',
    help: 'Devices online now',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'citywatch_' });
  }
}
