/**
 * The run report (RunReport) and the run record: the same document, written under
 * deployer/runs/<startedAt ISO with ':' replaced by '-'>_<runId>.json, so that records sort by time.
 * Its size follows the work of the run, not the fleet: unchanged bundles are counted (by outcome and
 * by plan action), only the bundles judged in the run are listed; the record is compact JSON.
 */
import type { S3Port } from '../aws/ports';
import { DeployerError, ExitCode, errorMessage } from '../errors';
import {
  REPORT_VERSION,
  STATE_KEYS,
  type BundleOutcome,
  type BundleReport,
  type PlanAction,
  type RunReport,
} from './types';

/** Outcomes that make a run exit 1: found in THIS run (known ones are 'skipped'). */
const FAILING: ReadonlySet<BundleOutcome['status']> = new Set(['failed', 'rejected', 'conflict']);

/** A failure of the run itself keeps its own exit code (2 configuration, 4 AWS unavailable, 143
 * stopped by SIGTERM); any other is 1. */
export function exitCodeOf(bundles: readonly BundleReport[], runError: unknown): ExitCode {
  if (runError instanceof DeployerError) return runError.exitCode;
  if (runError !== undefined) return ExitCode.Failed;
  return bundles.some((b) => FAILING.has(b.outcome.status)) ? ExitCode.Failed : ExitCode.Ok;
}

export function countOutcomes(bundles: readonly BundleReport[]): RunReport['counts'] {
  const counts: RunReport['counts'] = {};
  for (const b of bundles) counts[b.outcome.status] = (counts[b.outcome.status] ?? 0) + 1;
  return counts;
}

/** Unchanged ('skipped') bundles by plan action. */
export function countUnchanged(bundles: readonly BundleReport[]): Partial<Record<PlanAction, number>> {
  const counts: Partial<Record<PlanAction, number>> = {};
  for (const b of bundles) if (b.outcome.status === 'skipped') counts[b.action] = (counts[b.action] ?? 0) + 1;
  return counts;
}

/** Requests sent between two snapshots of a RequestCounter (the counter may be shared). */
export function requestsSince(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [op, n] of Object.entries(after)) {
    const d = n - (before[op] ?? 0);
    if (d > 0) out[op] = d;
  }
  return out;
}

export function runRecordKey(startedAt: string, runId: string): string {
  return `${STATE_KEYS.runsPrefix}${startedAt.replace(/:/g, '-')}_${runId}.json`;
}

export async function writeRunRecord(s3: S3Port, bucket: string, report: RunReport): Promise<string> {
  const key = runRecordKey(report.startedAt, report.runId);
  await s3.putObject({
    Bucket: bucket,
    Key: key,
    Body: JSON.stringify({ ...report, recordKey: key }),
    ContentType: 'application/json',
  });
  return key;
}

/** The report of a run from the reports of all its bundles (unchanged ones are counted, not listed). */
export function newReport(
  fields: Omit<RunReport, 'reportVersion' | 'counts' | 'unchanged' | 'exitCode'> & {
    runError?: unknown;
    runErrorCode?: string;
  },
): RunReport {
  const { runError, runErrorCode, bundles, ...rest } = fields;
  const report: RunReport = {
    reportVersion: REPORT_VERSION,
    ...rest,
    exitCode: exitCodeOf(bundles, runError),
    counts: countOutcomes(bundles),
    unchanged: countUnchanged(bundles),
    bundles: bundles.filter((b) => b.outcome.status !== 'skipped'),
  };
  if (runError !== undefined) {
    report.error = {
      code: runErrorCode ?? 'RUN_FAILED',
      // with its hint: what to fix (a configuration error names the variable or the permission)
      message: errorMessage(runError),
    };
  }
  return report;
}
