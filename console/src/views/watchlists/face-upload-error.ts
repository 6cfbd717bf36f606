import type { FaceUploadError } from '@citywatch/protocol';
import { ApiError } from '../../api/api-error';

/** The refusal of an uploaded photo (no face, blurred, too small…) with its quality figures, when it is one. */
export function faceUploadError(caught: unknown): FaceUploadError | undefined {
  if (!(caught instanceof ApiError)) return undefined;
  const body = caught.body as Partial<FaceUploadError> | undefined;
  return body && typeof body.code === 'string' && typeof body.message === 'string'
    ? (body as FaceUploadError)
    : undefined;
}
