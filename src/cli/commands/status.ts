/**
 * `apps-deployer status [APP_ID] [--json]`: provisioned apps, pending bundles, known rejections,
 * conflicts and failures, the lock and the last runs, from the listings a run makes (no request per
 * bundle); with APP_ID, that app's versions with their details. Exit 0; configuration errors and an
 * invalid app id exit 2.
 */
import { createAwsPorts } from '../../aws/clients';
import { loadConfig } from '../../config';
import { isValidAppId } from '../../bundle/names';
import { ExitCode, UsageError } from '../../errors';
import { createLogger } from '../../log';
import { formatStatus, getStatus } from '../../status';

export async function run(opts: { json?: boolean; appId?: string }): Promise<number> {
  if (opts.appId !== undefined && !isValidAppId(opts.appId))
    throw new UsageError(
      `"${opts.appId}" is not an app id`,
      'an app id is 3–32 characters of A-Z a-z 0-9 . _ -',
    );
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const ports = createAwsPorts(config.aws, {
    lambdaRequestsPerSecond: config.lambdaRequestsPerSecond,
    logger,
  });
  const report = await getStatus(
    ports.s3,
    {
      appsBucket: config.appsBucket,
      releaseBucket: config.releaseBucket,
      releasePrefix: config.releasePrefix,
      releaseLayout: config.releaseLayout,
    },
    { lockTtlSeconds: config.lockTtlSeconds, appId: opts.appId, lambda: ports.lambda },
  );
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
  return ExitCode.Ok;
}
