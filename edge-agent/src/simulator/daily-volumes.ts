import { localHour } from './daily-profile';
import { SLICE_MS, type DistrictTrafficModel } from './district-traffic-model';

export interface DailyVolumes {
  passages: number;
  faces: number;
  incidents: number;
  incidentsByKind: Record<string, number>;
  total: number;
  hotlistPassages: number;
  clonedPlatePassages: number;
  speeders: number;
  watchlistedFaces: number;
  distinctPlates: number;
  repeatPlateShare: number;
  outages: number;
  videoLossFaults: number;
  tamperFaults: number;
  busiestHour: { hour: number; events: number; eventsPerS: number };
  averageEventsPerS: number;
}

/** Runs the model over one simulated local day (from 00:00, UTC+8) and counts what it produced. */
export function countDailyVolumes(model: DistrictTrafficModel, day: Date = new Date()): DailyVolumes {
  const midnight = Math.floor((day.getTime() + 8 * 3_600_000) / 86_400_000) * 86_400_000 - 8 * 3_600_000;
  const volumes: DailyVolumes = {
    passages: 0,
    faces: 0,
    incidents: 0,
    incidentsByKind: {},
    total: 0,
    hotlistPassages: 0,
    clonedPlatePassages: 0,
    speeders: 0,
    watchlistedFaces: 0,
    distinctPlates: 0,
    repeatPlateShare: 0,
    outages: 0,
    videoLossFaults: 0,
    tamperFaults: 0,
    busiestHour: { hour: 0, events: 0, eventsPerS: 0 },
    averageEventsPerS: 0,
  };
  const perHour = new Array<number>(24).fill(0);
  const plateCounts = new Map<string, number>();
  for (let slice = midnight; slice < midnight + 86_400_000; slice += SLICE_MS) {
    const { events, faults } = model.generateSlice(slice);
    for (const event of events) {
      if (event.simTime >= midnight + 86_400_000) continue;
      perHour[Math.floor(localHour(event.simTime))] += 1;
      const { draft } = event;
      if (draft.kind === 'passage') {
        volumes.passages += 1;
        plateCounts.set(draft.payload.plateNo, (plateCounts.get(draft.payload.plateNo) ?? 0) + 1);
      } else if (draft.kind === 'face') volumes.faces += 1;
      else {
        volumes.incidents += 1;
        volumes.incidentsByKind[draft.payload.kind] = (volumes.incidentsByKind[draft.payload.kind] ?? 0) + 1;
      }
      if (event.tags.includes('hotlist')) volumes.hotlistPassages += 1;
      if (event.tags.includes('clone')) volumes.clonedPlatePassages += 1;
      if (event.tags.includes('speeder')) volumes.speeders += 1;
      if (event.tags.includes('watchlisted_face')) volumes.watchlistedFaces += 1;
    }
    for (const fault of faults) {
      if (fault.type === 'outage') volumes.outages += 1;
      else {
        if (fault.type === 'video_loss') volumes.videoLossFaults += 1;
        else volumes.tamperFaults += 1;
        volumes.incidents += 1;
        volumes.incidentsByKind[fault.type] = (volumes.incidentsByKind[fault.type] ?? 0) + 1;
      }
    }
  }
  volumes.total = volumes.passages + volumes.faces + volumes.incidents;
  volumes.distinctPlates = plateCounts.size;
  let repeated = 0;
  for (const count of plateCounts.values()) if (count > 1) repeated += count;
  volumes.repeatPlateShare = volumes.passages > 0 ? Math.round((repeated / volumes.passages) * 1000) / 1000 : 0;
  const busiest = perHour.indexOf(Math.max(...perHour));
  volumes.busiestHour = {
    hour: busiest,
    events: perHour[busiest],
    eventsPerS: Math.round((perHour[busiest] / 3600) * 10) / 10,
  };
  volumes.averageEventsPerS = Math.round((volumes.total / 86_400) * 10) / 10;
  return volumes;
}
