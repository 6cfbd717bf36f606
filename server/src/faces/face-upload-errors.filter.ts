import { type ArgumentsHost, Catch, type ExceptionFilter, Inject, PayloadTooLargeException } from '@nestjs/common';
import type { Response } from 'express';
import type { FaceUploadError } from '@citywatch/protocol';
import { HUB_CONFIG } from '../platform/config/config.tokens';
import type { HubConfig } from '../platform/config/hub-config';

/** multer's "File too large" answered as a FaceUploadError (413, code too_large). */
@Catch(PayloadTooLargeException)
export class FaceUploadErrorsFilter implements ExceptionFilter {
  constructor(@Inject(HUB_CONFIG) private readonly config: HubConfig) {}

  catch(_exception: PayloadTooLargeException, host: ArgumentsHost): void {
    const body: FaceUploadError = {
      statusCode: 413,
      error: 'Payload Too Large',
      code: 'too_large',
      message: `the photo is larger than ${this.config.FACE_UPLOAD_MAX_BYTES} bytes (FACE_UPLOAD_MAX_BYTES)`,
    };
    host.switchToHttp().getResponse<Response>().status(413).json(body);
  }
}
