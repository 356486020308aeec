/**
 * `apps-deployer prune [--keep N] [--older-than DAYS] [--only APP_ID] [--apply] [--json]`: prints the
 * plan of retirements and retention (a dry run: no lock, no write), and with --apply does it under the
 * lock. A manual operation (README "Operations"). Exit codes: 0 done or nothing to do · 1 a version's
 * retirement failed · 2 usage or configuration · 3 another run holds the lock · 4 AWS unavailable ·
 * 143 stopped by SIGTERM (the next prune --apply completes the work).
 */
import { loadConfig } from '../../config';
import { UsageError } from '../../errors';
import { formatPrune, prune, PRUNE_DEFAULTS } from '../../prune';
import { escapeTerminal as t } from '../../text/escape';
import { printJson } from '../json';
import { listenForStop } from '../stop-signals';
import { checkOnlyAppId, progressLogLevel, wireCommand } from '../wiring';

export interface PruneCliOptions {
  keep?: string;
  olderThan?: string;
  only?: string;
  apply?: boolean;
  json?: boolean;
}

function wholeNumber(flag: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${flag} must be a whole number from ${min} to ${max} (got "${raw}")`);
  return n;
}

export async function run(opts: PruneCliOptions): Promise<number> {
  const keep = wholeNumber('--keep', opts.keep, PRUNE_DEFAULTS.keep, 1, 10_000);
  const olderThanDays = wholeNumber('--older-than', opts.olderThan, PRUNE_DEFAULTS.olderThanDays, 0, 36_500);
  checkOnlyAppId(opts.only);
  const config = loadConfig();
  const tty = process.stderr.isTTY === true;
  const { logger, ports } = wireCommand(config, progressLogLevel(config, tty));
  const stop = listenForStop();
  try {
    const report = await prune(
      { ports, config, logger },
      { keep, olderThanDays, only: opts.only, apply: opts.apply === true, signal: stop.signal },
    );
    if (opts.json) printJson(report);
    else process.stdout.write(`${formatPrune(report)}\n`);
    if (report.error) process.stderr.write(`apps-deployer: error: ${t(report.error.message)}\n`);
    return report.exitCode;
  } finally {
    stop.dispose();
  }
}
