import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logLevel } from '../../src/server/logger.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines when stdout is not a terminal', async () => {
    const { lines, destination } = capture();
    const logger = await createLogger({ env: {}, tty: false, destination });
    logger.info({ table: 'movies' }, 'hello');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 30, msg: 'hello', table: 'movies' });
  });

  it('pretty-prints for a terminal, and LOG_FORMAT overrides either way', async () => {
    const tty = capture();
    const pretty = await createLogger({ env: { NO_COLOR: '1' }, tty: true, destination: tty.destination });
    pretty.warn({ table: 'movies' }, 'config check: movies: column "x" is not there');
    const text = tty.lines.join('');
    expect(text).toMatch(/WARN.*config check: movies: column "x" is not there/);
    expect(text).toContain('table: "movies"');
    expect(() => JSON.parse(text)).toThrow();

    const forced = capture();
    const json = await createLogger({
      env: { LOG_FORMAT: 'json' },
      tty: true,
      destination: forced.destination,
    });
    json.info('x');
    expect(JSON.parse(forced.lines[0]!)).toMatchObject({ msg: 'x' });

    const piped = capture();
    const prettyPiped = await createLogger({
      env: { LOG_FORMAT: 'pretty' },
      tty: false,
      destination: piped.destination,
    });
    prettyPiped.info('y');
    // Piped: no colour codes even when pretty.
    expect(piped.lines.join('')).toMatch(/INFO.*: y/);
    expect(piped.lines.join('')).not.toContain('\u001b[');
  });

  it('takes LOG_LEVEL, and names the allowed levels for a bad one', async () => {
    const { lines, destination } = capture();
    const logger = await createLogger({ env: { LOG_LEVEL: 'warn' }, tty: false, destination });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['shown']);
    expect(() => logLevel({ LOG_LEVEL: 'loud' })).toThrow(
      'LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, but got: loud',
    );
  });
});
