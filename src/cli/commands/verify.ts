/**
 * `apps-deployer verify [--repair] [--wait-lock SECONDS] [--only APP_ID] [--json]`: every provisioned
 * version against invariant I1 and the desired settings; `--repair` converges drift from the release
 * bundles under the lock. Exit 0 no drift (left) · 1 drift · 2 usage or configuration · 3 the lock is
 * still held after --wait-lock · 4 AWS unavailable · 143 --repair stopped by SIGTERM between writes.
 */
import { toRunError } from '../../aws/failure-class';
import { loadConfig } from '../../config';
import { UsageError } from '../../errors';
import { formatVerify, verify } from '../../verify';
import { listenForStop } from '../stop-signals';
import { announceVerify } from '../../verify/alerts';
import { checkOnlyAppId, progressLogLevel, wireCommand } from '../wiring';

export interface VerifyCliOptions {
  repair?: boolean;
  waitLock?: string;
  only?: string;
  json?: boolean;
}

/** Signals that stop --repair between writes (exit 143); a second one exits at once (128 + signal). */

/** The longest --wait-lock accepted (seconds): a day. */
const MAX_WAIT_LOCK_SECONDS = 86_400;

function waitSeconds(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > MAX_WAIT_LOCK_SECONDS)
    throw new UsageError(
      `--wait-lock "${value}" is not a number of seconds`,
      `give a whole number from 0 to ${MAX_WAIT_LOCK_SECONDS}`,
    );
  return n;
}

export async function run(opts: VerifyCliOptions): Promise<number> {
  checkOnlyAppId(opts.only);
  const wait = waitSeconds(opts.waitLock);
  if (opts.waitLock !== undefined && !opts.repair)
    throw new UsageError('--wait-lock applies to --repair only', 'add --repair, or drop --wait-lock');
  const config = loadConfig();
  const tty = process.stderr.isTTY === true;
  const { logger, ports } = wireCommand(config, progressLogLevel(config, tty));
  const stop = listenForStop();
  let report;
  try {
    report = await verify(
      { ports, config, logger },
      { only: opts.only, repair: opts.repair === true, waitLockSeconds: wait, signal: stop.signal },
    );
  } catch (err) {
    // LockHeldError stays exit 3; access denied or a missing bucket exit 2; unreachable AWS exit 4
    throw toRunError(err, `verify the versions in s3://${config.appsBucket}`);
  } finally {
    stop.dispose();
  }
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatVerify(report)}\n`);
  // the same channels as reconcile: an alert when drift is left, metrics under verify's own group
  await announceVerify(report, { config, logger });
  return report.exitCode;
}
