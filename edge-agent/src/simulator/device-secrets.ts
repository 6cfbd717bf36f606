import { createHmac } from 'node:crypto';

/** The key simulated devices' secrets are derived from unless another is given. */
export const DEFAULT_DEVICE_KEY = 'citywatch-demo-district';

/** A simulated device's broker password: HMAC-SHA256(deviceKey, deviceId), hex, 32 characters. */
export function deviceSecret(deviceId: string, deviceKey: string = DEFAULT_DEVICE_KEY): string {
  return createHmac('sha256', deviceKey).update(deviceId).digest('hex').slice(0, 32);
}
