import { describe, expect, it } from 'vitest';
import { deviceOfTopic, devicePublishAllowed, deviceSubscribeAllowed } from './device-acl';

const ROOT = 'city/v1';
const A = '23010800001310000001';
const B = '23010800001310000002';

describe('device ACL', () => {
  it('lets a device publish its own status, heartbeat, events and command replies', () => {
    for (const topic of ['status', 'heartbeat', 'events/passage', 'events/face', 'cmd-reply/r-1']) {
      expect(devicePublishAllowed(ROOT, A, `${ROOT}/${A}/${topic}`), topic).toBe(true);
    }
  });

  it('refuses other devices’ topics, commands, wildcards, other roots and deeper levels', () => {
    for (const topic of [
      `${ROOT}/${B}/events/passage`,
      `${ROOT}/${A}/cmd/reboot`,
      `${ROOT}/${A}/events/+`,
      `${ROOT}/${A}/events/passage/extra`,
      `other/v1/${A}/status`,
      `${ROOT}/${A}`,
      `${ROOT}/${A}/`,
    ]) {
      expect(devicePublishAllowed(ROOT, A, topic), topic).toBe(false);
    }
    expect(devicePublishAllowed(ROOT, 'not-a-device', `${ROOT}/not-a-device/status`)).toBe(false);
  });

  it('lets a device subscribe to its own commands only', () => {
    expect(deviceSubscribeAllowed(ROOT, A, `${ROOT}/${A}/cmd/+`)).toBe(true);
    expect(deviceSubscribeAllowed(ROOT, A, `${ROOT}/${A}/cmd/#`)).toBe(true);
    expect(deviceSubscribeAllowed(ROOT, A, `${ROOT}/${A}/cmd/reboot`)).toBe(true);
    for (const filter of [
      `${ROOT}/${B}/cmd/+`,
      `${ROOT}/+/cmd/+`,
      `${ROOT}/#`,
      `${ROOT}/${A}/#`,
      `${ROOT}/${A}/events/+`,
    ]) {
      expect(deviceSubscribeAllowed(ROOT, A, filter), filter).toBe(false);
    }
  });

  it('finds the device a topic is about', () => {
    expect(deviceOfTopic(ROOT, `${ROOT}/${A}/status`)).toBe(A);
    expect(deviceOfTopic(ROOT, `${ROOT}/+/status`)).toBeUndefined();
    expect(deviceOfTopic(ROOT, `x/${A}/status`)).toBeUndefined();
  });
});
