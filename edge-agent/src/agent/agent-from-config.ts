import { join } from 'node:path';
import type { AgentConfig } from '../config/agent-config';
import { ImageStore } from '../images/image-store';
import type { LaneDefaults } from '../sources/camera-notification';
import type { EventSource } from '../sources/event-source';
import { FolderWatchSource } from '../sources/folder-watch-source';
import { HttpAlarmSource } from '../sources/http-alarm-source';
import type { Logger } from '../util/logger';
import { EdgeAgent } from './edge-agent';

/** Builds the agent described by a configuration file: its devices, spool and sources. */
export function agentFromConfig(config: AgentConfig, logger: Logger): EdgeAgent {
  const images = new ImageStore(join(config.dataDir, 'images'), config.images?.publicBaseUrl);
  const lanes = new Map<string, LaneDefaults>(config.devices.filter((d) => d.lane).map((d) => [d.id, d.lane!]));
  const laneOf = (deviceId: string) => lanes.get(deviceId);
  const sources: EventSource[] = (config.sources ?? []).map((source) =>
    source.type === 'folder'
      ? new FolderWatchSource({ ...source, images, lanes: laneOf, logger })
      : new HttpAlarmSource({ ...source, images, lanes: laneOf, logger }),
  );
  return new EdgeAgent({
    devices: config.devices.map((device) => ({
      id: device.id,
      kind: device.kind,
      secret: device.secret,
      name: device.name,
      hasLoudspeaker: device.hasLoudspeaker,
      heartbeatIntervalS: device.heartbeatIntervalS,
    })),
    broker: config.broker,
    topicRoot: config.topicRoot,
    dataDir: config.dataDir,
    spool: config.spool,
    publish: config.publish,
    heartbeatIntervalS: config.heartbeatIntervalS,
    sources,
    logger,
  });
}
