import { INCIDENT_KINDS, type IncidentEventPayload, type PassageEventPayload } from '@citywatch/protocol';
import type { EventPriority } from '../spool/spool-types';
import type { EventDraft } from '../sources/event-source';
import { hashString, SeededRandom } from '../util/seeded-random';
import {
  FLAT_PROFILE,
  INCIDENT_PROFILES,
  localHour,
  PEDESTRIAN_PROFILE,
  ratePerSecond,
  VEHICLE_PROFILE,
} from './daily-profile';
import type { DistrictEstate, EstateDevice } from './district-estate';
import type { FaceGallery } from './face-gallery';
import { VehiclePopulation, type Vehicle } from './vehicle-population';

/** The model advances in slices of simulated time; each slice is generated from (seed, slice start) alone. */
export const SLICE_MS = 10_000;

type IncidentKind = (typeof INCIDENT_KINDS)[number];

/** Urban-management incidents per camera per day at 1x. */
const STREET_INCIDENTS_PER_DAY: Partial<Record<IncidentKind, number>> = {
  illegal_parking: 1.6,
  street_vending: 0.8,
  garbage_overflow: 0.5,
  crowding: 0.4,
};
const LONG_RANGE_INCIDENTS_PER_DAY: Partial<Record<IncidentKind, number>> = {
  crowding: 1.0,
  street_vending: 0.5,
  fire_smoke: 0.05,
};
const INCIDENT_WORDS: Record<IncidentKind, string> = {
  illegal_parking: '违章停车',
  street_vending: '占道经营',
  garbage_overflow: '垃圾满溢',
  crowding: '人员聚集',
  road_damage: '道路破损',
  fire_smoke: '烟火',
  video_loss: '视频丢失',
  tamper: '遮挡破坏',
  other: '其他',
};

/** Device faults per device per day (not scaled by the rate multiplier). */
const FAULTS_PER_DAY = { outage: 0.4, videoLoss: 0.03, tamper: 0.01 } as const;
/** One passage in this many is followed by the same plate on another vehicle somewhere else. */
const CLONE_ONE_IN = 20_000;
/** How often a watchlisted face passes, per face capture. */
const WATCHLISTED_FACE_SHARE = 0.0003;
const UNREADABLE_PLATE_SHARE = 0.01;

export interface SimEvent {
  type: 'event';
  deviceId: string;
  simTime: number;
  draft: EventDraft;
  priority?: EventPriority;
  /** Facts the generator knows, for the volume report and tests. */
  tags: ('hotlist' | 'clone' | 'speeder' | 'watchlisted_face')[];
}

export interface SimFault {
  type: 'outage' | 'video_loss' | 'tamper';
  deviceId: string;
  simTime: number;
  durationMs: number;
  /** outage only: network (the device keeps recording, its events wait in the spool) or power (nothing recorded). */
  cause?: 'network' | 'power';
}

/** A slice being generated device by device (see `DistrictTrafficModel.beginSlice`). */
export interface SliceInProgress {
  readonly sliceStart: number;
  /** Index in the estate of the next device to generate. */
  nextDevice: number;
  readonly events: SimEvent[];
  readonly faults: SimFault[];
}

export interface TrafficModelOptions {
  seed: number | string;
  /** Multiplies every event rate (load testing); faults are not multiplied. */
  rateMultiplier?: number;
  faces?: FaceGallery;
  /** How many people of the gallery are on the watchlist (default 3). */
  watchlistedPeople?: number;
  /** Share of face captures that show a watchlisted person (default 0.0003, about 150 a day at 1x). */
  watchlistedFaceShare?: number;
  /**
   * Share of passages made by a hotlisted vehicle on top of its natural frequency (default none: about
   * 120 hotlist passages a day at 1x). For short runs that must see hotlist alerts.
   */
  hotlistedPassageShare?: number;
}

/**
 * The district's behaviour over simulated time: vehicles through the checkpoint lanes following a
 * daily curve, speeds around the lane limits with a few speeders, repeat commuters, hotlisted and
 * now and then cloned plates; faces at the face checkpoints with a few watchlisted people;
 * urban-management incidents from the street cameras; and devices that fail and come back.
 * Deterministic: the same seed gives the same events for the same simulated slice.
 */
export class DistrictTrafficModel {
  readonly population: VehiclePopulation;
  readonly watchlistedPersonIds: string[];
  private readonly multiplier: number;
  private readonly seedHash: number;
  private readonly lanes: EstateDevice[];
  private readonly deferred = new Map<number, SimEvent[]>();

  constructor(
    private readonly estate: DistrictEstate,
    private readonly options: TrafficModelOptions,
  ) {
    this.multiplier = options.rateMultiplier ?? 1;
    this.seedHash = hashString(String(options.seed));
    this.population = new VehiclePopulation(options.seed);
    this.lanes = estate.devices.filter((device) => device.lane);
    const people = options.faces?.people ?? [];
    const pick = new SeededRandom(`watchlist:${options.seed}`);
    const chosen = new Set<string>();
    while (chosen.size < Math.min(options.watchlistedPeople ?? 3, people.length))
      chosen.add(pick.pick(people).personId);
    this.watchlistedPersonIds = [...chosen];
  }

  get facesEnabled(): boolean {
    return (this.options.faces?.people.length ?? 0) > 0;
  }

  /** Events and faults of the slice starting at `sliceStart` (a multiple of SLICE_MS), sorted by time. */
  generateSlice(sliceStart: number): { events: SimEvent[]; faults: SimFault[] } {
    return this.finishSlice(this.beginSlice(sliceStart));
  }

  /**
   * The same slice made a few devices at a time (`continueSlice`), so that a caller can spread the
   * work over several turns of the event loop; `finishSlice` gives what `generateSlice` would have.
   * Slices must be finished in order.
   */
  beginSlice(sliceStart: number): SliceInProgress {
    return { sliceStart, nextDevice: 0, events: [], faults: [] };
  }

  /** Generates the next `devices` devices of the slice; true when every device is done. */
  continueSlice(slice: SliceInProgress, devices = Number.POSITIVE_INFINITY): boolean {
    const all = this.estate.devices;
    for (let done = 0; done < devices && slice.nextDevice < all.length; done += 1) {
      this.generateDevice(all[slice.nextDevice], slice);
      slice.nextDevice += 1;
    }
    return slice.nextDevice >= all.length;
  }

  /** Generates what is left of the slice and returns its events and faults, sorted by time. */
  finishSlice(slice: SliceInProgress): { events: SimEvent[]; faults: SimFault[] } {
    this.continueSlice(slice);
    const events: SimEvent[] = [...(this.deferred.get(slice.sliceStart) ?? []), ...slice.events];
    this.deferred.delete(slice.sliceStart);
    const faults = [...slice.faults];
    events.sort((a, b) => a.simTime - b.simTime);
    faults.sort((a, b) => a.simTime - b.simTime);
    return { events, faults };
  }

  private generateDevice(device: EstateDevice, slice: SliceInProgress): void {
    const { sliceStart, events, faults } = slice;
    const middle = sliceStart + SLICE_MS / 2;
    const sliceS = SLICE_MS / 1000;
    const random = new SeededRandom((this.seedHash ^ hashString(`${device.registration.id}:${sliceStart}`)) >>> 0);
    const at = () => sliceStart + Math.floor(random.next() * SLICE_MS);
    if (device.lane) {
      const count = random.poisson(
        ratePerSecond(VEHICLE_PROFILE, device.lane.vehiclesPerDay, middle) * sliceS * this.multiplier,
      );
      for (let i = 0; i < count; i += 1) events.push(this.passage(device, at(), random));
    } else if (device.face && this.facesEnabled) {
      const count = random.poisson(
        ratePerSecond(PEDESTRIAN_PROFILE, device.face.facesPerDay, middle) * sliceS * this.multiplier,
      );
      for (let i = 0; i < count; i += 1) events.push(this.face(device, at(), random));
    }
    const incidents =
      device.kind === 'hd_camera'
        ? STREET_INCIDENTS_PER_DAY
        : device.kind === 'long_range'
          ? LONG_RANGE_INCIDENTS_PER_DAY
          : {};
    for (const [kind, perDay] of Object.entries(incidents) as [IncidentKind, number][]) {
      const profile =
        kind in INCIDENT_PROFILES ? INCIDENT_PROFILES[kind as keyof typeof INCIDENT_PROFILES] : FLAT_PROFILE;
      const count = random.poisson(ratePerSecond(profile, perDay, middle) * sliceS * this.multiplier);
      for (let i = 0; i < count; i += 1) events.push(this.incident(device, kind, at(), random));
    }
    const faultChance = (perDay: number) => random.chance((perDay * SLICE_MS) / 86_400_000);
    if (faultChance(FAULTS_PER_DAY.outage)) {
      const cause = random.chance(0.7) ? 'network' : 'power';
      const minutes = cause === 'network' ? random.int(2, 20) : random.int(1, 10);
      faults.push({
        type: 'outage',
        cause,
        deviceId: device.registration.id,
        simTime: at(),
        durationMs: minutes * 60_000,
      });
    }
    if (device.kind !== 'checkpoint' && faultChance(FAULTS_PER_DAY.videoLoss)) {
      faults.push({
        type: 'video_loss',
        deviceId: device.registration.id,
        simTime: at(),
        durationMs: random.int(2, 20) * 60_000,
      });
    }
    if (device.kind !== 'checkpoint' && faultChance(FAULTS_PER_DAY.tamper)) {
      faults.push({
        type: 'tamper',
        deviceId: device.registration.id,
        simTime: at(),
        durationMs: random.int(5, 30) * 60_000,
      });
    }
  }

  /** The incident a device reports when one of its faults starts. */
  faultIncident(fault: SimFault): SimEvent | undefined {
    if (fault.type === 'outage') return undefined;
    const device = this.estate.byId.get(fault.deviceId);
    if (!device) return undefined;
    const random = new SeededRandom((this.seedHash ^ hashString(`${fault.deviceId}:${fault.simTime}:fault`)) >>> 0);
    return this.incident(device, fault.type, fault.simTime, random);
  }

  private passage(
    device: EstateDevice,
    simTime: number,
    random: SeededRandom,
    forced?: Vehicle,
    tags: SimEvent['tags'] = [],
  ): SimEvent {
    const lane = device.lane!;
    const boost = this.options.hotlistedPassageShare;
    const vehicle =
      forced ??
      (boost !== undefined && random.chance(boost)
        ? random.pick(this.population.hotlist)
        : this.population.draw(random));
    const hour = localHour(simTime);
    const rushHour = (hour >= 7 && hour < 9) || (hour >= 17 && hour < 19);
    const flow = lane.speedLimitKmh * (rushHour ? 0.62 : 0.86);
    const speeding = vehicle.speeder ? random.chance(0.5) : random.chance(0.01);
    const speed = speeding
      ? lane.speedLimitKmh * (1.12 + random.next() * 0.45)
      : random.normal(flow, lane.speedLimitKmh * 0.1);
    const unreadable = !forced && random.chance(UNREADABLE_PLATE_SHARE);
    const plateConfidence = unreadable ? 0.2 + random.next() * 0.3 : 0.86 + random.next() * 0.135;
    const payload: PassageEventPayload = {
      v: 1,
      eventId: '',
      deviceId: device.registration.id,
      tollgateId: lane.tollgateId,
      laneNo: lane.laneNo,
      direction: lane.direction,
      passTime: new Date(simTime).toISOString(),
      plateNo: unreadable ? random.pick(['无牌', '未识别'] as const) : vehicle.plateNo,
      plateColor: unreadable ? 'other' : vehicle.plateColor,
      plateConfidence: round3(plateConfidence),
      vehicleClass: vehicle.vehicleClass,
      vehicleColor: vehicle.vehicleColor,
      speedKmh: round1(Math.min(250, Math.max(3, speed))),
    };
    if (!unreadable) {
      payload.charConfidences = [...vehicle.plateNo].map(() =>
        round3(Math.min(1, plateConfidence + (random.next() - 0.3) * 0.05)),
      );
    }
    const allTags = [...tags];
    if (speeding) allTags.push('speeder');
    if (!unreadable && this.population.hotlist.includes(vehicle)) allTags.push('hotlist');
    if (!forced && !unreadable && random.next() * CLONE_ONE_IN < 1) this.deferClone(device, vehicle, simTime, random);
    const { v: _v, eventId: _e, deviceId: _d, ...draft } = payload;
    return {
      type: 'event',
      deviceId: device.registration.id,
      simTime,
      draft: { kind: 'passage', payload: draft },
      tags: allTags,
    };
  }

  /** A second vehicle wearing the same plate shows up at another site a few minutes later. */
  private deferClone(original: EstateDevice, vehicle: Vehicle, simTime: number, random: SeededRandom): void {
    const elsewhere = this.lanes.filter((lane) => lane.lane!.tollgateId !== original.lane!.tollgateId);
    const device = random.pick(elsewhere);
    const when = simTime + random.int(60, 240) * 1000;
    const clone: Vehicle = {
      ...vehicle,
      vehicleColor: vehicle.vehicleColor === 'white' ? 'black' : 'white',
      vehicleClass: vehicle.vehicleClass === 'car' ? 'suv' : 'car',
    };
    const slice = Math.floor(when / SLICE_MS) * SLICE_MS;
    const list = this.deferred.get(slice) ?? [];
    list.push(this.passage(device, when, random, clone, ['clone']));
    this.deferred.set(slice, list);
  }

  private face(device: EstateDevice, simTime: number, random: SeededRandom): SimEvent {
    const people = this.options.faces!.people;
    const watchlisted =
      this.watchlistedPersonIds.length > 0 &&
      random.chance(this.options.watchlistedFaceShare ?? WATCHLISTED_FACE_SHARE);
    const candidates = watchlisted
      ? people.filter((person) => this.watchlistedPersonIds.includes(person.personId))
      : people.filter((person) => !this.watchlistedPersonIds.includes(person.personId));
    const person = random.pick(candidates.length > 0 ? candidates : people);
    const crop = random.pick(person.crops);
    const size = random.int(90, 220);
    return {
      type: 'event',
      deviceId: device.registration.id,
      simTime,
      draft: {
        kind: 'face',
        payload: {
          shotTime: new Date(simTime).toISOString(),
          box: { x: random.int(200, 1700 - size), y: random.int(80, 900 - size), w: size, h: Math.round(size * 1.2) },
          detectorScore: round3(0.78 + random.next() * 0.21),
          faceJpegBase64: crop.jpegBase64,
        },
      },
      tags: watchlisted ? ['watchlisted_face'] : [],
    };
  }

  private incident(device: EstateDevice, kind: IncidentKind, simTime: number, random: SeededRandom): SimEvent {
    const payload: Omit<IncidentEventPayload, 'v' | 'eventId' | 'deviceId'> = {
      at: new Date(simTime).toISOString(),
      kind,
      confidence: round3(kind === 'video_loss' || kind === 'tamper' ? 0.99 : 0.6 + random.next() * 0.37),
      description: `${INCIDENT_WORDS[kind]} · ${device.registration.place}`,
    };
    if (kind !== 'video_loss') {
      const w = random.int(120, 600);
      const h = random.int(90, 400);
      payload.region = { x: random.int(0, 1920 - w), y: random.int(0, 1080 - h), w, h };
    }
    return { type: 'event', deviceId: device.registration.id, simTime, draft: { kind: 'incident', payload }, tags: [] };
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
