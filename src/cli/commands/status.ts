/**
 * `apps-deployer status [APP_ID] [--runs N] [--json]`: provisioned apps, pending bundles, known
 * rejections, conflicts and failures, the lock and the last N runs (reconcile and provision; the
 * list says when it is capped), from the listings a run makes (no request per bundle); with APP_ID,
 * that app's versions with their details, and whether the release object under the version's key
 * differs from the bundle provisioned (after `provision --update`). Exit 0; configuration errors, an
 * invalid app id or --runs exit 2.
 */
import { loadConfig } from '../../config';
import { isValidAppId } from '../../bundle/names';
import { ExitCode, UsageError } from '../../errors';
import { formatStatus, getStatus } from '../../status';
import { MAX_STATUS_RUNS, STATUS_RUNS } from '../../status/constants';
import { wireCommand } from '../wiring';

/** `--runs N`: a whole number from 0 to MAX_STATUS_RUNS. */
function parseRuns(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n > MAX_STATUS_RUNS)
    throw new UsageError(
      `--runs "${value}" is not a number of runs`,
      `give a whole number from 0 to ${MAX_STATUS_RUNS} (default ${STATUS_RUNS})`,
    );
  return n;
}

export async function run(opts: { json?: boolean; appId?: string; runs?: string }): Promise<number> {
  const runs = parseRuns(opts.runs);
  if (opts.appId !== undefined && !isValidAppId(opts.appId))
    throw new UsageError(
      `"${opts.appId}" is not an app id`,
      'an app id is 3–32 characters of A-Z a-z 0-9 . _ -',
    );
  const config = loadConfig();
  const { ports } = wireCommand(config);
  const report = await getStatus(
    ports.s3,
    {
      appsBucket: config.appsBucket,
      releaseBucket: config.releaseBucket,
      releasePrefix: config.releasePrefix,
      releaseLayout: config.releaseLayout,
    },
    { lockTtlSeconds: config.lockTtlSeconds, appId: opts.appId, lambda: ports.lambda, runs },
  );
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatStatus(report)}\n`);
  return ExitCode.Ok;
}
