import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { isDeviceId } from '@citywatch/protocol';
import { imageFileName, type ImageStore } from '../images/image-store';
import { silentLogger, type Logger } from '../util/logger';
import { looksLikeJpeg, notificationToDraft, parseCameraNotification, type LaneDefaults } from './camera-notification';
import { EventRejectedError, type EventSink, type EventSource, type SourceContext } from './event-source';

export interface FolderWatchOptions {
  /** The folder a camera uploads to (FTP). */
  path: string;
  /** The device whose uploads these are; without it, each sub-folder named by a device id is that device's. */
  deviceId?: string;
  pollMs?: number;
  /** A file is complete once it has not changed for this long (an FTP upload in progress keeps changing). */
  settleMs?: number;
  images: ImageStore;
  /** Lane facts per device, for checkpoints whose sidecars leave them out. */
  lanes?: (deviceId: string) => LaneDefaults | undefined;
  logger?: Logger;
}

export const REJECTED_FOLDER = 'rejected';
const ORPHAN_JPEG_FACTOR = 10;
/** Passes an upload may fail for reasons other than its content before it is moved aside. */
export const MAX_ATTEMPTS = 3;

interface Upload {
  deviceId: string;
  folder: string;
  name: string;
  sidecar?: { path: string; mtimeMs: number; size: number };
  jpeg?: { path: string; mtimeMs: number };
}

/**
 * Watches folders where cameras drop a JPEG and a JSON sidecar with the same base name (the usual
 * FTP upload of checkpoint cameras). Complete pairs become events; the files are removed once the
 * event is in the spool. Bad pairs move to `rejected/` beside a `.reason.json` saying why.
 */
export class FolderWatchSource implements EventSource {
  readonly name: string;
  private timer: NodeJS.Timeout | undefined;
  private sink: EventSink | undefined;
  private scanning: Promise<void> | undefined;
  private readonly logger: Logger;
  readonly counters = { accepted: 0, rejected: 0 };
  private readonly attempts = new Map<string, number>();

  constructor(private readonly options: FolderWatchOptions) {
    this.name = `folder:${options.path}`;
    this.logger = (options.logger ?? silentLogger).child({ source: this.name });
  }

  async start(context: SourceContext): Promise<void> {
    this.sink = context.sink;
    await mkdir(this.options.path, { recursive: true });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    if (this.timer) clearTimeout(this.timer);
    await this.scanning;
  }

  /**
   * One pass over the folder; the poll timer calls it, tests may too. One upload's trouble never stops
   * the pass: a refused upload moves to `rejected/`, one that fails otherwise (an unreadable file, a full
   * disk) is tried again on the next passes and moved aside after MAX_ATTEMPTS. Only a full spool ends
   * the pass, so that uploads are taken in order once there is room again.
   */
  async scanOnce(now = Date.now()): Promise<void> {
    const sink = this.sink;
    if (!sink) return;
    for (const upload of await this.findUploads()) {
      if (!this.sink) return;
      try {
        if ((await this.consider(upload, sink, now)) === 'spool_full') return;
      } catch (error) {
        await this.failed(upload, error).catch((failure: unknown) =>
          this.logger.error('could not move a failing upload aside', {
            deviceId: upload.deviceId,
            upload: upload.name,
            error: failure,
          }),
        );
      }
    }
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.scanning = this.scanOnce()
        .catch((error: unknown) => this.logger.error('folder scan failed', { error }))
        .finally(() => {
          if (this.sink) this.schedule(this.options.pollMs ?? 1000);
        });
    }, delayMs);
  }

  private async findUploads(): Promise<Upload[]> {
    const folders: { deviceId: string; folder: string }[] = [];
    if (this.options.deviceId) folders.push({ deviceId: this.options.deviceId, folder: this.options.path });
    else {
      for (const entry of await readdir(this.options.path, { withFileTypes: true })) {
        if (entry.isDirectory() && isDeviceId(entry.name))
          folders.push({ deviceId: entry.name, folder: join(this.options.path, entry.name) });
      }
    }
    const uploads: Upload[] = [];
    for (const { deviceId, folder } of folders) {
      const byName = new Map<string, Upload>();
      for (const entry of await readdir(folder, { withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const match = /^(.+)\.(json|jpe?g)$/i.exec(entry.name);
        if (!match) continue;
        const path = join(folder, entry.name);
        const info = await stat(path).catch(() => undefined);
        if (!info) continue;
        const upload = byName.get(match[1]) ?? { deviceId, folder, name: match[1] };
        if (match[2].toLowerCase() === 'json') upload.sidecar = { path, mtimeMs: info.mtimeMs, size: info.size };
        else upload.jpeg = { path, mtimeMs: info.mtimeMs };
        byName.set(match[1], upload);
      }
      uploads.push(...byName.values());
    }
    const time = (upload: Upload) => upload.sidecar?.mtimeMs ?? upload.jpeg?.mtimeMs ?? 0;
    return uploads.sort((a, b) => time(a) - time(b) || a.name.localeCompare(b.name));
  }

  private async consider(upload: Upload, sink: EventSink, now: number): Promise<'spool_full' | undefined> {
    const settle = this.options.settleMs ?? 2000;
    const newest = Math.max(upload.sidecar?.mtimeMs ?? 0, upload.jpeg?.mtimeMs ?? 0);
    if (now - newest < settle) return;
    if (!upload.sidecar) {
      if (upload.jpeg && now - upload.jpeg.mtimeMs > settle * ORPHAN_JPEG_FACTOR) {
        await this.reject(
          upload,
          new EventRejectedError('bad_input', 'JPEG without a JSON sidecar', ['/sidecar: missing']),
        );
      }
      return;
    }
    try {
      const notification = parseCameraNotification(JSON.parse(await readFile(upload.sidecar.path, 'utf8')) as unknown);
      if (notification.deviceId !== undefined && notification.deviceId !== upload.deviceId) {
        throw new EventRejectedError(
          'device_mismatch',
          `sidecar names device ${notification.deviceId}, the folder is ${upload.deviceId}'s`,
        );
      }
      const eventId = notification.eventId ?? this.stableEventId(upload);
      const jpeg = upload.jpeg ? await readFile(upload.jpeg.path) : undefined;
      if (jpeg && !looksLikeJpeg(jpeg))
        throw new EventRejectedError('bad_input', `${basename(upload.jpeg!.path)} is not a JPEG`);
      const imageName = imageFileName(eventId);
      const { draft, refersToImage } = notificationToDraft(
        { ...notification, eventId },
        jpeg ? { jpeg, ref: this.options.images.refOf(upload.deviceId, imageName) } : undefined,
        this.options.lanes?.(upload.deviceId),
      );
      // Validate first: a refused upload leaves nothing in the image store.
      sink.check(upload.deviceId, draft);
      // Copy, not move: the upload stays until the event is spooled, so a crash loses nothing.
      if (upload.jpeg && refersToImage) await this.options.images.copyIn(upload.deviceId, imageName, upload.jpeg.path);
      await sink.submit(upload.deviceId, draft, { priority: notification.priority });
      this.counters.accepted += 1;
      this.attempts.delete(uploadKey(upload));
      await unlink(upload.sidecar.path);
      if (upload.jpeg) await unlink(upload.jpeg.path).catch(() => undefined);
    } catch (error) {
      if (error instanceof EventRejectedError && error.reason === 'spool_full') {
        this.logger.warn('spool full, the upload waits for the next poll', {
          deviceId: upload.deviceId,
          upload: upload.name,
        });
        return 'spool_full';
      }
      const rejection =
        error instanceof EventRejectedError
          ? error
          : error instanceof SyntaxError
            ? new EventRejectedError('invalid_json', `sidecar is not valid JSON: ${error.message}`)
            : undefined;
      if (!rejection) throw error;
      await this.reject(upload, rejection);
    }
    return undefined;
  }

  /** An upload failed for a reason that is not its content: try again next pass, move aside after MAX_ATTEMPTS. */
  private async failed(upload: Upload, error: unknown): Promise<void> {
    const key = uploadKey(upload);
    const attempts = (this.attempts.get(key) ?? 0) + 1;
    this.logger.error('upload failed', { deviceId: upload.deviceId, upload: upload.name, attempts, error });
    if (attempts < MAX_ATTEMPTS) {
      this.attempts.set(key, attempts);
      return;
    }
    this.attempts.delete(key);
    const message = error instanceof Error ? error.message : String(error);
    await this.reject(
      upload,
      new EventRejectedError('bad_input', `failed ${attempts} times: ${message}`, [`/: ${message}`]),
      'error',
    );
  }

  /** Same upload, same id: a re-scan after a crash produces the same event, which the hub stores once. */
  private stableEventId(upload: Upload): string {
    const digest = createHash('sha256')
      .update(`${upload.deviceId}/${upload.name}/${upload.sidecar?.size}/${upload.sidecar?.mtimeMs}`)
      .digest('hex');
    return `fw-${digest.slice(0, 40)}`;
  }

  private async reject(upload: Upload, rejection: EventRejectedError, reasonOverride?: string): Promise<void> {
    this.counters.rejected += 1;
    const folder = join(upload.folder, REJECTED_FOLDER);
    await mkdir(folder, { recursive: true });
    for (const file of [upload.sidecar?.path, upload.jpeg?.path]) {
      if (file) await rename(file, join(folder, basename(file))).catch(() => undefined);
    }
    const reason = {
      reason: reasonOverride ?? rejection.reason,
      message: rejection.message,
      errors: rejection.errors,
      at: new Date().toISOString(),
    };
    await writeFile(join(folder, `${upload.name}.reason.json`), JSON.stringify(reason, null, 2));
    this.logger.warn('upload rejected', { deviceId: upload.deviceId, upload: upload.name, ...reason });
  }
}

function uploadKey(upload: Upload): string {
  return `${upload.deviceId}/${upload.name}`;
}
