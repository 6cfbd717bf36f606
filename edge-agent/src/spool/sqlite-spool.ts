import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { EventKind } from '@citywatch/protocol';
import {
  EVENT_PRIORITIES,
  SpoolFullError,
  type EventPriority,
  type NewSpoolEntry,
  type SpoolEntry,
  type SpoolStats,
} from './spool-types';

/**
 * When the spool forces its writes to disk.
 *  - `commit`: every group commit ends with an fsync of the write-ahead log (SQLite WAL,
 *    synchronous=FULL). An accepted event survives a power cut.
 *  - `checkpoint`: fsync only when the WAL is checkpointed (synchronous=NORMAL). An accepted event
 *    survives the agent crashing or being killed, but the last commits may be lost on a power cut.
 */
export type SpoolSyncPolicy = 'commit' | 'checkpoint';

export interface SqliteSpoolOptions {
  /** File path, or ':memory:' for tests that need no durability. */
  path: string;
  /** Payload bytes the spool may hold before it evicts (default 512 MiB). */
  maxBytes?: number;
  sync?: SpoolSyncPolicy;
  /** How long appends and removals wait to share one transaction (default 10 ms). */
  commitIntervalMs?: number;
  /** A group commit happens at once when this many operations are waiting (default 1000). */
  maxBatch?: number;
}

interface PendingAppend {
  entry: NewSpoolEntry;
  resolve: (entry: SpoolEntry) => void;
  reject: (error: Error) => void;
}

interface Row {
  seq: number;
  device_id: string;
  kind: string;
  event_id: string;
  priority: number;
  spooled_at: number;
  payload: Buffer;
}

const PRIORITY_RANK: Record<EventPriority, number> = { low: 0, normal: 1, alert: 2 };

/**
 * The durable store-and-forward queue: events are appended (and fsynced as the policy says) before
 * they are published, and removed only when the broker has acknowledged them. Appends and removals
 * are grouped into one transaction every `commitIntervalMs`, so one fsync covers many events.
 */
export class SqliteSpool {
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly commitIntervalMs: number;
  private readonly maxBatch: number;
  private pendingAppends: PendingAppend[] = [];
  private pendingRemovals = new Set<number>();
  private commitTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private totalBytes = 0;
  private readonly depthByDevice = new Map<string, number>();
  private readonly lastSeqByDevice = new Map<string, number>();
  private readonly counters = {
    appended: 0,
    removed: 0,
    refused: 0,
    commits: 0,
    evicted: { low: 0, normal: 0, alert: 0 } as Record<EventPriority, number>,
  };
  private readonly statements: {
    insert: Database.Statement;
    remove: Database.Statement;
    readAfter: Database.Statement;
    oldestOfPriority: Database.Statement;
  };

  constructor(options: SqliteSpoolOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${(options.sync ?? 'commit') === 'commit' ? 'FULL' : 'NORMAL'}`);
    this.maxBytes = options.maxBytes ?? 512 * 1024 * 1024;
    this.commitIntervalMs = options.commitIntervalMs ?? 10;
    this.maxBatch = options.maxBatch ?? 1000;
    // AUTOINCREMENT: a seq is never reused, even after the newest rows were removed, so order holds.
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS spool (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        device_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        event_id TEXT NOT NULL,
        priority INTEGER NOT NULL,
        spooled_at INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        payload BLOB NOT NULL
      );
      CREATE INDEX IF NOT EXISTS spool_by_device ON spool (device_id, seq);
      CREATE INDEX IF NOT EXISTS spool_by_priority ON spool (priority, seq);
    `);
    this.statements = {
      insert: this.db.prepare(
        'INSERT INTO spool (device_id, kind, event_id, priority, spooled_at, bytes, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      remove: this.db.prepare('DELETE FROM spool WHERE seq = ? RETURNING device_id, bytes'),
      readAfter: this.db.prepare(
        'SELECT seq, device_id, kind, event_id, priority, spooled_at, payload FROM spool WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      oldestOfPriority: this.db.prepare('SELECT seq FROM spool WHERE priority = ? ORDER BY seq LIMIT ?'),
    };
    const totals = this.db
      .prepare(
        'SELECT device_id, COUNT(*) AS depth, SUM(bytes) AS bytes, MAX(seq) AS last FROM spool GROUP BY device_id',
      )
      .all() as { device_id: string; depth: number; bytes: number; last: number }[];
    for (const row of totals) {
      this.depthByDevice.set(row.device_id, row.depth);
      this.lastSeqByDevice.set(row.device_id, row.last);
      this.totalBytes += row.bytes;
    }
  }

  /**
   * Resolves once the event is committed to disk: from then on the agent has accepted it.
   * Rejects with SpoolFullError when no room can be made without dropping an alert.
   */
  append(entry: NewSpoolEntry): Promise<SpoolEntry> {
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    return new Promise((resolve, reject) => {
      this.pendingAppends.push({ entry, resolve, reject });
      this.scheduleCommit();
    });
  }

  /** Marks events as delivered; they are deleted in the next group commit. */
  remove(seqs: Iterable<number>): void {
    if (this.closed) return;
    for (const seq of seqs) this.pendingRemovals.add(seq);
    this.scheduleCommit();
  }

  /** Committed events of one device after `afterSeq`, oldest first, skipping those already delivered. */
  readAfter(deviceId: string, afterSeq: number, limit: number): SpoolEntry[] {
    const rows = this.statements.readAfter.all(deviceId, afterSeq, limit) as Row[];
    const entries: SpoolEntry[] = [];
    for (const row of rows) {
      if (this.pendingRemovals.has(row.seq)) continue;
      entries.push({
        seq: row.seq,
        deviceId: row.device_id,
        kind: row.kind as EventKind,
        eventId: row.event_id,
        priority: EVENT_PRIORITIES[row.priority],
        spooledAt: row.spooled_at,
        payload: row.payload,
      });
    }
    return entries;
  }

  /** The newest committed seq of a device (0 when it has never spooled anything here). */
  lastSeq(deviceId: string): number {
    return this.lastSeqByDevice.get(deviceId) ?? 0;
  }

  depth(deviceId?: string): number {
    if (deviceId !== undefined) return this.depthByDevice.get(deviceId) ?? 0;
    let total = 0;
    for (const depth of this.depthByDevice.values()) total += depth;
    return total;
  }

  stats(): SpoolStats {
    return {
      depth: this.depth(),
      bytes: this.totalBytes,
      maxBytes: this.maxBytes,
      appended: this.counters.appended,
      removed: this.counters.removed,
      evicted: { ...this.counters.evicted },
      refused: this.counters.refused,
      commits: this.counters.commits,
    };
  }

  /** Commits what is waiting, then closes the file. */
  close(): void {
    if (this.closed) return;
    this.commitNow();
    this.closed = true;
    if (this.commitTimer) clearTimeout(this.commitTimer);
    this.db.close();
  }

  /** Runs the group commit now (normally a timer does). */
  commitNow(): void {
    if (this.commitTimer) {
      clearTimeout(this.commitTimer);
      this.commitTimer = undefined;
    }
    if (this.closed || (this.pendingAppends.length === 0 && this.pendingRemovals.size === 0)) return;
    const appends = this.pendingAppends;
    const removals = this.pendingRemovals;
    this.pendingAppends = [];
    this.pendingRemovals = new Set();
    const outcomes: { pending: PendingAppend; result: SpoolEntry | Error }[] = [];
    const undo = { bytes: this.totalBytes, depth: new Map(this.depthByDevice), last: new Map(this.lastSeqByDevice) };
    try {
      this.db.transaction(() => {
        for (const seq of removals) {
          if (this.deleteRow(seq)) this.counters.removed += 1;
        }
        const now = Date.now();
        for (const pending of appends) {
          const { entry } = pending;
          const bytes = entry.payload.byteLength;
          const refusal = this.makeRoom(bytes);
          if (refusal) {
            outcomes.push({ pending, result: refusal });
            continue;
          }
          const info = this.statements.insert.run(
            entry.deviceId,
            entry.kind,
            entry.eventId,
            PRIORITY_RANK[entry.priority],
            now,
            bytes,
            entry.payload,
          );
          const seq = Number(info.lastInsertRowid);
          this.totalBytes += bytes;
          this.depthByDevice.set(entry.deviceId, (this.depthByDevice.get(entry.deviceId) ?? 0) + 1);
          this.lastSeqByDevice.set(entry.deviceId, seq);
          outcomes.push({ pending, result: { ...entry, seq, spooledAt: now } });
        }
      })();
    } catch (error) {
      this.totalBytes = undo.bytes;
      this.restoreMap(this.depthByDevice, undo.depth);
      this.restoreMap(this.lastSeqByDevice, undo.last);
      for (const seq of removals) this.pendingRemovals.add(seq);
      for (const pending of appends) pending.reject(error as Error);
      return;
    }
    this.counters.commits += 1;
    for (const { pending, result } of outcomes) {
      if (result instanceof Error) {
        this.counters.refused += 1;
        pending.reject(result);
      } else {
        this.counters.appended += 1;
        pending.resolve(result);
      }
    }
  }

  private scheduleCommit(): void {
    if (this.pendingAppends.length + this.pendingRemovals.size >= this.maxBatch) {
      this.commitNow();
      return;
    }
    if (!this.commitTimer) {
      this.commitTimer = setTimeout(() => {
        this.commitTimer = undefined;
        this.commitNow();
      }, this.commitIntervalMs);
    }
  }

  /** Evicts the oldest low-priority events, then the oldest normal ones; never alerts. */
  private makeRoom(incomingBytes: number): SpoolFullError | undefined {
    if (incomingBytes > this.maxBytes) {
      return new SpoolFullError(
        `event of ${incomingBytes} bytes is larger than the whole spool (${this.maxBytes} bytes)`,
      );
    }
    for (const priority of ['low', 'normal'] as const) {
      while (this.totalBytes + incomingBytes > this.maxBytes) {
        const victims = this.statements.oldestOfPriority.all(PRIORITY_RANK[priority], 64) as { seq: number }[];
        if (victims.length === 0) break;
        for (const { seq } of victims) {
          if (this.totalBytes + incomingBytes <= this.maxBytes) break;
          if (this.deleteRow(seq)) this.counters.evicted[priority] += 1;
        }
      }
    }
    if (this.totalBytes + incomingBytes > this.maxBytes) {
      return new SpoolFullError(
        `spool is full: ${this.totalBytes} of ${this.maxBytes} bytes are alerts waiting for the broker, which are never dropped`,
      );
    }
    return undefined;
  }

  private deleteRow(seq: number): boolean {
    const row = this.statements.remove.get(seq) as { device_id: string; bytes: number } | undefined;
    if (!row) return false;
    this.totalBytes -= row.bytes;
    const depth = (this.depthByDevice.get(row.device_id) ?? 1) - 1;
    if (depth > 0) this.depthByDevice.set(row.device_id, depth);
    else this.depthByDevice.delete(row.device_id);
    return true;
  }

  private restoreMap<K, V>(target: Map<K, V>, source: Map<K, V>): void {
    target.clear();
    for (const [key, value] of source) target.set(key, value);
  }
}
