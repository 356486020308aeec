/**
 * Check: which root zip belongs to which manifest function. Matching is exact ("<name>.zip"); a name
 * equal but for case ("fn.ZIP", "FN.zip") never matches, and beside an exact match it is ambiguous
 * (one file on a case-insensitive file system). Root zips no function claims are ignored (warning).
 * Maps, not nested loops: linear in functions plus entries.
 */
import path from 'node:path';
import { q, type IssueList } from '../issues';
import type { ManifestFunction } from '../manifest';
import type { ZipEntry } from '../zip/format';
import type { Classified } from './context';

const base = (e: ZipEntry): string => e.name.slice(0, -'.zip'.length);

function groupBy(entries: readonly ZipEntry[], key: (e: ZipEntry) => string): Map<string, ZipEntry[]> {
  const map = new Map<string, ZipEntry[]>();
  for (const e of entries) {
    const k = key(e);
    const list = map.get(k);
    if (list) list.push(e);
    else map.set(k, [e]);
  }
  return map;
}

export function matchFunctions(
  functions: readonly ManifestFunction[],
  declaredNames: ReadonlySet<string>,
  c: Classified,
  issues: IssueList,
): Map<ManifestFunction, ZipEntry> {
  const matched = new Map<ManifestFunction, ZipEntry>();
  const byLower = groupBy(c.rootZips, (e) => base(e).toLowerCase());
  const nestedByBase = groupBy(c.nestedZips, (e) => path.posix.basename(base(e)));
  for (const fn of functions) {
    const wanted = `${fn.name}.zip`;
    const same = byLower.get(fn.name.toLowerCase()) ?? [];
    const exact = same.filter((e) => e.name === wanted);
    const alike = same.filter((e) => e.name !== wanted);
    const candidates = exact.length > 0 ? same : [];
    if (candidates.length === 0) {
      const nested = (nestedByBase.get(fn.name) ?? []).map((e) => q(e.label));
      const cased = alike.map((e) => q(e.label));
      issues.error(
        'FUNCTION_ZIP_MISSING',
        `${fn.jsonPath}.name`,
        `function ${q(fn.name)} has no ${q(wanted)} at the bundle root` +
          (nested.length ? ` (found ${nested.join(', ')}: function zips must be at the root)` : '') +
          (cased.length ? ` (found ${cased.join(', ')}: names are case-sensitive)` : ''),
      );
    } else if (candidates.length > 1) {
      issues.error(
        'FUNCTION_ZIP_AMBIGUOUS',
        `${fn.jsonPath}.name`,
        `function ${q(fn.name)} matches several entries (${candidates.map((e) => q(e.label)).join(', ')}); keep exactly one ${q(wanted)}`,
      );
    } else matched.set(fn, candidates[0] as ZipEntry);
  }
  for (const e of c.rootZips) {
    if (!declaredNames.has(base(e))) {
      issues.warning(
        'IGNORED_ENTRY',
        e.label,
        `entry ${q(e.label)} is ignored: no function of the manifest is named ${q(base(e))}`,
      );
    }
  }
  return matched;
}
