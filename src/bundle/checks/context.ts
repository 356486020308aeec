/**
 * What the bundle-level checks share: the run (file, limits, issues), the bundle's entries as the zip
 * checks left them, and the reporter that turns zip findings into bundle issues (path: the entry
 * name, or "(bundle)" for the zip as a whole).
 */
import { BUNDLE_PATH, IssueList } from '../issues';
import type { BundleLimits } from '../types';
import { ZipEntryError, type DataRange } from '../zip/entry-data';
import type { ZipEntry, ZipReporter } from '../zip/format';

export const MANIFEST_ENTRY = 'manifest.json';
export const STATIC_DIR = 'static/';

export interface Run {
  file: string;
  limits: BundleLimits;
  issues: IssueList;
  /** where function zips are staged while checked */
  tmpDir: string;
}

export function bundleReporter(issues: IssueList): ZipReporter {
  return {
    report: (code, entry, message) => issues.error(code, entry ? entry.label : BUNDLE_PATH, message),
  };
}

/** An entry's data range, for reading it. */
export function rangeOf(e: ZipEntry): DataRange {
  return {
    label: e.label,
    method: e.method,
    dataOffset: e.dataOffset,
    compressedSize: e.compressedSize,
    uncompressedSize: e.uncompressedSize,
    crc32: e.crc32,
  };
}

/** Reports a failed read of a bundle entry's data; rethrows anything that is not about the data. */
export function entryReadIssue(err: unknown, entry: ZipEntry, issues: IssueList): void {
  if (!(err instanceof ZipEntryError)) throw err;
  const code =
    err.problem === 'size'
      ? 'ENTRY_SIZE_MISMATCH'
      : err.problem === 'crc'
        ? 'ENTRY_CRC_MISMATCH'
        : 'ENTRY_UNREADABLE';
  issues.error(code, entry.label, err.message);
  entry.bad = true;
}

/** The bundle's file entries by role. */
export interface Classified {
  manifest?: ZipEntry;
  /** entries at the root named *.zip (case-insensitive extension) */
  rootZips: ZipEntry[];
  /** *.zip entries elsewhere (outside static/), for hints */
  nestedZips: ZipEntry[];
  assets: ZipEntry[];
  others: ZipEntry[];
}

export function classify(entries: readonly ZipEntry[]): Classified {
  const c: Classified = { rootZips: [], nestedZips: [], assets: [], others: [] };
  for (const e of entries) {
    const name = e.name;
    if (e.isDirectory || name === '') continue;
    if (name === MANIFEST_ENTRY) c.manifest ??= e;
    else if (name.startsWith(STATIC_DIR)) c.assets.push(e);
    else if (/\.zip$/i.test(name)) (name.includes('/') ? c.nestedZips : c.rootZips).push(e);
    else c.others.push(e);
  }
  return c;
}
