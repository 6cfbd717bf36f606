import type { DeviceKind, LaneRegistration, RegistryImport } from '@citywatch/protocol';

/** The kind of device a lane's camera is (LaneRegistration.deviceId: "the checkpoint camera on this lane"). */
export const LANE_DEVICE_KIND: DeviceKind = 'checkpoint';

/** A device as the registry holds it, as far as lanes refer to it. */
export interface RegisteredDevice {
  kind: DeviceKind;
  tollgateId: string | null;
  laneNo: number | null;
}

/** What the registry holds already of what a change names (only those ids need be present). */
export interface RegisteredEstate {
  devices: ReadonlyMap<string, RegisteredDevice>;
  tollgates: ReadonlySet<string>;
}

/** More than this many problems are summed up in one last line. */
export const MAX_PROBLEMS_LISTED = 50;

/** The devices and tollgates an import refers to that it does not itself register: what to look up. */
export function referencedByImport(body: RegistryImport): { deviceIds: string[]; tollgateIds: string[] } {
  const deviceIds = new Set<string>();
  for (const tollgate of body.tollgates) {
    for (const lane of tollgate.lanes) if (lane.deviceId !== undefined) deviceIds.add(lane.deviceId);
  }
  const tollgateIds = new Set<string>();
  for (const device of body.devices) if (device.tollgateId !== undefined) tollgateIds.add(device.tollgateId);
  return { deviceIds: [...deviceIds], tollgateIds: [...tollgateIds] };
}

/**
 * Why a registry import cannot be stored as it is, one `path: problem` line each (empty: it can): ids
 * listed twice (tollgates, devices, a tollgate's lane numbers), a lane naming a device that is neither
 * registered nor in the import, or one that is not a checkpoint camera, or one camera on two lanes, a lane
 * camera registered (here or before) to another lane, and a device naming a tollgate that does not exist
 * or, when the import carries that tollgate, a lane it does not have or that names another camera.
 */
export function registryImportProblems(body: RegistryImport, registered: RegisteredEstate): string[] {
  const problems: string[] = [];

  const tollgateAt = new Map<string, number>();
  body.tollgates.forEach((tollgate, index) => {
    const first = tollgateAt.get(tollgate.id);
    if (first === undefined) tollgateAt.set(tollgate.id, index);
    else problems.push(`/tollgates/${index}/id: tollgate ${tollgate.id} is listed twice (also /tollgates/${first})`);
  });

  const deviceAt = new Map<string, number>();
  body.devices.forEach((device, index) => {
    const first = deviceAt.get(device.id);
    if (first === undefined) deviceAt.set(device.id, index);
    else problems.push(`/devices/${index}/id: device ${device.id} is listed twice (also /devices/${first})`);
  });

  // A device's registration once the import is stored: the import's, else what the registry holds.
  const deviceAfter = (id: string): RegisteredDevice | undefined => {
    const index = deviceAt.get(id);
    if (index === undefined) return registered.devices.get(id);
    const device = body.devices[index]!;
    return { kind: device.kind, tollgateId: device.tollgateId ?? null, laneNo: device.laneNo ?? null };
  };

  const cameraLanes = new Map<string, string>();
  body.tollgates.forEach((tollgate, index) => {
    if (tollgateAt.get(tollgate.id) !== index) return;
    problems.push(
      ...laneProblems(`/tollgates/${index}/lanes`, tollgate.id, tollgate.lanes, deviceAfter, cameraLanes, 'import'),
    );
  });

  body.devices.forEach((device, index) => {
    if (deviceAt.get(device.id) !== index || device.tollgateId === undefined) return;
    const tollgateIndex = tollgateAt.get(device.tollgateId);
    if (tollgateIndex === undefined) {
      if (!registered.tollgates.has(device.tollgateId)) {
        problems.push(
          `/devices/${index}/tollgateId: tollgate ${device.tollgateId} does not exist and is not in this import`,
        );
      }
      return;
    }
    if (device.laneNo === undefined) return;
    const lane = body.tollgates[tollgateIndex]!.lanes.find((candidate) => candidate.laneNo === device.laneNo);
    if (!lane) {
      problems.push(
        `/devices/${index}/laneNo: tollgate ${device.tollgateId} has no lane ${device.laneNo} in this import`,
      );
    } else if (lane.deviceId !== undefined && lane.deviceId !== device.id) {
      problems.push(
        `/devices/${index}/laneNo: lane ${device.laneNo} of tollgate ${device.tollgateId} names device ${lane.deviceId}, not ${device.id}`,
      );
    }
  });

  return problems;
}

/**
 * Why the cameras a tollgate's lanes name cannot be stored (for the tollgate endpoints; the import uses
 * the same rules): unregistered, not a checkpoint camera, on two lanes, or registered to another lane.
 */
export function tollgateLaneProblems(
  tollgateId: string,
  lanes: readonly LaneRegistration[],
  registered: ReadonlyMap<string, RegisteredDevice>,
): string[] {
  return laneProblems('/lanes', tollgateId, lanes, (id) => registered.get(id), new Map(), 'registry');
}

function laneProblems(
  path: string,
  tollgateId: string,
  lanes: readonly LaneRegistration[],
  deviceAfter: (id: string) => RegisteredDevice | undefined,
  cameraLanes: Map<string, string>,
  source: 'import' | 'registry',
): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  lanes.forEach((lane, index) => {
    const at = `${path}/${index}`;
    const here = `lane ${lane.laneNo} of tollgate ${tollgateId}`;
    if (seen.has(lane.laneNo)) problems.push(`${at}/laneNo: ${here} is listed twice`);
    seen.add(lane.laneNo);
    if (lane.deviceId === undefined) return;
    const device = deviceAfter(lane.deviceId);
    if (!device) {
      problems.push(
        `${at}/deviceId: device ${lane.deviceId} is not registered${source === 'import' ? ' and not in this import' : ''}`,
      );
      return;
    }
    if (device.kind !== LANE_DEVICE_KIND) {
      problems.push(`${at}/deviceId: device ${lane.deviceId} is a ${device.kind}, not a ${LANE_DEVICE_KIND} camera`);
    }
    const other = cameraLanes.get(lane.deviceId);
    if (other !== undefined) problems.push(`${at}/deviceId: device ${lane.deviceId} is already the camera of ${other}`);
    else cameraLanes.set(lane.deviceId, here);
    const elsewhere =
      (device.tollgateId !== null && device.tollgateId !== tollgateId) ||
      (device.laneNo !== null && device.laneNo !== lane.laneNo);
    if (elsewhere) {
      problems.push(`${at}/deviceId: device ${lane.deviceId} is registered to ${describeLane(device)}, not ${here}`);
    }
  });
  return problems;
}

function describeLane(device: RegisteredDevice): string {
  if (device.tollgateId === null) return `lane ${device.laneNo} (no tollgate)`;
  return device.laneNo === null
    ? `tollgate ${device.tollgateId}`
    : `lane ${device.laneNo} of tollgate ${device.tollgateId}`;
}

/** The lines of a refusal, at most MAX_PROBLEMS_LISTED, then how many more there are. */
export function listedProblems(problems: readonly string[]): string[] {
  if (problems.length <= MAX_PROBLEMS_LISTED) return [...problems];
  return [...problems.slice(0, MAX_PROBLEMS_LISTED), `... and ${problems.length - MAX_PROBLEMS_LISTED} more problems`];
}
