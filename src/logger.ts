import pino, { type Logger } from 'pino';
import { type Logger as TemporalLogger, type LogLevel, type LogMetadata } from '@temporalio/common';

// Structured JSON logs. Secrets are redacted by path wherever they might be logged by mistake.
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'facebookAccessToken',
  '*.facebookAccessToken',
  'accessToken',
  '*.accessToken',
  'refreshToken',
  '*.refreshToken',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  '*.card_number',
  '*.cvv',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ name: 'parkflow', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}

/** Temporal's runtime and workflow logs, through the same logger (workflow logs carry workflowId). */
export function temporalLogger(logger: Logger): TemporalLogger {
  const at = (level: LogLevel) => (message: string, meta?: LogMetadata) => logger[pinoLevel(level)](meta ?? {}, message);
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

function pinoLevel(level: LogLevel): 'trace' | 'debug' | 'info' | 'warn' | 'error' {
  return level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
}
