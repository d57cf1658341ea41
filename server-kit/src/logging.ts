import { createRequire } from 'node:module';
import type { LoggerOptions } from 'pino';
import type { EnvReader } from './env';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `json`: one JSON object a line, for machines; `pretty`: coloured lines for a person. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogSettings {
  level: LogLevel;
  format: LogFormat;
}

/**
 * `COFFRE_LOG_LEVEL` and `COFFRE_LOG_FORMAT`. Without a format: pretty for a person at a terminal
 * in development, JSON for everything else (a pipe, a file, a log collector, NODE_ENV=production).
 */
export function logSettings(
  read: EnvReader,
  atTerminal = process.stdout.isTTY === true,
): LogSettings {
  const pretty = atTerminal && read.raw('NODE_ENV') !== 'production';
  return {
    level: read.choice('COFFRE_LOG_LEVEL', LOG_LEVELS, 'info'),
    format: read.choice('COFFRE_LOG_FORMAT', LOG_FORMATS, pretty ? 'pretty' : 'json'),
  };
}

// Resolved here, where it is a dependency: pino loads a transport by name from its own place.
const PINO_PRETTY = createRequire(import.meta.url).resolve('pino-pretty');

/** The pino options that write `format`: JSON is pino's own; pretty goes through pino-pretty. */
export function logDestination(format: LogFormat): Pick<LoggerOptions, 'transport'> {
  if (format === 'json') return {};
  return {
    transport: {
      target: PINO_PRETTY,
      // One line per entry, the clock time and the message first; the process id and host name
      // say nothing at a terminal.
      options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', singleLine: true },
    },
  };
}
