import { describe, expect, it } from 'vitest';
import { TopicScheme } from '@citywatch/protocol';
import type { SpoolEntry } from '../spool/spool-types';
import { DevicePublisher, type PublishChannel, type SpoolQueue } from './device-publisher';

const DEVICE = '23010800001320000001';

class MemorySpool implements SpoolQueue {
  entries: SpoolEntry[] = [];
  removed: number[] = [];
  add(count: number): void {
    for (let i = 0; i < count; i += 1) {
      const seq = (this.entries.at(-1)?.seq ?? this.removed.length) + 1;
      this.entries.push({
        seq,
        deviceId: DEVICE,
        kind: 'incident',
        eventId: `e-${seq}`,
        priority: 'alert',
        payload: Buffer.from(`${seq}`),
        spooledAt: 0,
      });
    }
  }
  reads = 0;
  readAfter(_deviceId: string, afterSeq: number, limit: number): SpoolEntry[] {
    this.reads += 1;
    return this.entries.filter((e) => e.seq > afterSeq).slice(0, limit);
  }
  remove(seqs: Iterable<number>): void {
    for (const seq of seqs) {
      this.removed.push(seq);
      this.entries = this.entries.filter((e) => e.seq !== seq);
    }
  }
  lastSeq(): number {
    return Math.max(0, ...this.entries.map((e) => e.seq), ...this.removed);
  }
}

class ManualChannel implements PublishChannel {
  sent: { payload: string; done: (error?: Error) => void }[] = [];
  publishEvent(_topic: string, payload: Buffer, done: (error?: Error) => void): void {
    this.sent.push({ payload: payload.toString(), done });
  }
}

const topics = new TopicScheme('test/v1');

describe('DevicePublisher', () => {
  it('sends in spool order within the window and removes an event only when it is acknowledged', () => {
    const spool = new MemorySpool();
    const channel = new ManualChannel();
    spool.add(5);
    const publisher = new DevicePublisher({ deviceId: DEVICE, topics, spool, channel, window: 2 });
    publisher.start();
    expect(channel.sent.map((s) => s.payload)).toEqual(['1', '2']);
    expect(spool.removed).toEqual([]);
    channel.sent[0].done();
    expect(spool.removed).toEqual([1]);
    expect(channel.sent.map((s) => s.payload)).toEqual(['1', '2', '3']);
    publisher.stop();
  });

  it('reads the spool only when something was committed after what it has sent', () => {
    const spool = new MemorySpool();
    const channel = new ManualChannel();
    spool.add(10);
    const publisher = new DevicePublisher({ deviceId: DEVICE, topics, spool, channel, window: 4 });
    publisher.start();
    expect(spool.reads).toBe(1);
    // The page read once feeds the window as acknowledgements come: no read per acknowledgement.
    for (let i = 0; i < 10; i += 1) channel.sent[i].done();
    expect(channel.sent).toHaveLength(10);
    expect(spool.reads).toBe(1);
    // Caught up: notifications and acknowledgements with nothing new do not query the spool.
    publisher.notify();
    publisher.notify();
    expect(spool.reads).toBe(1);
    // New events: one read takes all of them, the notifications after it find them in the page.
    spool.add(3);
    for (let i = 0; i < 3; i += 1) publisher.notify();
    expect(spool.reads).toBe(2);
    for (const sent of channel.sent.slice(10)) sent.done();
    expect(channel.sent.map((s) => s.payload)).toEqual(Array.from({ length: 13 }, (_, i) => `${i + 1}`));
    expect(spool.reads).toBe(2);
    publisher.stop();
  });

  it('after a failed publish starts again from the oldest unacknowledged event', async () => {
    const spool = new MemorySpool();
    const channel = new ManualChannel();
    spool.add(4);
    const publisher = new DevicePublisher({ deviceId: DEVICE, topics, spool, channel, window: 3, retryDelayMs: 10 });
    publisher.start();
    channel.sent[1].done(new Error('connection closed'));
    channel.sent[0].done();
    await new Promise((resolve) => setTimeout(resolve, 30));
    // 1 was acknowledged after the failure; 2 and 3 go again, then 4.
    expect(channel.sent.slice(3).map((s) => s.payload)).toEqual(['2', '3', '4']);
    expect(spool.removed).toEqual([1]);
    publisher.stop();
  });

  it('paces the backlog and sends live events after it without pacing', async () => {
    const spool = new MemorySpool();
    const channel = new ManualChannel();
    spool.add(30);
    const publisher = new DevicePublisher({
      deviceId: DEVICE,
      topics,
      spool,
      channel,
      window: 100,
      backlogRatePerS: 100,
    });
    publisher.start();
    const acknowledgeAll = () => channel.sent.forEach((s) => s.done());
    const started = Date.now();
    while (channel.sent.length < 30 && Date.now() - started < 2000) {
      acknowledgeAll();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const elapsed = Date.now() - started;
    // 30 events at 100/s with a burst of 10: at least 0.2 s.
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(publisher.stats().sendingBacklog).toBe(false);
    spool.add(20);
    publisher.notify();
    expect(channel.sent).toHaveLength(50);
    publisher.stop();
  });
});
