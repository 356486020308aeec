/** Human form of the `status` document. Values read from S3 (release keys, app ids, versions, run ids,
 * the lock's holder, issues) come from bundles or listings: each is escaped for the terminal. */
import { escapeTerminal as t } from '../text/escape';
import { formatLayoutMoves } from './layout';
import { formatStorage } from './storage-format';
import { formatReleaseDrift } from './drift';
import { formatLastVerify } from './last-verify';
import { ACTION_LABELS, formatDuration, issueLine, renderTable } from '../reconcile/observers/format';
import { OUTCOME_STATUSES } from '../reconcile/types';
import type { JudgedBundle, LockState, RunSummary, StatusReport } from './types';

const OUTCOMES = OUTCOME_STATUSES;

/** "2024-01-01 10:00:12Z" (ISO without milliseconds, easier to read in a table) */
function when(iso: string | undefined): string {
  if (!iso) return '-';
  return t(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
}

function lockLine(lock: LockState): string {
  if (!lock.held) return 'Lock: free';
  const who = lock.runId
    ? `run ${t(lock.runId)}${lock.host ? ` on ${t(lock.host)}` : ''}${lock.pid !== undefined ? ` (pid ${t(String(lock.pid))})` : ''}`
    : 'a run whose lock body cannot be read';
  const stale = lock.staleAfter ? `; stale after ${when(lock.staleAfter)} unless renewed` : '';
  return `Lock: held by ${who}, last renewed ${when(lock.since)}${stale}`;
}

function runCounts(r: RunSummary): string {
  const parts = OUTCOMES.filter((o) => (r.counts[o] ?? 0) > 0).map(
    (o) => `${r.counts[o]} ${o === 'skipped' ? 'unchanged' : o}`,
  );
  const bundles = parts.length > 0 ? parts.join(' · ') : 'no bundles';
  return r.error ? `${bundles} · run failed: ${t(r.error.code)}` : bundles;
}

/** "Last runs (5 of 23, newest first; `status --runs N` shows more)" when the list is capped. */
function runsHeading(shown: number, total: number | undefined): string {
  if (total === undefined || total <= shown) return `Last runs (${shown})`;
  return `Last runs (${shown} of ${total}, newest first; \`status --runs N\` shows more)`;
}

/** "reconcile", or "provision" / "provision --update" with the app version and the file. */
function runKind(r: RunSummary): string {
  if (r.kind !== 'provision') return 'reconcile';
  const p = r.provision;
  const what = p ? ` ${t(p.appId)} ${t(p.version)} from ${t(p.file)}` : '';
  return `provision${p?.update ? ' --update' : ''}${what}`;
}

/** The fleet view reads no manifest metadata: it points at `status APP_ID` for the versions a listed
 * `provision --update` redeployed from disk (their release object may differ: status/drift.ts). */
function updateHints(runs: readonly RunSummary[]): string[] {
  const versions = new Set(
    runs.filter((r) => r.provision?.update).map((r) => `${r.provision?.appId} ${r.provision?.version}`),
  );
  return [...versions].map(
    (v) =>
      `  ${t(v)} was redeployed from disk (provision --update): \`apps-deployer status ${t(v.split(' ')[0] ?? '')}\` compares it with its release object`,
  );
}

function judgedBlock(b: JudgedBundle, verdict: string): string[] {
  const who = b.appId ? ` (${t(b.appId)} ${t(b.version ?? '')})` : '';
  const by = [b.at ? `on ${when(b.at)}` : '', b.runId ? `by run ${t(b.runId)}` : '']
    .filter(Boolean)
    .join(' ');
  const lines = [`  ${t(b.releaseKey)}${who}: ${verdict}${by ? ` ${by}` : ''}`];
  for (const i of b.issues) lines.push(`    ${t(i.severity)}  ${issueLine(i)}`);
  if (b.issues.length === 0 && b.message) lines.push(`    ${t(b.message)}`);
  return lines;
}

export function formatStatus(s: StatusReport): string {
  const out: string[] = [];
  out.push(
    `Apps bucket s3://${t(s.appsBucket)} · releases s3://${t(s.releaseBucket)}/${t(s.releasePrefix)} · ${when(s.generatedAt)}`,
  );
  out.push(lockLine(s.lock));

  const scope = s.appId !== undefined ? ` of ${s.appId}` : '';
  out.push('', `Provisioned apps${scope} (${s.provisioned.length})`);
  if (s.provisioned.length === 0) out.push('  none');
  else if (s.details)
    out.push(
      renderTable(
        ['APP', 'VERSION', 'DEPLOYED AT', 'RUN', 'DEPLOYER', 'RELEASE KEY', 'BUNDLE SHA256'],
        s.provisioned.map((a) => [
          t(a.appId),
          t(a.version),
          when(a.deployedAt),
          t(a.runId ?? '-'),
          t(a.deployerVersion ?? '-'),
          t(a.releaseKey ?? '-'),
          t(a.bundleSha256 ?? '-'),
        ]),
        '  ',
      ),
    );
  else
    out.push(
      renderTable(
        ['APP', 'VERSION', 'DEPLOYED AT'],
        s.provisioned.map((a) => [a.appId, a.version, when(a.deployedAt)]),
        '  ',
      ),
    );

  if (s.storage && s.appId !== undefined) out.push(...formatStorage(s.appId, s.storage));
  out.push(...formatReleaseDrift(s.provisioned));
  out.push(...formatLayoutMoves(s.layoutMoves ?? [], s.releaseLayout ?? 'flat'));

  out.push('', `Pending (${s.pending.length}): the next reconcile downloads and judges these`);
  if (s.pending.length === 0) out.push('  none');
  else
    out.push(
      renderTable(
        ['ACTION', 'APP', 'VERSION', 'RELEASE KEY', 'REASON'],
        s.pending.map((p) => [
          ACTION_LABELS[p.action],
          t(p.appId ?? '-'),
          t(p.version ?? '-'),
          t(p.releaseKey),
          t(p.reason ?? ''),
        ]),
        '  ',
      ),
    );

  out.push(
    '',
    `Rejected (${s.rejected.length}): not downloaded again until a new object is uploaded under the key`,
  );
  if (s.rejected.length === 0) out.push('  none');
  for (const r of s.rejected) out.push(...judgedBlock(r, 'rejected'));

  out.push(
    '',
    `Conflicts (${s.conflicts.length}): other bytes than the provisioned version; nothing was overwritten`,
  );
  if (s.conflicts.length === 0) out.push('  none');
  for (const c of s.conflicts) out.push(...judgedBlock(c, 'conflict'));

  if (s.failed.length > 0) {
    out.push(
      '',
      `Failed (${s.failed.length}): AWS refused these bundles after validation; retried only by ` +
        '`reconcile --retry-failed [--only APP_ID]` or a new upload',
    );
    for (const f of s.failed) out.push(...judgedBlock(f, 'failed'));
  }
  if (!s.details && s.rejected.length + s.conflicts.length + s.failed.length > 0)
    out.push('', 'Details (issues, when, which run): `apps-deployer status APP_ID`');

  out.push('', `Up to date: ${s.upToDate} release bundle${s.upToDate === 1 ? '' : 's'}`);

  const retired = s.retired ?? [];
  if (retired.length > 0) {
    out.push('', `Retired by prune (${retired.length}): never provisioned again`);
    out.push(
      renderTable(
        ['APP', 'VERSION', 'STATE'],
        retired.map((r) => [
          t(r.appId),
          t(r.version),
          r.complete ? 'retired' : 'retiring (prune --apply completes it)',
        ]),
        '  ',
      ),
    );
  }

  out.push('', runsHeading(s.runs.length, s.runsTotal));
  if (s.runs.length === 0) out.push(s.runsTotal ? '  none shown' : '  none recorded yet');
  else
    out.push(
      renderTable(
        ['STARTED', 'KIND', 'DURATION', 'EXIT', 'REQUESTS', 'BUNDLES', 'RUN'],
        s.runs.map((r) => [
          when(r.startedAt),
          runKind(r),
          formatDuration(r.durationMs),
          `${r.exitCode}${r.dryRun ? ' (dry run)' : ''}`,
          String(r.requests),
          runCounts(r),
          t(r.runId),
        ]),
        '  ',
      ),
    );

  if (!s.details) out.push(...updateHints(s.runs));
  out.push(...formatLastVerify(s.lastVerify));

  if (s.problems.length > 0) {
    out.push('', `Could not read (${s.problems.length})`);
    for (const p of s.problems) out.push(`  ${t(p)}`);
  }
  return out.join('\n');
}
