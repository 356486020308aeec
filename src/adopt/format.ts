/**
 * The human form of an adopt report: one line per function and per version (why each is adopted or
 * left), the two IAM objects, and a count. Strings from AWS and bundles are escaped for the terminal.
 */
import { escapeTerminal as t } from '../text/escape';
import type { AdoptFunction, AdoptIamObject, AdoptReport, AdoptVersion } from './types';

function functionLine(f: AdoptFunction): string {
  const why = f.reason ? ` (${f.reason})` : '';
  const converge =
    f.settingsToConverge && f.settingsToConverge.length > 0
      ? `; the next reconcile converges ${f.settingsToConverge.join(', ')}`
      : '';
  return `  ${f.status.padEnd(12)} ${t(f.lambdaName)}${why}: ${t(f.detail)}${t(converge)}`;
}

function versionLine(v: AdoptVersion): string {
  const why = v.reason ? ` (${v.reason})` : '';
  return `  ${v.status.padEnd(12)} ${t(v.appId)} ${t(v.version)}${why}: ${t(v.detail)}`;
}

const iamLine = (what: string, o: AdoptIamObject): string =>
  `  ${what.padEnd(14)} ${o.status.padEnd(11)} ${t(o.arn)}: ${t(o.detail)}`;

export function formatAdoptReport(r: AdoptReport): string {
  const count = (s: string): number => r.functions.filter((f) => f.status === s).length;
  const head = r.dryRun
    ? 'adopt: dry run, nothing was written (run with --apply to adopt what matches)'
    : 'adopt --apply';
  const lines = [
    `${head}${r.only !== undefined ? ` (only ${t(r.only)})` : ''}`,
    'Functions:',
    ...(r.functions.length > 0 ? r.functions.map(functionLine) : ['  (none found)']),
    'Versions:',
    ...(r.versions.length > 0 ? r.versions.map(versionLine) : ['  (no provisioned manifest)']),
    'IAM:',
    iamLine('execute role', r.executeRole),
    iamLine('invoke policy', r.invokePolicy),
    `${r.dryRun ? `${count('adopt')} to adopt` : `${count('adopted')} adopted`}, ` +
      `${count('already-ours')} already ours, ${count('left')} left alone`,
  ];
  return lines.join('\n');
}
