/**
 * One reading of a zip file, shared by the bundle and every function zip: the pipeline of checks in
 * ../checks, run in order over one walk of the central directory:
 *   end record (checks/end-record) → zip64 (checks/zip64) → entry cap → central directory walk
 *   (checks/central-directory), and for each record as it is read: name (checks/names), kind
 *   (checks/entry-kinds), duplicates, local header (checks/local-headers) → data ranges
 *   (checks/data-ranges).
 * Structural failures of the end record or the directory stop the reading (undefined: nothing else
 * can be trusted); entry-level findings mark the entry `bad` and go on, so every problem is reported.
 * Memory: one compact ZipEntry per record; raw records are dropped as the walk goes, and with
 * `keepNames: false` (function zips) only a short label of each name is kept.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { checkEndRecord } from '../checks/end-record';
import { checkZip64 } from '../checks/zip64';
import { walkCentralDirectory, type CentralRecord } from '../checks/central-directory';
import { checkName, decodeName, nfkcOf, type NameRules } from '../checks/names';
import { DuplicateCheck, checkEntryKind, type KindRules } from '../checks/entry-kinds';
import { checkLocalHeader } from '../checks/local-headers';
import { PathConflictCheck } from '../checks/path-conflicts';
import { checkDataRanges } from '../checks/data-ranges';
import { escapeName, type EndRecord, type ZipEntry, type ZipReporter } from './format';
import { FileWindow } from './window';
import { q } from '../issues';

export interface InspectOptions extends NameRules, KindRules {
  maxEntries: number;
  /** keep each entry's full name (the bundle); false: a label of at most SHORT_LABEL chars */
  keepNames: boolean;
  /** names to look for (e.g. a handler file); found ones are returned */
  lookFor?: ReadonlySet<string>;
}

export interface ZipDirectory {
  size: number;
  /** where entry data must end */
  centralDirectoryOffset: number;
  entries: ZipEntry[];
  /** the sum of the declared uncompressed sizes */
  unzippedSize: number;
  /** the names of lookFor present as file entries */
  found: Set<string>;
}

/** Labels of names not kept are cut to this many characters. */
export const SHORT_LABEL = 256;

function label(text: string, keep: boolean): string {
  return keep || text.length <= SHORT_LABEL ? text : `${text.slice(0, SHORT_LABEL)}…`;
}

function newEntry(rec: CentralRecord): ZipEntry {
  return {
    index: rec.index,
    centralOffset: rec.centralOffset,
    name: '',
    label: '',
    isDirectory: false,
    method: rec.method,
    flags: rec.flags,
    crc32: rec.crc32 >>> 0,
    compressedSize: rec.compressedSize,
    uncompressedSize: rec.uncompressedSize,
    localHeaderOffset: rec.localHeaderOffset,
    unixFileType: rec.unixFileType,
    dataOffset: -1,
    end: -1,
    bad: false,
  };
}

interface Walk {
  opts: InspectOptions;
  reporter: ZipReporter;
  local: FileWindow;
  end: EndRecord;
  entries: ZipEntry[];
  duplicates: DuplicateCheck;
  paths: PathConflictCheck;
  found: Set<string>;
  /** every local header so far agreed with its central record */
  localsAgree: boolean;
}

async function onRecord(w: Walk, rec: CentralRecord): Promise<void> {
  const { opts, reporter } = w;
  const entry = newEntry(rec);
  const name = decodeName(rec.nameBytes, rec.flags, entry, opts, reporter);
  if (name !== undefined) {
    entry.label = label(escapeName(name), opts.keepNames);
    entry.isDirectory = name.endsWith('/');
    const nfkc = nfkcOf(name);
    checkName(name, nfkc, entry, reporter);
    w.duplicates.check(nfkc, entry, reporter);
    w.paths.check(nfkc, entry, reporter);
    if (opts.keepNames) entry.name = name;
    if (w.opts.lookFor?.has(name) && !entry.isDirectory) w.found.add(name);
  }
  if (rec.unicodePathProblem) {
    reporter.report('BAD_ENTRY_NAME', entry, `entry ${q(entry.label)}: ${rec.unicodePathProblem}`);
    entry.bad = true;
  }
  checkEntryKind(entry, opts, reporter);
  if (!(await checkLocalHeader(w.local, rec, entry, w.end.cdOffset, reporter))) w.localsAgree = false;
  w.entries.push(entry);
}

async function inspectOpen(
  fh: FileHandle,
  size: number,
  opts: InspectOptions,
  reporter: ZipReporter,
): Promise<ZipDirectory | undefined> {
  const classic = await checkEndRecord(fh, size, reporter);
  const end = classic && (await checkZip64(fh, classic, reporter));
  if (!end) return undefined;
  if (end.entryCount > opts.maxEntries) {
    reporter.report(
      'TOO_MANY_ENTRIES',
      undefined,
      `the zip has ${end.entryCount.toLocaleString('en-US')} entries, more than the limit of ${opts.maxEntries.toLocaleString('en-US')}`,
    );
    return undefined;
  }
  const w: Walk = {
    opts,
    reporter,
    local: new FileWindow(fh, end.cdOffset),
    end,
    entries: [],
    duplicates: new DuplicateCheck(),
    paths: new PathConflictCheck(end.entryCount),
    found: new Set(),
    localsAgree: true,
  };
  const cd = new FileWindow(fh, end.cdEnd);
  if (!(await walkCentralDirectory(cd, end, opts.maxEntries, reporter, (rec) => onRecord(w, rec)))) {
    return undefined;
  }
  checkDataRanges(w.entries, end.cdOffset, reporter, w.localsAgree);
  const unzippedSize = w.entries.reduce((sum, e) => sum + e.uncompressedSize, 0);
  return { size, centralDirectoryOffset: end.cdOffset, entries: w.entries, unzippedSize, found: w.found };
}

/**
 * Reads and checks the zip at `file`, reporting every finding; undefined when its end record or
 * central directory cannot be trusted. I/O errors (a missing file...) are thrown as they come.
 */
export async function inspectZip(
  file: string,
  opts: InspectOptions,
  reporter: ZipReporter,
): Promise<ZipDirectory | undefined> {
  const fh = await open(file, 'r');
  try {
    return await inspectOpen(fh, (await fh.stat()).size, opts, reporter);
  } finally {
    await fh.close();
  }
}
