/**
 * Human output of `plan` / `reconcile --dry-run` (formatPlan) and of a finished run
 * (formatSummaryTable). Plain text, no colours: the same lines read well on a TTY, in a CI log and in
 * `kubectl logs`. The JSON forms are the Plan and RunReport documents themselves. Every value from a
 * bundle or a listing (app id, version, release key, reasons, issue paths and messages) is escaped
 * for the terminal (text/escape.ts), so it can neither move the cursor nor fake a line.
 */
import type { Issue } from '../../bundle/types';
import type { BundleOutcome, BundleReport, Plan, PlanAction, PlanItem, RunReport } from '../types';
import { OUTCOME_STATUSES } from '../types';
import { escapeTerminal as t } from '../../text/escape';
import { tableLines } from '../../text/table';

/** Actions that make a run download and judge the bundle. */
export const ACTIVE_ACTIONS: ReadonlySet<PlanAction> = new Set<PlanAction>([
  'provision',
  'converge-settings',
  'check-reupload',
  'recheck-rejected',
  'reject-non-canonical',
  'reject-name-taken',
]);

export const ACTION_LABELS: Record<PlanAction, string> = {
  provision: 'provision',
  'check-reupload': 'check re-upload',
  'recheck-rejected': 're-check (rules changed)',
  'up-to-date': 'up to date',
  'known-conflict': 'known conflict',
  'known-rejection': 'known rejection',
  'known-failure': 'known failure (AWS refused it; --retry-failed)',
  'reject-oversized': 'reject (over the size limit)',
  'reject-non-canonical': 'reject (key not canonical)',
  'known-non-canonical': 'known non-canonical key',
  'reject-name-taken': "reject (another app's function names)",
  'converge-settings': 'converge function settings',
  'known-retired': 'retired (prune)',
};

const ACTION_ORDER: PlanAction[] = [
  'provision',
  'check-reupload',
  'recheck-rejected',
  'reject-non-canonical',
  'reject-name-taken',
  'reject-oversized',
  'converge-settings',
  'known-conflict',
  'known-rejection',
  'known-failure',
  'known-non-canonical',
  'known-retired',
  'up-to-date',
];

type OutcomeStatus = BundleOutcome['status'];
const OUTCOME_ORDER = OUTCOME_STATUSES;

/** "850ms", "2.3s", "1m05s" */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function renderTable(headers: string[], rows: string[][], indent = ''): string {
  return tableLines([headers, ...rows], indent).join('\n');
}

/** An issue on one line, escaped for the terminal. */
export function issueLine(issue: Issue): string {
  return `${issue.path ? `${t(issue.path)}: ` : ''}${t(issue.message)}`;
}

/** One line saying why a bundle was not provisioned (first issue, and how many more). */
export function outcomeDetail(outcome: BundleOutcome): string {
  switch (outcome.status) {
    case 'rejected': {
      const errors = outcome.issues.filter((i) => i.severity === 'error');
      const shown = errors[0] ?? outcome.issues[0];
      if (!shown) return 'rejected';
      const more = (errors.length > 0 ? errors.length : outcome.issues.length) - 1;
      return `${issueLine(shown)}${more > 0 ? ` (+${more} more)` : ''}`;
    }
    case 'conflict':
      return t(outcome.message);
    case 'failed':
      return `${t(outcome.code)}: ${t(outcome.message)}`;
    case 'provisioned': {
      const r = outcome.result;
      const fns = `${r.functions.length} function${r.functions.length === 1 ? '' : 's'}`;
      const assets = `${r.assets.length} asset${r.assets.length === 1 ? '' : 's'}`;
      return r.status === 'already-provisioned'
        ? `already provisioned (${fns}, ${assets})`
        : `${fns}, ${assets}`;
    }
    case 'identical':
      return 'identical re-upload of the provisioned bundle';
    case 'skipped':
      return '';
  }
}

/** A value for a table cell, escaped; "-" when absent. */
function dash(v: string | undefined): string {
  return v === undefined || v === '' ? '-' : t(v);
}

function countsLine<K extends string>(
  order: readonly K[],
  counts: Partial<Record<K, number>>,
  label: (k: K) => string,
): string {
  return order
    .filter((k) => (counts[k] ?? 0) > 0)
    .map((k) => `${counts[k]} ${label(k)}`)
    .join(' · ');
}

/** The plan as `apps-deployer plan` prints it. Up-to-date bundles are counted, not listed. */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  const scope = plan.only ? ` (only ${t(plan.only)})` : '';
  out.push(
    `Plan for s3://${t(plan.releaseBucket)}/${t(plan.releasePrefix)} → s3://${t(plan.appsBucket)}${scope}` +
      `${plan.replace ? ', replacing changed versions' : ''}`,
  );
  const rank = (a: PlanAction): number => ACTION_ORDER.indexOf(a);
  const listed = plan.items
    .filter((i) => i.action !== 'up-to-date')
    .sort((a, b) => rank(a.action) - rank(b.action) || a.releaseKey.localeCompare(b.releaseKey));
  if (listed.length > 0) {
    out.push('');
    out.push(
      renderTable(
        ['ACTION', 'APP', 'VERSION', 'RELEASE KEY', 'REASON'],
        listed.map((i: PlanItem) => [
          ACTION_LABELS[i.action],
          dash(i.appId),
          dash(i.version),
          t(i.releaseKey),
          t(i.reason ?? ''),
        ]),
        '  ',
      ),
    );
  }
  const counts: Partial<Record<PlanAction, number>> = {};
  for (const i of plan.items) counts[i.action] = (counts[i.action] ?? 0) + 1;
  const active = plan.items.filter((i) => ACTIVE_ACTIONS.has(i.action)).length;
  out.push('');
  if (plan.items.length === 0) out.push('No release bundles found: nothing to do.');
  else {
    out.push(
      `${plan.items.length} release bundle${plan.items.length === 1 ? '' : 's'}: ` +
        countsLine(ACTION_ORDER, counts, (a) => ACTION_LABELS[a]),
    );
    out.push(
      active === 0 ? 'Nothing to do.' : `${active} bundle${active === 1 ? '' : 's'} to download and judge.`,
    );
  }
  return out.join('\n');
}

function outcomeLabel(b: BundleReport): string {
  if (b.outcome.status === 'provisioned' && b.outcome.result.status === 'already-provisioned')
    return 'converged';
  return b.outcome.status;
}

/** The summary a run prints at its end: one row per bundle judged in this run, the totals, then the
 * full list of problems of every rejected, conflicting or failed bundle. */
export function formatSummaryTable(report: RunReport, options: { rows?: boolean } = {}): string {
  const out: string[] = [];
  // report v2 lists only the bundles judged in the run; the unchanged ones are counted
  const judged = report.bundles.filter((b) => b.outcome.status !== 'skipped');
  const unchangedTotal = report.counts.skipped ?? 0;
  // rows: false when the terminal's progress lines already showed each bundle (printed once)
  if (judged.length > 0 && options.rows !== false) {
    out.push(
      renderTable(
        ['', 'APP', 'VERSION', 'OUTCOME', 'TIME', 'DETAIL'],
        judged.map((b) => [
          b.outcome.status === 'provisioned' || b.outcome.status === 'identical' ? '✓' : '✗',
          dash(b.appId),
          dash(b.version),
          outcomeLabel(b),
          formatDuration(b.durationMs),
          outcomeDetail(b.outcome),
        ]),
      ),
    );
    out.push('');
  }

  const counts: Partial<Record<OutcomeStatus, number>> = report.counts;
  const known = Object.entries(report.unchanged ?? {})
    .filter(([action]) => action !== 'up-to-date')
    .reduce((a, [, n]) => a + (n ?? 0), 0);
  const knownNote = known > 0 ? ` (${known} known rejection/conflict)` : '';
  const label = (k: OutcomeStatus): string => (k === 'skipped' ? `unchanged${knownNote}` : k);
  const totalRequests = Object.values(report.requests).reduce((a, b) => a + b, 0);
  const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  let totals: string;
  if (total === 0) totals = 'no release bundles';
  else if (judged.length === 0) totals = `nothing to do, ${unchangedTotal} unchanged${knownNote}`;
  else totals = countsLine(OUTCOME_ORDER, counts, label);
  out.push(
    `${report.dryRun ? 'Dry run' : 'Run'} ${t(report.runId)}: ${totals} — ` +
      `${formatDuration(report.durationMs)}, ${totalRequests} AWS request${totalRequests === 1 ? '' : 's'}, exit ${report.exitCode}`,
  );
  // the same figures as the record: it cannot count its own write, nor the lock's release after it
  if (report.recordKey)
    out.push(
      `Run record ${t(report.recordKey)} (the same figures; its own write and the unlock not counted)`,
    );

  for (const b of judged) {
    const o = b.outcome;
    if (o.status !== 'rejected' && o.status !== 'conflict' && o.status !== 'failed') continue;
    const who = b.appId ? ` (${t(b.appId)} ${dash(b.version)})` : '';
    const key = t(b.releaseKey);
    out.push('');
    if (o.status === 'rejected') {
      out.push(`Rejected ${key}${who}; not retried until a new object is uploaded:`);
      for (const i of o.issues)
        out.push(`  ${i.severity === 'warning' ? 'warning' : 'error'}  ${issueLine(i)}`);
    } else if (o.status === 'conflict') {
      out.push(`Conflict ${key}${who}; nothing was overwritten:`);
      out.push(`  ${t(o.message)}`);
    } else {
      out.push(`Failed ${key}${who}; the next run retries it:`);
      out.push(`  ${t(o.code)}: ${t(o.message)}`);
    }
  }
  return out.join('\n');
}
