import type { NestExpressApplication } from '@nestjs/platform-express';
import { json, urlencoded, type NextFunction, type Request, type Response } from 'express';
import type { HubConfig } from '../platform/config/hub-config';

/**
 * Body size limits on every request (HTTP_BODY_LIMIT; the registry import gets REGISTRY_BODY_LIMIT), and a
 * JSON answer with a message when a body is too large (413) or not valid JSON (400), before any handler runs.
 * Start Nest with `bodyParser: false` so these are the only parsers. Multipart uploads set their own limits.
 */
export function installRequestLimits(app: NestExpressApplication, config: HubConfig): void {
  app.use('/api/registry/import', json({ limit: config.REGISTRY_BODY_LIMIT }));
  app.use(json({ limit: config.HTTP_BODY_LIMIT }));
  app.use(urlencoded({ extended: false, limit: config.HTTP_BODY_LIMIT }));
  app.use(bodyErrorsAsJson);
}

function bodyErrorsAsJson(error: unknown, _request: Request, response: Response, next: NextFunction): void {
  const failure = error as { status?: number; type?: string; message?: string; limit?: number };
  if (!failure || typeof failure.status !== 'number' || failure.status < 400 || failure.status >= 500) {
    next(error);
    return;
  }
  const message =
    failure.type === 'entity.too.large'
      ? `request body too large (limit ${failure.limit ?? '?'} bytes)`
      : failure.type === 'entity.parse.failed'
        ? `request body is not valid JSON: ${failure.message ?? ''}`
        : (failure.message ?? 'bad request');
  response.status(failure.status).json({
    statusCode: failure.status,
    error: failure.status === 413 ? 'Payload Too Large' : 'Bad Request',
    message,
  });
}
