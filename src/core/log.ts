import { pino, destination } from 'pino';

/**
 * Structured logs: one JSON object per line on stderr (stdout is for command output such as
 * `recognize --jsonl` and the demo's plate reads). Modules get a child logger named after
 * themselves; nothing secret is ever logged.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export function createLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { app: 'smartgate' } }, destination({ fd: 2, sync: true }));
}

/** A logger that drops everything, for tests and quiet commands. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
