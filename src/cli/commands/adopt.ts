/**
 * `apps-deployer adopt [--only APP_ID] [--apply] [--json]`: takes over the functions appsctl or the
 * upstream deployer created (untagged) where they match a provisioned manifest and its release bundle,
 * and upstream's invoke policy (src/adopt). A dry run unless --apply. Exit 0 nothing is left that is
 * not the deployer's (all adopted, or nothing to adopt) · 1 something was reported as not adoptable
 * (left alone) · 2 usage or configuration (no execute role, access denied) · 3 another run holds the
 * lock (--apply) · 4 AWS unavailable.
 */
import { adopt } from '../../adopt';
import { formatAdoptReport } from '../../adopt/format';
import { createAwsPorts } from '../../aws/clients';
import { toRunError } from '../../aws/failure-class';
import { isValidAppId } from '../../bundle/names';
import { loadConfig } from '../../config';
import { UsageError } from '../../errors';
import { createLogger } from '../../log';
import { printJson } from '../json';

export interface AdoptCliOptions {
  only?: string;
  apply?: boolean;
  json?: boolean;
}

export async function run(opts: AdoptCliOptions): Promise<number> {
  if (opts.only !== undefined && !isValidAppId(opts.only))
    throw new UsageError(
      `--only "${opts.only}" is not an app id`,
      'an app id is 3–32 characters of A-Z a-z 0-9 . _ -',
    );
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const ports = createAwsPorts(config.aws, {
    lambdaRequestsPerSecond: config.lambdaRequestsPerSecond,
    logger,
  });
  try {
    const report = await adopt({ ports, config, logger }, { apply: opts.apply === true, only: opts.only });
    if (opts.json) printJson(report);
    else process.stdout.write(`${formatAdoptReport(report)}\n`);
    return report.exitCode;
  } catch (err) {
    // access denied, a missing bucket, no credentials: exit 2; AWS unreachable: 4
    throw toRunError(err, 'adopt');
  }
}
