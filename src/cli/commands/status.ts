/**
 * `apps-deployer status [--json]`: provisioned apps, pending bundles, known rejections and conflicts,
 * the lock and the last runs. Exit 0; configuration errors exit 2 (thrown by loadConfig).
 */
import { createAwsPorts } from '../../aws/clients';
import { loadConfig } from '../../config';
import { ExitCode } from '../../errors';
import { createLogger } from '../../log';
import { formatStatus, getStatus } from '../../status';

export async function run(opts: { json?: boolean }): Promise<number> {
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
    { lockTtlSeconds: config.lockTtlSeconds },
  );
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
  return ExitCode.Ok;
}
