import { describe, expect, it } from 'vitest';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { deviceKindOfId, parseDeviceId, RegistryImport } from '@citywatch/protocol';
import { buildDistrictEstate, districtRegistry, ESTATE_COUNTS } from './district-estate';

describe('district estate', () => {
  const estate = buildDistrictEstate();
  const count = (kind: string) => estate.devices.filter((device) => device.kind === kind).length;

  it('has the seed article numbers', () => {
    expect(count('hd_camera')).toBe(ESTATE_COUNTS.hdCameras);
    expect(count('checkpoint')).toBe(ESTATE_COUNTS.checkpointLanes);
    expect(estate.tollgates).toHaveLength(ESTATE_COUNTS.checkpointSites);
    expect(estate.tollgates.reduce((sum, gate) => sum + gate.lanes.length, 0)).toBe(48);
    expect(count('long_range')).toBe(ESTATE_COUNTS.longRangeCameras);
    expect(count('face_checkpoint')).toBe(ESTATE_COUNTS.faceCheckpoints);
    expect(new Set(estate.devices.filter((d) => d.face).map((d) => d.registration.place)).size).toBe(
      ESTATE_COUNTS.faceLocations,
    );
  });

  it('uses unique region-230108 ids whose type code matches the kind', () => {
    const ids = estate.devices.map((device) => device.registration.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const device of estate.devices) {
      expect(parseDeviceId(device.registration.id).regionCode).toBe('230108');
      expect(deviceKindOfId(device.registration.id)).toBe(device.kind);
    }
  });

  it('places everything around Pingfang and produces a valid registry import', () => {
    for (const device of estate.devices) {
      expect(Math.abs(device.registration.lat - 45.6)).toBeLessThan(0.05);
      expect(Math.abs(device.registration.lon - 126.63)).toBeLessThan(0.06);
    }
    const check = TypeCompiler.Compile(RegistryImport);
    const body = districtRegistry(estate);
    expect([...check.Errors(body)].map((error) => `${error.path}: ${error.message}`)).toEqual([]);
    const laneDevices = new Set(body.tollgates.flatMap((gate) => gate.lanes.map((lane) => lane.deviceId)));
    expect(
      body.devices.filter((device) => device.kind === 'checkpoint').every((device) => laneDevices.has(device.id)),
    ).toBe(true);
    expect(body.devices.filter((device) => device.hasLoudspeaker).length).toBe(10);
  });
});
