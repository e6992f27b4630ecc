/**
 * The server's logger: pino JSON lines for log collectors, or pino-pretty's coloured one-line
 * form when a person reads the terminal. `LOG_LEVEL` sets the level (default info);
 * `LOG_FORMAT=json|pretty` overrides the choice made from whether stdout is a TTY.
 */
import { type Logger, pino } from 'pino';
import { ConfigError } from '../errors.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export interface LoggerOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** Whether stdout is a terminal (process.stdout.isTTY). */
  tty: boolean;
  /** Where lines go; stdout by default. A test seam. */
  destination?: NodeJS.WritableStream;
}

export function logLevel(env: LoggerOptions['env']): string {
  const level = env['LOG_LEVEL']?.trim().toLowerCase() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    // A ConfigError: the CLI prints it as one line and exits 2, like a bad config key.
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, but got: ${env['LOG_LEVEL']}`);
  }
  return level;
}

export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const level = logLevel(options.env);
  const format = options.env['LOG_FORMAT']?.trim().toLowerCase();
  const pretty = format === 'pretty' || (format !== 'json' && options.tty);
  if (!pretty) {
    return options.destination ? pino({ level }, options.destination) : pino({ level });
  }
  // Loaded only for a terminal: JSON logging (servers, containers) never pays for it. Run in
  // this thread as a stream, not as a worker transport, so the lines keep their order with
  // what the CLI prints itself.
  const { default: prettyStream } = await import('pino-pretty');
  const stream = prettyStream({
    colorize: options.tty && options.env['NO_COLOR'] === undefined,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    sync: true,
    ...(options.destination ? { destination: options.destination } : {}),
  });
  return pino({ level }, stream);
}
