import { isDeviceId } from '@citywatch/protocol';

/**
 * The device ACL, the same on every broker: a device publishes only its own status, heartbeat, events and
 * command replies, and subscribes only to its own commands. `root` is the topic root (`city/v1`).
 */
export function devicePublishAllowed(root: string, deviceId: string, topic: string): boolean {
  const rest = relative(root, deviceId, topic);
  if (rest === undefined) return false;
  return (
    rest === 'status' || rest === 'heartbeat' || /^events\/[^/+#]+$/.test(rest) || /^cmd-reply\/[^/+#]+$/.test(rest)
  );
}

export function deviceSubscribeAllowed(root: string, deviceId: string, filter: string): boolean {
  const rest = relative(root, deviceId, filter);
  if (rest === undefined) return false;
  return rest === 'cmd/+' || rest === 'cmd/#' || /^cmd\/[^/+#]+$/.test(rest);
}

/** The device id a topic is about (the level after the root), if it is one. */
export function deviceOfTopic(root: string, topic: string): string | undefined {
  if (!topic.startsWith(`${root}/`)) return undefined;
  const candidate = topic.slice(root.length + 1).split('/')[0];
  return candidate && isDeviceId(candidate) ? candidate : undefined;
}

function relative(root: string, deviceId: string, topic: string): string | undefined {
  if (!isDeviceId(deviceId)) return undefined;
  const prefix = `${root}/${deviceId}/`;
  return topic.startsWith(prefix) ? topic.slice(prefix.length) : undefined;
}
