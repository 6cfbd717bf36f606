import mqtt, { type MqttClient } from 'mqtt';
import { TopicScheme, encodeMessage, type PassageEventPayload } from '@citywatch/protocol';

/**
 * A load publisher standing in for many devices: one persistent MQTT session that publishes QoS 1
 * passages with many in flight and resends what the broker has not acknowledged after a reconnect.
 */
export class PassagePublisher {
  private constructor(
    private readonly client: MqttClient,
    private readonly topics: TopicScheme,
  ) {}

  static async connect(url: string, topicRoot: string, clientId = `load-${Math.random().toString(16).slice(2)}`) {
    const client = await mqtt.connectAsync(url, { clientId, clean: false, reconnectPeriod: 250, keepalive: 10 });
    client.on('error', () => undefined);
    return new PassagePublisher(client, new TopicScheme(topicRoot));
  }

  /** Publishes every passage, `window` at a time; resolves when the broker acknowledged them all. */
  async publishAll(passages: readonly PassageEventPayload[], window = 500, onProgress?: (acked: number) => void) {
    let acked = 0;
    for (let start = 0; start < passages.length; start += window) {
      const slice = passages.slice(start, start + window);
      await Promise.all(
        slice.map((passage) =>
          this.client.publishAsync(this.topics.event(passage.deviceId, 'passage'), encodeMessage('passage', passage), {
            qos: 1,
          }),
        ),
      );
      acked += slice.length;
      onProgress?.(acked);
    }
  }

  /** Publishes raw bytes on a device's passage topic (for malformed input). */
  async publishRaw(deviceId: string, payload: Buffer | string): Promise<void> {
    await this.client.publishAsync(this.topics.event(deviceId, 'passage'), payload, { qos: 1 });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
