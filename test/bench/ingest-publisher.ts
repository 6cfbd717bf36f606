import { parentPort, workerData } from 'node:worker_threads';
import { connect as connectTcp, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import mqttPacket from 'mqtt-packet';
import { TopicScheme, type PassageEventPayload } from '@citywatch/protocol';

/**
 * A publishing worker for the ingest benchmark: one MQTT connection, QoS 1 passages with `window` in
 * flight, either as fast as the broker takes them or paced at `rate` per second. passTime is the moment
 * of publishing, so the hub's stored_at minus passTime is the publish-to-commit latency.
 *
 * The benchmark's publishers share the machine's two cores with the hub, the broker and the database,
 * where real devices publish from their own. So this one spends as little as it can per message: packets
 * are made with mqtt-packet (the encoder MQTT.js uses) and written a burst at a time on a plain socket,
 * without MQTT.js's per-message bookkeeping. The broker sees ordinary QoS 1 publishes and PUBACKs them.
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
const deviceTopics = job.devices.map((device) => topics.event(device.id, 'passage'));

function passage(i: number, passTime: string): PassageEventPayload {
  const device = job.devices[i % job.devices.length]!;
  return {
    v: 1,
    eventId: randomUUID(),
    deviceId: device.id,
    tollgateId: device.tollgateId,
    laneNo: device.laneNo,
    direction: 'N',
    passTime,
    plateNo: `黑A${String(10000 + (i % 90000)).padStart(5, '0')}`,
    plateColor: 'blue',
    plateConfidence: 0.95,
    vehicleClass: 'car',
    vehicleColor: 'white',
    speedKmh: 40 + (i % 30),
  };
}

/** Message ids in flight: QoS 1 ids are 1..65535 and must not be reused before their PUBACK. */
class MessageIds {
  private readonly used = new Uint8Array(65_536);
  private next = 0;

  take(): number {
    for (;;) {
      this.next = (this.next % 65_535) + 1;
      if (this.used[this.next] === 0) {
        this.used[this.next] = 1;
        return this.next;
      }
    }
  }

  /** Frees an id; false if it was not in flight (a stray or repeated PUBACK). */
  release(id: number): boolean {
    if (this.used[id] !== 1) return false;
    this.used[id] = 0;
    return true;
  }
}

async function open(url: URL): Promise<{ socket: Socket; parser: mqttPacket.Parser }> {
  const socket = connectTcp({ host: url.hostname, port: Number(url.port || 1883), noDelay: true });
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  socket.on('data', (chunk) => parser.parse(chunk));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    parser.once('packet', (packet: mqttPacket.Packet) => {
      if (packet.cmd === 'connack' && packet.returnCode === 0) resolve();
      else reject(new Error(`broker refused the connection: ${JSON.stringify(packet)}`));
    });
    socket.once('connect', () =>
      socket.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clientId: job.clientId,
          clean: true,
          keepalive: 60,
          username: url.username || undefined,
          password: url.password ? Buffer.from(url.password) : undefined,
        }),
      ),
    );
  });
  return { socket, parser };
}

async function main(): Promise<void> {
  const { socket, parser } = await open(new URL(job.url));
  const ids = new MessageIds();
  const end = Date.now() + job.seconds * 1000;
  const started = Date.now();
  let sent = 0;
  let acked = 0;
  let inFlight = 0;
  let scheduled = false;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));

  const pump = () => {
    scheduled = false;
    const now = Date.now();
    if (now >= end) {
      if (inFlight === 0) finish();
      return;
    }
    const allowed = job.rate > 0 ? Math.floor(((now - started) / 1000) * job.rate) - sent : Infinity;
    const burst = Math.min(job.window - inFlight, allowed);
    if (burst <= 0) {
      if (job.rate > 0) setTimeout(pump, 2);
      return;
    }
    const passTime = new Date(now).toISOString();
    socket.cork();
    for (let n = 0; n < burst; n++) {
      const i = sent++;
      socket.write(
        mqttPacket.generate({
          cmd: 'publish',
          qos: 1,
          dup: false,
          retain: false,
          messageId: ids.take(),
          topic: deviceTopics[i % deviceTopics.length]!,
          payload: JSON.stringify(passage(i, passTime)),
        }),
      );
    }
    inFlight += burst;
    socket.uncork();
    if (job.rate > 0) setTimeout(pump, 2);
  };

  parser.on('packet', (packet: mqttPacket.Packet) => {
    if (packet.cmd !== 'puback' || !ids.release(packet.messageId!)) return;
    inFlight--;
    acked++;
    if (Date.now() >= end) {
      if (inFlight === 0) finish();
    } else if (!scheduled && job.rate === 0) {
      scheduled = true;
      setImmediate(pump);
    }
  });
  socket.on('close', () => finish());
  pump();
  await finished;
  socket.end(mqttPacket.generate({ cmd: 'disconnect' }));
  parentPort!.postMessage({ sent, acked });
}

void main();
