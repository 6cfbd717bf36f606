import { Controller, Get, Query } from '@nestjs/common';
import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID_PATTERN } from '@citywatch/protocol';
import { Roles } from '../auth/auth.decorators';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { DEAD_LETTER_REASONS, DeadLetterRepository, type StoredDeadLetter } from './dead-letter.repository';

const DeadLetterQuery = Type.Object(
  {
    deviceId: Type.Optional(Type.String({ pattern: DEVICE_ID_PATTERN })),
    reason: Type.Optional(Type.Union(DEAD_LETTER_REASONS.map((r) => Type.Literal(r)))),
    before: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
  },
  { additionalProperties: false },
);

/** What devices sent that the hub refused, newest first, for installers and administrators. */
@Controller('api/dead-letters')
@Roles('admin')
export class DeadLettersController {
  constructor(private readonly repository: DeadLetterRepository) {}

  @Get()
  async list(
    @Query(new TypeBoxPipe(DeadLetterQuery, { convert: true })) query: Static<typeof DeadLetterQuery>,
  ): Promise<{ items: StoredDeadLetter[]; nextBefore: string | null; countsByReason: Record<string, number> }> {
    const items = await this.repository.list(query);
    return {
      items,
      nextBefore: items.length === query.limit ? items[items.length - 1]!.id : null,
      countsByReason: await this.repository.countByReason(),
    };
  }
}
