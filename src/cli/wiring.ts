/**
 * The wiring the AWS commands share, so that each command stays thin: the `--only APP_ID` check, the
 * log level of a command that shows progress on a terminal, and the logger and AWS ports built from
 * the loaded config (one ports factory; Lambda's request rate from the config).
 */
import { createAwsPorts } from '../aws/clients';
import type { AwsPorts } from '../aws/ports';
import { isValidAppId } from '../bundle/names';
import { ENV, type DeployerConfig } from '../config';
import { UsageError } from '../errors';
import { createLogger, type Logger } from '../log';

/** What a command hands the library it runs. */
export interface CommandDeps {
  config: DeployerConfig;
  logger: Logger;
  ports: AwsPorts;
}

/** `--only APP_ID`: a usage error (exit 2) unless it is an app id. */
export function checkOnlyAppId(only: string | undefined): void {
  if (only !== undefined && !isValidAppId(only))
    throw new UsageError(
      `--only "${only}" is not an app id`,
      'an app id is 3–32 characters of A-Z a-z 0-9 . _ -',
    );
}

/** On a terminal the progress lines are the human output: JSON log lines only for warnings there,
 * unless APPS_DEPLOYER_LOG_LEVEL asks for a level. */
export function progressLogLevel(config: DeployerConfig, tty: boolean): string {
  return tty && process.env[ENV.logLevel] === undefined ? 'warn' : config.logLevel;
}

/** The command's logger (at `level`, the configured one by default) and its AWS ports. */
export function wireCommand(config: DeployerConfig, level: string = config.logLevel): CommandDeps {
  const logger = createLogger({ level });
  const ports = createAwsPorts(config.aws, {
    lambdaRequestsPerSecond: config.lambdaRequestsPerSecond,
    logger,
  });
  return { config, logger, ports };
}
