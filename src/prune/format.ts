/** Human form of the `prune` report. App ids, versions and keys come from listings: escaped. */
import { escapeTerminal as t } from '../text/escape';
import { renderTable } from '../reconcile/observers/format';
import type { PruneReport } from './types';

const when = (iso: string | undefined): string =>
  iso ? t(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')) : '-';

export function formatPrune(r: PruneReport): string {
  const out: string[] = [];
  const scope = r.options.only !== undefined ? ` of ${t(r.options.only)}` : '';
  out.push(
    `${r.dryRun ? 'Prune plan (dry run: nothing changed; --apply does it)' : 'Prune'}${scope} · ` +
      `s3://${t(r.appsBucket)} · keep ${r.options.keep} newest, older than ${r.options.olderThanDays} days` +
      (r.options.pinned.length > 0 ? ` · pinned: ${r.options.pinned.map(t).join(', ')}` : ''),
  );
  const acting = r.versions.filter((v) => v.action !== 'keep');
  out.push('', `Versions to retire (${acting.length}) · kept (${r.versions.length - acting.length})`);
  if (r.versions.length === 0) out.push('  no provisioned version');
  else
    out.push(
      renderTable(
        ['APP', 'VERSION', 'DEPLOYED AT', 'ACTION', 'WHY'],
        r.versions.map((v) => [t(v.appId), t(v.version), when(v.deployedAt), v.action, t(v.reason)]),
        '  ',
      ),
    );
  const rr = r.retention.runRecords;
  const sc = r.retention.stagedCode;
  out.push(
    '',
    'Retention',
    `  run records: ${rr.expire.length} to expire (older than ${rr.retentionDays} days, the newest ${rr.keepNewest} kept), ${rr.kept} kept`,
    `  staged code: ${sc.remove.length} unused to delete, ${sc.inUse} in use by a function, ${sc.young} younger than the lock TTL kept` +
      (sc.unrecognized > 0 ? `, ${sc.unrecognized} unrecognized keys left` : ''),
  );
  if (r.dryRun && acting.length > 0)
    out.push('  (staged code of the versions retired above is swept in the same --apply run)');
  if (r.retired !== undefined) {
    out.push(
      '',
      `Retired (${r.retired.filter((x) => x.status === 'retired').length} of ${r.retired.length})`,
    );
    for (const x of r.retired) {
      const detail =
        x.status === 'failed'
          ? `FAILED: ${t(x.error?.message ?? '')}`
          : `manifest ${x.manifestDeleted ? 'deleted' : 'already gone'}, ${x.functionsDeleted.length} function(s), ${x.assetsDeleted} asset(s) deleted` +
            (x.functionsLeft.length > 0 ? `; left (not ours): ${x.functionsLeft.map(t).join(', ')}` : '') +
            (x.assetsNote ? `; ${t(x.assetsNote)}` : '');
      out.push(`  ${t(x.appId)} ${t(x.version)}: ${detail}`);
    }
  }
  if (r.removed)
    out.push(
      '',
      `Removed ${r.removed.runRecords} run record(s) and ${r.removed.stagedCode} staged code object(s)`,
    );
  return out.join('\n');
}
