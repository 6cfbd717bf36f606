import { BadRequestException, type PipeTransform } from '@nestjs/common';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';

/**
 * Validates a request body or query against a TypeBox schema; a 400 lists what is wrong.
 * Query strings arrive as text, so values are converted to the schema's types first.
 */
export class TypeBoxPipe<S extends TSchema> implements PipeTransform<unknown, Static<S>> {
  private readonly check;

  constructor(
    private readonly schema: S,
    private readonly options: { convert?: boolean } = {},
  ) {
    this.check = TypeCompiler.Compile(schema);
  }

  transform(value: unknown): Static<S> {
    let candidate = value;
    if (this.options.convert)
      candidate = Value.Convert(this.schema, Value.Default(this.schema, Value.Clone(value ?? {})));
    if (this.check.Check(candidate)) return candidate;
    const errors = [...this.check.Errors(candidate)].slice(0, 10).map((e) => `${e.path || '/'}: ${e.message}`);
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: errors.join('; '), errors });
  }
}
