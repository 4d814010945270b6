import { pino, type Logger } from 'pino';
import type { LogLevel } from '../shared/log-levels.js';

export type { Logger };

/** Structured JSON logs on stdout; every thread names itself in `thread`. */
export function createLogger(thread: string, level: LogLevel | string = process.env.FERRY_LOG_LEVEL || 'info'): Logger {
  return pino({ level: level as LogLevel, base: { pid: process.pid, thread } });
}
