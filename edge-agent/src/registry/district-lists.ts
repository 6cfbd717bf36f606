import type {
  HotlistEntryBody,
  HotlistPage,
  WatchlistPage,
  WatchlistPersonBody,
  WatchlistPerson,
} from '@citywatch/protocol';
import type { DistrictTrafficModel } from '../simulator/district-traffic-model';
import { enrolmentPhotos, type FaceGallery } from '../simulator/face-gallery';
import type { HubClientOptions } from './registry-client';

/** A watchlist person of the simulated district, with the photos to enrol. */
export interface DistrictWatchlistPerson {
  /** The gallery person the simulator's face captures show (`sample3-2`). */
  personId: string;
  body: WatchlistPersonBody;
  photos: Buffer[];
}

/** What the hub must know for the simulator's hotlisted plates and watchlisted people to raise alerts. */
export interface DistrictLists {
  seed: string;
  hotlist: HotlistEntryBody[];
  watchlist: DistrictWatchlistPerson[];
}

export interface DistrictListsResult {
  hotlist: { created: number; existing: number };
  watchlist: { created: number; existing: number; failed: { personId: string; error: string }[] };
}

/** Marks what the simulator registered, so a restart finds it (ID numbers allow letters, digits and '-'). */
export const SIMULATED_ID_PREFIX = 'SIM-';

/**
 * The hotlist entries for the plates the traffic model tags as hotlisted (exact plates, not fuzzy, so
 * the alerts are the model's hotlist passages) and the watchlist people it tags, with enrolment photos
 * cut from the same demo photographs as the simulator's face crops. The same seed gives the same lists.
 */
export async function districtLists(
  model: DistrictTrafficModel,
  faces: FaceGallery | undefined,
  seed: number | string,
): Promise<DistrictLists> {
  const hotlist = model.population.hotlist.map((vehicle, index): HotlistEntryBody => ({
    plate: vehicle.plateNo,
    category: index % 5 === 0 ? 'stolen' : 'wanted',
    priority: index % 5 === 0 ? 1 : 2,
    reason: `district simulator (seed ${seed}): hotlisted ${vehicle.vehicleColor} ${vehicle.vehicleClass}`,
    fuzzy: false,
  }));
  const watchlist: DistrictWatchlistPerson[] = [];
  for (const [index, personId] of model.watchlistedPersonIds.entries()) {
    const photos = faces ? await enrolmentPhotos(personId, faces.source) : [];
    if (photos.length === 0) continue;
    watchlist.push({
      personId,
      photos,
      body: {
        name: `模拟人员 ${personId}`,
        idNumber: `${SIMULATED_ID_PREFIX}${personId}`,
        category: index === 0 ? 'wanted' : index === 1 ? 'missing' : 'at_risk',
        priority: index === 0 ? 1 : 2,
        reason: `district simulator (seed ${seed}): face ${personId} of the face-api demo photographs`,
      },
    });
  }
  return { seed: String(seed), hotlist, watchlist };
}

/**
 * Registers the lists with a hub through its REST API, as an administrator would in the console:
 * `POST /api/checkpoints/hotlist` per plate, `POST /api/faces/watchlist/people` (multipart, the photos
 * as `photo` parts) per person. Idempotent: a plate already on the hotlist and a person whose ID number
 * is already on the watchlist are left as they are, so a restarted demo registers nothing twice.
 * A person the hub refuses (face recognition off, a photo failing its checks) is reported, not thrown.
 */
export async function registerDistrictLists(
  options: HubClientOptions,
  lists: DistrictLists,
): Promise<DistrictListsResult> {
  const result: DistrictListsResult = {
    hotlist: { created: 0, existing: 0 },
    watchlist: { created: 0, existing: 0, failed: [] },
  };
  const listed = new Set((await allHotlistEntries(options)).map((entry) => entry.plate));
  for (const entry of lists.hotlist) {
    if (listed.has(entry.plate)) {
      result.hotlist.existing += 1;
      continue;
    }
    await call(options, 'POST', '/api/checkpoints/hotlist', JSON.stringify(entry), 'application/json');
    listed.add(entry.plate);
    result.hotlist.created += 1;
  }
  for (const person of lists.watchlist) {
    const idNumber = person.body.idNumber!;
    const found = await call<WatchlistPage>(
      options,
      'GET',
      `/api/faces/watchlist/people?q=${encodeURIComponent(idNumber)}&limit=500`,
    );
    if (found.items.some((existing) => existing.idNumber === idNumber)) {
      result.watchlist.existing += 1;
      continue;
    }
    const form = new FormData();
    for (const [key, value] of Object.entries(person.body)) form.append(key, String(value));
    person.photos.forEach((photo, index) =>
      form.append('photo', new Blob([photo], { type: 'image/jpeg' }), `${person.personId}-${index + 1}.jpg`),
    );
    try {
      await call<WatchlistPerson>(options, 'POST', '/api/faces/watchlist/people', form);
      result.watchlist.created += 1;
    } catch (error) {
      result.watchlist.failed.push({ personId: person.personId, error: (error as Error).message });
    }
  }
  return result;
}

/** The lists as JSON for another tool or a hub this machine cannot reach: photos as base64 JPEG. */
export function exportDistrictLists(lists: DistrictLists): unknown {
  return {
    seed: lists.seed,
    hotlist: lists.hotlist,
    watchlist: lists.watchlist.map((person) => ({
      personId: person.personId,
      ...person.body,
      photosJpegBase64: person.photos.map((photo) => photo.toString('base64')),
    })),
  };
}

async function allHotlistEntries(options: HubClientOptions): Promise<HotlistPage['items']> {
  const entries: HotlistPage['items'] = [];
  let after: string | null = null;
  do {
    const page: HotlistPage = await call<HotlistPage>(
      options,
      'GET',
      `/api/checkpoints/hotlist?limit=500${after ? `&after=${after}` : ''}`,
    );
    entries.push(...page.items);
    after = page.nextAfter;
  } while (after);
  return entries;
}

async function call<T = unknown>(
  options: HubClientOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: string | FormData,
  contentType?: string,
): Promise<T> {
  const response = await fetch(new URL(path, options.hubUrl), {
    method,
    headers: {
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} refused: HTTP ${response.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
