/**
 * The human form of a verify report: a table of drift (app, version, resource, kind, what differs),
 * then repairs, foreign objects and notices, then one summary line. Every string from S3 or Lambda is
 * escaped (escapeTerminal): keys and messages must not drive the terminal.
 */
import { escapeTerminal as t } from '../text/escape';
import { tableLines } from '../text/table';
import type { Drift, VerifyReport } from './types';

function driftRows(drift: Drift[]): string[] {
  return tableLines([
    ['APP', 'VERSION', 'RESOURCE', 'DRIFT', 'WHAT DIFFERS'],
    ...drift.map((d) => [t(d.appId), t(d.version), t(d.resource), d.kind, t(d.detail)]),
  ]);
}

export function formatVerify(report: VerifyReport): string {
  const lines: string[] = [];
  if (report.repair && report.driftBefore && report.driftBefore.length > 0) {
    lines.push(`Drift found (${report.driftBefore.length}):`, ...driftRows(report.driftBefore), '');
    lines.push('Repairs:');
    for (const r of report.repairs)
      lines.push(`  ${t(r.appId)} ${t(r.version)}: ${r.status}: ${t(r.message)}`);
    lines.push('');
  }
  if (report.drift.length > 0) {
    lines.push(
      `${report.repair ? 'Drift left' : 'Drift'} (${report.drift.length}):`,
      ...driftRows(report.drift),
      '',
    );
  }
  if (report.foreign.length > 0) {
    lines.push(`Foreign objects under a version's static prefix (reported, left as they are):`);
    for (const f of report.foreign) lines.push(`  ${t(f.appId)} ${t(f.version)}: ${t(f.key)}`);
    lines.push('');
  }
  if (report.notices.length > 0) {
    lines.push('Not checkable:');
    for (const n of report.notices)
      lines.push(`  ${t(n.appId)} ${t(n.version)} ${t(n.resource)}: ${t(n.message)}`);
    lines.push('');
  }
  const verdict = report.drift.length > 0 ? `${report.drift.length} drift` : 'no drift';
  lines.push(
    `verify: ${report.versions} version(s), ${report.functions} function(s), ${report.assets} asset(s): ${verdict}` +
      `${report.foreign.length > 0 ? `, ${report.foreign.length} foreign object(s)` : ''}` +
      `${report.repair ? `, ${report.repairs.filter((r) => r.status === 'repaired').length} version(s) repaired` : ''}`,
  );
  return lines.join('\n');
}
