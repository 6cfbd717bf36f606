import type { PipeTransform } from '@nestjs/common';
import { WatchlistPersonBody } from '@citywatch/protocol';
import { TypeBoxPipe } from '../../common/typebox-validation.pipe';

const check = new TypeBoxPipe(WatchlistPersonBody);

/**
 * The text parts of an enrolment upload, as the console's FormData sends them (deviceIds comma-separated,
 * numbers and booleans as text), turned into a WatchlistPersonBody and validated; a 400 says what is wrong.
 */
export class WatchlistFieldsPipe implements PipeTransform<unknown, WatchlistPersonBody> {
  transform(value: unknown): WatchlistPersonBody {
    const fields = { ...((value ?? {}) as Record<string, unknown>) };
    for (const [key, field] of Object.entries(fields)) if (field === '') delete fields[key];
    if (typeof fields.priority === 'string' && /^[0-9]+$/.test(fields.priority))
      fields.priority = Number(fields.priority);
    if (fields.enabled === 'true' || fields.enabled === 'false') fields.enabled = fields.enabled === 'true';
    if (typeof fields.deviceIds === 'string') {
      fields.deviceIds = fields.deviceIds
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean);
    }
    return check.transform(fields);
  }
}
