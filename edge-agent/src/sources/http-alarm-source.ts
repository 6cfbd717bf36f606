import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { imageFileName, type ImageStore } from '../images/image-store';
import { silentLogger, type Logger } from '../util/logger';
import { uuidV7 } from '../util/uuid-v7';
import { looksLikeJpeg, notificationToDraft, parseCameraNotification, type LaneDefaults } from './camera-notification';
import { EventRejectedError, type EventSink, type EventSource, type SourceContext } from './event-source';

export interface HttpAlarmOptions {
  host?: string;
  /** 0 picks a free port (tests); read it back from `port` after start. */
  port: number;
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest accepted body (default 1 MiB). */
  maxBodyBytes?: number;
  images: ImageStore;
  lanes?: (deviceId: string) => LaneDefaults | undefined;
  logger?: Logger;
}

export const NOTIFICATION_PATH = '/api/v1/notifications';

const STATUS_BY_REASON: Record<string, number> = { unknown_device: 404, spool_full: 503, oversize: 413 };

/**
 * An HTTP receiver for cameras that push alarm notifications: POST a JSON notification (with the
 * JPEG in base64) to /api/v1/notifications; 202 with the event id once it is spooled, or an error
 * status with the reason and every problem found. Also serves the stored images the events refer to.
 */
export class HttpAlarmSource implements EventSource {
  readonly name = 'http-alarm-receiver';
  private server: Server | undefined;
  private sink: EventSink | undefined;
  private readonly logger: Logger;
  readonly counters = { accepted: 0, rejected: 0 };

  constructor(private readonly options: HttpAlarmOptions) {
    this.logger = (options.logger ?? silentLogger).child({ source: this.name });
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.options.port;
  }

  async start(context: SourceContext): Promise<void> {
    this.sink = context.sink;
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        this.logger.error('request failed', { error });
        if (!response.headersSent) send(response, 500, { reason: 'error', message: 'internal error' });
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host ?? '0.0.0.0', () => resolve());
    });
    this.logger.info('listening', { port: this.port });
  }

  async stop(): Promise<void> {
    this.sink = undefined;
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://agent');
    if (request.method === 'GET' && url.pathname === '/health') return send(response, 200, { status: 'ok' });
    if (this.options.token && request.headers.authorization !== `Bearer ${this.options.token}`) {
      return send(response, 401, { reason: 'unauthorized', message: 'missing or wrong bearer token' });
    }
    const image = /^\/images\/([0-9]{20})\/([^/]+)$/.exec(url.pathname);
    if (request.method === 'GET' && image) return this.serveImage(image[1], image[2], response);
    if (url.pathname !== NOTIFICATION_PATH)
      return send(response, 404, { reason: 'not_found', message: `no route ${url.pathname}` });
    if (request.method !== 'POST') return send(response, 405, { reason: 'method', message: 'POST a notification' });
    if (!(request.headers['content-type'] ?? '').includes('application/json')) {
      return send(response, 415, { reason: 'bad_input', message: 'the body must be application/json' });
    }
    const body = await readBody(request, this.options.maxBodyBytes ?? 1024 * 1024);
    if (body === undefined) return send(response, 413, { reason: 'oversize', message: 'body too large' });
    try {
      const accepted = await this.accept(body);
      this.counters.accepted += 1;
      send(response, 202, accepted);
    } catch (error) {
      if (!(error instanceof EventRejectedError)) throw error;
      this.counters.rejected += 1;
      const status = STATUS_BY_REASON[error.reason] ?? 400;
      if (status === 503) response.setHeader('Retry-After', '5');
      send(response, status, { reason: error.reason, message: error.message, errors: error.errors });
    }
  }

  private async accept(body: Buffer): Promise<{ eventId: string; kind: string }> {
    const sink = this.sink;
    if (!sink) throw new EventRejectedError('spool_full', 'the agent is stopping');
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      throw new EventRejectedError('invalid_json', `body is not valid JSON: ${(error as Error).message}`);
    }
    const notification = parseCameraNotification(json);
    const deviceId = notification.deviceId;
    if (deviceId === undefined)
      throw new EventRejectedError('bad_input', 'deviceId is required', ['/deviceId: required']);
    if (!sink.hasDevice(deviceId))
      throw new EventRejectedError('unknown_device', `device ${deviceId} is not configured on this agent`);
    const jpeg = notification.imageBase64 !== undefined ? Buffer.from(notification.imageBase64, 'base64') : undefined;
    if (jpeg && !looksLikeJpeg(jpeg))
      throw new EventRejectedError('bad_input', 'imageBase64 is not a JPEG', ['/imageBase64: not a JPEG']);
    // The id is fixed here, not by the intake, because a stored picture is named after it.
    const withId = { ...notification, eventId: notification.eventId ?? uuidV7() };
    const imageName = imageFileName(withId.eventId);
    const image = jpeg ? { jpeg, ref: this.options.images.refOf(deviceId, imageName) } : undefined;
    const { draft, refersToImage } = notificationToDraft(withId, image, this.options.lanes?.(deviceId));
    // Validate first: a refused event stores nothing, and every reason is a 4xx, not a failed file write.
    sink.check(deviceId, draft);
    if (jpeg && refersToImage) await this.options.images.save(deviceId, imageName, jpeg);
    const { eventId, kind } = await sink.submit(deviceId, draft, { priority: notification.priority });
    return { eventId, kind };
  }

  private async serveImage(deviceId: string, name: string, response: ServerResponse): Promise<void> {
    const path = this.options.images.pathOf(deviceId, name);
    const info = path ? await stat(path).catch(() => undefined) : undefined;
    if (!path || !info?.isFile()) return send(response, 404, { reason: 'not_found', message: 'no such image' });
    response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': info.size });
    createReadStream(path).pipe(response);
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(over ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
