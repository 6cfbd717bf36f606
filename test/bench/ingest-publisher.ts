import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';
import { randomUUID } from 'node:crypto';
import { TopicScheme, encodeMessage, type PassageEventPayload } from '@citywatch/protocol';

/**
 * A publishing worker for the ingest benchmark: one MQTT connection, QoS 1 passages with `window` in
 * flight, either as fast as the broker takes them or paced at `rate` per second. passTime is the moment
 * of publishing, so the hub's stored_at minus passTime is the publish-to-commit latency.
 */
interface Job {
  url: string;
  topicRoot: string;
  devices: { id: string; tollgateId: string; laneNo: number }[];
  seconds: number;
  /** Events per second for this worker; 0 = as fast as possible. */
  rate: number;
  window: number;
  clientId: string;
}

const job = workerData as Job;
const topics = new TopicScheme(job.topicRoot);

function next(i: number): { topic: string; payload: Buffer } {
  const device = job.devices[i % job.devices.length]!;
  const passage: PassageEventPayload = {
    v: 1,
    eventId: randomUUID(),
    deviceId: device.id,
    tollgateId: device.tollgateId,
    laneNo: device.laneNo,
    direction: 'N',
    passTime: new Date().toISOString(),
    plateNo: `黑A${String(10000 + (i % 90000)).padStart(5, '0')}`,
    plateColor: 'blue',
    plateConfidence: 0.95,
    vehicleClass: 'car',
    vehicleColor: 'white',
    speedKmh: 40 + (i % 30),
  };
  return { topic: topics.event(device.id, 'passage'), payload: encodeMessage('passage', passage) };
}

async function main(): Promise<void> {
  const client = await mqtt.connectAsync(job.url, { clientId: job.clientId, clean: true, keepalive: 30 });
  const end = Date.now() + job.seconds * 1000;
  let sent = 0;
  let acked = 0;
  let inFlight = 0;
  const started = Date.now();
  await new Promise<void>((resolve) => {
    const pump = () => {
      while (inFlight < job.window && Date.now() < end) {
        if (job.rate > 0 && sent >= ((Date.now() - started) / 1000) * job.rate) {
          setTimeout(pump, 2);
          return;
        }
        const { topic, payload } = next(sent++);
        inFlight++;
        client.publish(topic, payload, { qos: 1 }, () => {
          inFlight--;
          acked++;
          if (Date.now() < end) setImmediate(pump);
          else if (inFlight === 0) resolve();
        });
      }
      if (Date.now() >= end && inFlight === 0) resolve();
    };
    pump();
  });
  await client.endAsync();
  parentPort!.postMessage({ sent, acked });
}

void main();
