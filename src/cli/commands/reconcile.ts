/**
 * `apps-deployer reconcile [--dry-run] [--concurrency N] [--only APP_ID] [--replace] [--json]` and
 * `apps-deployer plan` (= reconcile --dry-run). Wires config, logger, AWS ports and observers, runs the
 * reconcile library, prints the plan (dry run) or the summary / report, and returns the exit code:
 * 0 converged or nothing to do · 1 a bundle failed, was rejected or conflicts in this run · 2 usage or
 * configuration (also what the first AWS calls reveal: a missing bucket, no credentials, access denied)
 * · 3 another run holds the lock · 4 AWS unavailable before any bundle work · 143 stopped by SIGTERM.
 */
import { escapeTerminal as t } from '../../text/escape';
import { loadConfig } from '../../config';
import { createObservers, formatPlan, formatSummaryTable } from '../../reconcile/observers';
import { reconcile } from '../../reconcile/run';
import { listenForStop } from '../stop-signals';
import { checkOnlyAppId, progressLogLevel, wireCommand } from '../wiring';

export interface ReconcileCliOptions {
  dryRun?: boolean;
  concurrency?: string | number;
  only?: string;
  replace?: boolean;
  retryFailed?: boolean;
  json?: boolean;
}

/** Signals that stop a run between writes (exit 143); a second one exits at once (128 + signal). */

export async function run(opts: ReconcileCliOptions): Promise<number> {
  checkOnlyAppId(opts.only);
  const config = loadConfig(process.env, { concurrency: opts.concurrency });
  const tty = process.stderr.isTTY === true;
  const { logger, ports } = wireCommand(config, progressLogLevel(config, tty));
  const observers = createObservers(config, logger, {
    tty,
    json: opts.json === true,
    dryRun: opts.dryRun === true,
  });

  const stop = listenForStop();
  try {
    const { plan, report, onlyMatchedNothing } = await reconcile(
      { ports, config, logger },
      {
        dryRun: opts.dryRun === true,
        replace: opts.replace === true,
        retryFailed: opts.retryFailed === true,
        only: opts.only,
        observers,
        signal: stop.signal,
      },
    );
    if (onlyMatchedNothing) {
      process.stderr.write(
        `apps-deployer: warning: --only ${opts.only ?? ''} matches no release bundle under ` +
          `s3://${config.releaseBucket}/${config.releasePrefix}: nothing to do (no lock taken, no run record)\n`,
      );
    }
    if (opts.dryRun && plan) {
      process.stdout.write(opts.json ? `${JSON.stringify(plan, null, 2)}\n` : `${formatPlan(plan)}\n`);
    } else {
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : `${formatSummaryTable(report, { rows: !tty })}\n`, // on a terminal the progress showed each bundle
      );
    }
    if (report.error) process.stderr.write(`apps-deployer: error: ${t(report.error.message)}\n`);
    return report.exitCode;
  } finally {
    stop.dispose();
  }
}
