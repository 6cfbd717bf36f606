import { join } from 'node:path';
import { EdgeAgent, type EdgeAgentOptions } from '../agent/edge-agent';
import type { BrokerSettings } from '../connection/device-connection';
import { ImageStore } from '../images/image-store';
import type { SpoolSyncPolicy } from '../spool/sqlite-spool';
import { silentLogger, type Logger } from '../util/logger';
import { deviceSecret } from './device-secrets';
import { buildDistrictEstate, type DistrictEstate } from './district-estate';
import { DistrictSimulator } from './district-simulator';
import { loadFaceGallery, type FaceGallery } from './face-gallery';

export interface SimulatedDistrictOptions {
  broker: BrokerSettings;
  topicRoot?: string;
  dataDir: string;
  seed?: number | string;
  timeCompression?: number;
  rateMultiplier?: number;
  /** Folder of the face photographs; 'off' for none; default: the face-api demo pictures if installed. */
  faces?: string;
  faults?: boolean;
  /** Shares of watchlisted faces and extra hotlisted passages (see TrafficModelOptions), for short runs. */
  watchlistedFaceShare?: number;
  hotlistedPassageShare?: number;
  /** Simulated start, ms since the epoch (default: now). */
  startAt?: number;
  /** Key the device secrets are derived from (the hub must know it to check them). */
  deviceKey?: string;
  backlogRatePerS?: number;
  spool?: { maxBytes?: number; sync?: SpoolSyncPolicy };
  heartbeatIntervalS?: number;
  /** Only these devices of the estate (tests). */
  deviceIds?: string[];
  logger?: Logger;
}

export { DEFAULT_DEVICE_KEY, deviceSecret } from './device-secrets';

/** The whole district in one agent process: one connection per device, one spool, the simulator as source. */
export interface SimulatedDistrict {
  agent: EdgeAgent;
  simulator: DistrictSimulator;
  estate: DistrictEstate;
  /** The face crops the captures use (undefined without the demo photographs). */
  faces: FaceGallery | undefined;
  seed: number | string;
  /** Key the device secrets were derived from. */
  deviceKey?: string;
}

export async function createSimulatedDistrict(options: SimulatedDistrictOptions): Promise<SimulatedDistrict> {
  const full = buildDistrictEstate();
  const devices = options.deviceIds
    ? full.devices.filter((d) => options.deviceIds!.includes(d.registration.id))
    : full.devices;
  const ids = new Set(devices.map((device) => device.registration.id));
  // A part of the estate still registers every tollgate; a lane names its camera only when that camera is here.
  const tollgates = full.tollgates.map((tollgate) => ({
    ...tollgate,
    lanes: tollgate.lanes.map(({ deviceId, ...lane }) =>
      deviceId !== undefined && ids.has(deviceId) ? { ...lane, deviceId } : lane,
    ),
  }));
  const estate: DistrictEstate = { tollgates, devices, byId: new Map(devices.map((d) => [d.registration.id, d])) };
  const faces = options.faces === 'off' ? undefined : await loadFaceGallery(options.faces);
  const simulator = new DistrictSimulator({
    estate,
    seed: options.seed ?? 1,
    timeCompression: options.timeCompression,
    rateMultiplier: options.rateMultiplier,
    faces,
    faults: options.faults,
    watchlistedFaceShare: options.watchlistedFaceShare,
    hotlistedPassageShare: options.hotlistedPassageShare,
    startAt: options.startAt,
    images: new ImageStore(join(options.dataDir, 'images')),
    logger: options.logger ?? silentLogger,
  });
  const agent = new EdgeAgent({
    devices: districtAgentDevices(estate, options.deviceKey),
    broker: options.broker,
    topicRoot: options.topicRoot,
    dataDir: options.dataDir,
    spool: { sync: 'checkpoint', ...options.spool },
    publish: { backlogRatePerS: options.backlogRatePerS ?? 50 },
    heartbeatIntervalS: options.heartbeatIntervalS,
    sources: [simulator],
    logger: options.logger,
  });
  return { agent, simulator, estate, faces, seed: options.seed ?? 1, deviceKey: options.deviceKey };
}

/** The agent's device list for a district estate: ids, kinds and names from the registry, the derived secrets. */
export function districtAgentDevices(estate: DistrictEstate, deviceKey?: string): EdgeAgentOptions['devices'] {
  return estate.devices.map((device) => ({
    id: device.registration.id,
    kind: device.kind,
    name: device.registration.name,
    hasLoudspeaker: device.hasLoudspeaker,
    secret: deviceSecret(device.registration.id, deviceKey),
    heartbeatIntervalS: device.registration.heartbeatIntervalS,
  }));
}
