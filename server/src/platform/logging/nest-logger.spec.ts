import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { NestLogger } from './nest-logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: new NestLogger(pino({ level: 'trace' }, stream)), lines };
}

describe('NestLogger', () => {
  it('writes the message at the matching level with Nest context', () => {
    const { logger, lines } = capture();
    logger.log('Mapped {/api/alerts, GET} route', 'RouterExplorer');
    logger.verbose('details', 'Injector');
    logger.warn('careful');
    expect(lines).toMatchObject([
      { level: 30, msg: 'Mapped {/api/alerts, GET} route', context: 'RouterExplorer' },
      { level: 10, msg: 'details', context: 'Injector' },
      { level: 40, msg: 'careful' },
    ]);
    expect(lines[2]).not.toHaveProperty('context');
  });

  it("turns an exception handler's (message, stack, context) into an error with that stack", () => {
    const { logger, lines } = capture();
    const stack = 'Error: boom\n    at handler (/srv/app.js:1:1)';
    logger.error('boom', stack, 'ExceptionsHandler');
    expect(lines[0]).toMatchObject({ level: 50, context: 'ExceptionsHandler', err: { message: 'boom', stack } });
  });

  it('logs Error objects and plain objects as fields', () => {
    const { logger, lines } = capture();
    logger.error(new Error('refused'), 'Bootstrap');
    logger.debug({ queue: 'passages', depth: 3 });
    expect(lines[0]).toMatchObject({ level: 50, context: 'Bootstrap', err: { message: 'refused' } });
    expect(lines[1]).toMatchObject({ level: 20, queue: 'passages', depth: 3 });
  });
});
