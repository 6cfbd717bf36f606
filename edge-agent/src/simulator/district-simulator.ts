import { MESSAGES } from '@citywatch/protocol';
import type { DeviceControls } from '../commands/device-controls';
import type { Health } from '../health/host-health';
import { ImageStore } from '../images/image-store';
import {
  EventRejectedError,
  type DeviceLinks,
  type EventSink,
  type EventSource,
  type SourceContext,
} from '../sources/event-source';
import { silentLogger, type Logger } from '../util/logger';
import type { DistrictEstate } from './district-estate';
import {
  DistrictTrafficModel,
  SLICE_MS,
  type SimEvent,
  type SimFault,
  type SliceInProgress,
} from './district-traffic-model';
import type { FaceGallery } from './face-gallery';
import { SimulatedDevice } from './simulated-device';

export interface DistrictSimulatorOptions {
  estate: DistrictEstate;
  seed: number | string;
  /** Simulated time runs this many times faster than real time (default 1). */
  timeCompression?: number;
  /** Multiplies every event rate, to turn the district into a load test (default 1). */
  rateMultiplier?: number;
  faces?: FaceGallery;
  /** Shares of watchlisted faces and extra hotlisted passages (see TrafficModelOptions). */
  watchlistedFaceShare?: number;
  hotlistedPassageShare?: number;
  /** Simulated start, ms since the epoch (default: now). */
  startAt?: number;
  /** Device outages and faults (default true). */
  faults?: boolean;
  /** Events handed to the agent and not yet accepted, at most; beyond it the simulator waits (default 20000). */
  maxOutstanding?: number;
  /**
   * Events played in one turn of the event loop, at most (default 250). When more are due (the
   * simulator is behind), the rest follow in the next turns, after the agent's pending I/O: one long
   * catch-up burst would hold every MQTT socket of the process, so no acknowledgement came in and the
   * publishers' windows stayed full, and the longer the burst the more was due for the next one.
   */
  maxEventsPerTurn?: number;
  tickMs?: number;
  images: ImageStore;
  logger?: Logger;
}

export interface DistrictSimulatorStats {
  generated: number;
  submitted: number;
  accepted: number;
  rejected: Record<string, number>;
  /** Events not recorded because their camera had no power or no video. */
  notCaptured: number;
  outages: number;
  outstanding: number;
  /** How far behind its schedule the simulator is, ms of real time. */
  lagMs: number;
  simulatedTime: string;
}

type Scheduled = SimEvent | (SimFault & { phase: 'start' });

/**
 * The district as an event source: plays the traffic model against the wall clock, compressed in
 * time, and drives the simulated devices' faults. Events carry the wall-clock time their simulated
 * moment maps to, so a compressed day is still accepted by the hub's time window; the simulated
 * hour of day drives the curves.
 */
export class DistrictSimulator implements EventSource {
  readonly name = 'district-simulator';
  readonly model: DistrictTrafficModel;
  private readonly devices = new Map<string, SimulatedDevice>();
  private readonly compression: number;
  private sink: EventSink | undefined;
  private links: DeviceLinks | undefined;
  private realStart = 0;
  private simStart = 0;
  private nextSlice = 0;
  private queue: Scheduled[] = [];
  private queueHead = 0;
  /** The next slice, generated a part per tick before the clock reaches it. */
  private building: SliceInProgress | undefined;
  private buildCredit = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;
  private readonly counters = {
    generated: 0,
    submitted: 0,
    accepted: 0,
    notCaptured: 0,
    outages: 0,
    outstanding: 0,
    lagMs: 0,
  };
  private readonly rejected: Record<string, number> = {};

  constructor(private readonly options: DistrictSimulatorOptions) {
    this.compression = options.timeCompression ?? 1;
    if (!(this.compression > 0)) throw new RangeError('time compression must be positive');
    this.logger = options.logger ?? silentLogger;
    this.model = new DistrictTrafficModel(options.estate, {
      seed: options.seed,
      rateMultiplier: options.rateMultiplier ?? 1,
      faces: options.faces,
      watchlistedFaceShare: options.watchlistedFaceShare,
      hotlistedPassageShare: options.hotlistedPassageShare,
    });
    for (const device of options.estate.devices) {
      this.devices.set(
        device.registration.id,
        new SimulatedDevice({
          device,
          images: options.images,
          links: () => this.links,
          simNow: () => this.simNow(),
          realPerSimMs: 1 / this.compression,
        }),
      );
    }
  }

  async start(context: SourceContext): Promise<void> {
    this.sink = context.sink;
    this.links = context.links;
    this.realStart = Date.now();
    this.simStart = this.options.startAt ?? this.realStart;
    this.nextSlice = Math.floor(this.simStart / SLICE_MS) * SLICE_MS;
    if (!this.model.facesEnabled) this.logger.warn('no face images found: the simulator makes no face captures');
    this.tick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.sink = undefined;
    this.building = undefined;
    for (const device of this.devices.values()) device.stop();
    const deadline = Date.now() + 5000;
    while (this.counters.outstanding > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  health(deviceId: string): Partial<Health> {
    return this.devices.get(deviceId)?.health() ?? {};
  }

  controls(deviceId: string): DeviceControls | undefined {
    return this.devices.get(deviceId);
  }

  simNow(realNow = Date.now()): number {
    return this.simStart + (realNow - this.realStart) * this.compression;
  }

  stats(): DistrictSimulatorStats {
    return {
      ...this.counters,
      rejected: { ...this.rejected },
      simulatedTime: new Date(this.simNow()).toISOString(),
    };
  }

  private tick(): void {
    if (!this.sink) return;
    const simNow = this.simNow();
    const more = this.playDue(simNow);
    this.buildAhead(simNow);
    const next = this.queue[this.queueHead];
    this.counters.lagMs = next && next.simTime <= simNow ? Math.round((simNow - next.simTime) / this.compression) : 0;
    // Behind: go on at the next turn of the event loop, once its I/O (acknowledgements) has been handled.
    this.timer = setTimeout(() => this.tick(), more ? 0 : (this.options.tickMs ?? 100));
  }

  private get eventsPerTurn(): number {
    return Math.max(1, this.options.maxEventsPerTurn ?? 250);
  }

  /**
   * Plays the events due at `simNow` in order, at most `maxEventsPerTurn` of them and while fewer than
   * `maxOutstanding` wait for the agent; takes the next slice when the queue is played out and the
   * clock has reached it. True when the turn's budget, not the clock, stopped it.
   */
  private playDue(simNow: number): boolean {
    const maxOutstanding = this.options.maxOutstanding ?? 20_000;
    let played = 0;
    for (;;) {
      if (this.queueHead >= this.queue.length) {
        if (this.nextSlice > simNow) return false;
        this.takeNextSlice();
        continue;
      }
      if (this.queue[this.queueHead].simTime > simNow || this.counters.outstanding >= maxOutstanding) return false;
      if (played >= this.eventsPerTurn) return true;
      this.play(this.queue[this.queueHead]);
      this.queueHead += 1;
      played += 1;
    }
  }

  /**
   * Queues the next slice, once everything before it was played: what was not built ahead is
   * generated now. A simulator that is behind generates at the pace it plays, not at the clock's.
   */
  private takeNextSlice(): void {
    const slice = this.building?.sliceStart === this.nextSlice ? this.building : this.model.beginSlice(this.nextSlice);
    this.building = undefined;
    this.buildCredit = 0;
    const { events, faults } = this.model.finishSlice(slice);
    this.nextSlice += SLICE_MS;
    this.counters.generated += events.length;
    this.queue = [
      ...events.filter((event) => event.simTime >= this.simStart),
      ...(this.options.faults === false
        ? []
        : faults.filter((f) => f.simTime >= this.simStart).map((f) => ({ ...f, phase: 'start' as const }))),
    ].sort((a, b) => a.simTime - b.simTime);
    this.queueHead = 0;
  }

  /**
   * Generates a part of the next slice, its devices spread over the turns left before it is needed:
   * the ticks until the clock reaches it, or the turns it takes to play what is queued before it.
   * So generating a slice of a loaded district never holds the event loop in one piece.
   */
  private buildAhead(simNow: number): void {
    this.building ??= this.model.beginSlice(this.nextSlice);
    const devicesLeft = this.options.estate.devices.length - this.building.nextDevice;
    if (devicesLeft === 0) return;
    const byClock = Math.floor((this.nextSlice - simNow) / this.compression / (this.options.tickMs ?? 100));
    const byQueue = Math.floor((this.queue.length - this.queueHead) / this.eventsPerTurn);
    const turnsLeft = Math.max(1, Math.max(byClock, byQueue) - 1);
    // Less than a device a turn when there are more turns than devices: one every few turns.
    this.buildCredit += devicesLeft / turnsLeft;
    const devices = Math.floor(this.buildCredit);
    if (devices === 0) return;
    this.buildCredit -= devices;
    this.model.continueSlice(this.building, devices);
  }

  private play(item: Scheduled): void {
    const device = this.devices.get(item.deviceId);
    if (!device) return;
    if (item.type !== 'event') {
      this.startFault(device, item);
      return;
    }
    if (!device.capturing) {
      this.counters.notCaptured += 1;
      return;
    }
    this.submit(item);
  }

  private startFault(device: SimulatedDevice, fault: SimFault): void {
    const simNow = this.simNow();
    if (fault.type === 'outage') {
      this.counters.outages += 1;
      this.logger.info('simulated outage', {
        deviceId: fault.deviceId,
        cause: fault.cause,
        minutes: fault.durationMs / 60_000,
      });
      device.outage(fault.cause ?? 'network', fault.durationMs);
      return;
    }
    if (fault.type === 'video_loss') device.videoLossUntil = simNow + fault.durationMs;
    else device.tamperUntil = simNow + fault.durationMs;
    const incident = this.model.faultIncident(fault);
    if (incident && device.powered) this.submit(incident);
  }

  private submit(event: SimEvent): void {
    const sink = this.sink;
    if (!sink) return;
    // Stamp the wall-clock time this simulated moment maps to.
    const realTime = this.realStart + (event.simTime - this.simStart) / this.compression;
    const timeField = MESSAGES[event.draft.kind].timeField as string;
    const payload = { ...event.draft.payload, [timeField]: new Date(realTime).toISOString() };
    this.counters.submitted += 1;
    this.counters.outstanding += 1;
    sink
      .submit(event.deviceId, { kind: event.draft.kind, payload } as typeof event.draft, { priority: event.priority })
      .then(
        () => {
          this.counters.accepted += 1;
        },
        (error: unknown) => {
          const reason = error instanceof EventRejectedError ? error.reason : 'error';
          this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
          if (reason !== 'spool_full') this.logger.warn('event refused', { deviceId: event.deviceId, reason, error });
        },
      )
      .finally(() => {
        this.counters.outstanding -= 1;
      });
  }
}
