import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/** Keys that never reach a log line, wherever they appear in the logged object. */
export const REDACTED_PATHS = [
  '*.secretAccessKey',
  '*.accessKeyId',
  '*.sessionToken',
  '*.credentials',
  '*.authorization',
  '*.Authorization',
  'config.webhookUrl',
  'config.notifyWebhookUrl',
  'config.alertWebhookUrl',
  'config.pushgatewayUrl',
];

export interface LogOptions {
  level?: string;
  /** Where log lines go: 2 = stderr (default; keeps stdout for results), 1 = stdout. */
  fd?: 1 | 2;
}

/**
 * Creates the root pino logger. Library code never creates loggers: it receives one (or a child
 * carrying run / bundle / app id / version / step) from the caller.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { service: 'apps-deployer' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(opts, pino.destination({ fd: options.fd ?? 2, sync: true }));
}

/** A logger that drops everything: for tests and library callers that do not want logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
