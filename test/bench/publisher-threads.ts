import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { uniqueName } from '../support/services';

export interface PublishedCounts {
  sent: number;
  acked: number;
}

/**
 * Publishes passages for `lanes` from `workers` threads (`ingest-publisher.ts`, each with its share of the
 * lanes), for `seconds`, at `totalRate` events/s in all (0: as fast as the broker takes them), with
 * `window` QoS 1 messages in flight per thread. Resolves with what was sent and acknowledged.
 */
export async function publishFromThreads(options: {
  url: string;
  topicRoot: string;
  lanes: { id: string; tollgateId: string; laneNo: number }[];
  seconds: number;
  totalRate: number;
  workers: number;
  window?: number;
  name: string;
}): Promise<PublishedCounts> {
  const { workers } = options;
  const results = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      // Workers start without tsx; this registers it, then loads the TypeScript publisher.
      const entry = `require('tsx/cjs'); require(${JSON.stringify(resolve(__dirname, 'ingest-publisher.ts'))});`;
      const worker = new Worker(entry, {
        eval: true,
        workerData: {
          url: options.url,
          topicRoot: options.topicRoot,
          devices: options.lanes.filter((_, i) => i % workers === w),
          seconds: options.seconds,
          rate: options.totalRate / workers,
          window: options.window ?? 2_000,
          clientId: uniqueName(`${options.name}-${w}`),
        },
      });
      return new Promise<PublishedCounts>((done, fail) => {
        worker.once('message', (message: PublishedCounts) => done(message));
        worker.once('error', fail);
      });
    }),
  );
  return results.reduce((all, r) => ({ sent: all.sent + r.sent, acked: all.acked + r.acked }), { sent: 0, acked: 0 });
}
