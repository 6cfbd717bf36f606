import type { RegistryImportResult } from '@citywatch/protocol';
import { districtRegistry, type DistrictEstate } from '../simulator/district-estate';
import type { DistrictTrafficModel } from '../simulator/district-traffic-model';
import type { FaceGallery } from '../simulator/face-gallery';
import { silentLogger, type Logger } from '../util/logger';
import { districtLists, registerDistrictLists, type DistrictListsResult } from './district-lists';
import { importRegistry, type HubClientOptions } from './registry-client';

/** The district as the hub must know it: a running simulator's (`simulator.model`) or one built from a seed. */
export interface DistrictDescription {
  estate: DistrictEstate;
  model: DistrictTrafficModel;
  faces: FaceGallery | undefined;
  seed: number | string;
  deviceKey?: string;
}

/**
 * Everything a hub must know before the simulated district runs against it, through its REST API as
 * an administrator: the estate (tollgates, devices and their secrets), then the hotlist entries for the
 * simulator's hotlisted plates and the watchlist people it shows at its face checkpoints. Safe to run
 * again on every start: the import updates, the lists skip what is already there.
 */
export async function registerSimulatedDistrict(
  hub: HubClientOptions,
  district: DistrictDescription,
  logger: Logger = silentLogger,
): Promise<{ registry: RegistryImportResult; lists: DistrictListsResult }> {
  const registry = await importRegistry(hub, districtRegistry(district.estate, { deviceKey: district.deviceKey }));
  logger.info('district registered', { tollgates: registry.tollgates, devices: registry.devices });
  const lists = await registerDistrictLists(hub, await districtLists(district.model, district.faces, district.seed));
  logger.info('district hotlist and watchlist registered', {
    hotlistCreated: lists.hotlist.created,
    hotlistExisting: lists.hotlist.existing,
    watchlistCreated: lists.watchlist.created,
    watchlistExisting: lists.watchlist.existing,
  });
  for (const failed of lists.watchlist.failed) {
    logger.warn('watchlist person not enrolled: its captures raise no alerts', failed);
  }
  if (!district.faces) logger.warn('no demo face photographs: no watchlist people, no face captures');
  return { registry, lists };
}
