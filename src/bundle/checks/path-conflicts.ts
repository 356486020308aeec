/**
 * Check: no path is both a file and a directory. A file "index.js" beside a directory entry
 * "index.js/", or beside "index.js/x" (which makes "index.js" a directory for an extracting reader),
 * is two things at one path: unzip keeps the directory and drops the file, Python's zipfile fails, and
 * what Lambda's runtime would find is anyone's guess. Decided for every reader: an error.
 *
 * One pass, both orders: files by path; directories, explicit ("x/") or implied by an entry's
 * ancestors, by path. Climbing an entry's ancestors stops at the first one already known, so the work
 * and memory are linear in the number of distinct directories, which is capped (a zip made of deep
 * single-file directories is no real function): maxDirectories().
 * Keys are the names after NFKC (as the duplicate check compares them); long ones a digest.
 */
import { createHash } from 'node:crypto';
import { q } from '../issues';
import type { ZipEntry, ZipReporter } from '../zip/format';

/** Distinct directories a zip may imply, per entry it declares, beyond MIN_DIRECTORY_ALLOWANCE. */
export const MAX_DIRECTORIES_PER_ENTRY = 4;
/** Directories any zip may imply: at least the depth of the longest name allowed (4,096 bytes). */
export const MIN_DIRECTORY_ALLOWANCE = 4096;

/** The directory cap of a zip declaring `entryCount` entries. */
export const maxDirectories = (entryCount: number): number =>
  entryCount * MAX_DIRECTORIES_PER_ENTRY + MIN_DIRECTORY_ALLOWANCE;

const SHORT_KEY = 48;
const keyOf = (p: string): string =>
  p.length <= SHORT_KEY ? p : `\u0000${createHash('sha256').update(p).digest('base64').slice(0, 22)}`;

export class PathConflictCheck {
  private readonly files = new Map<string, ZipEntry>();
  /** directory path key → the entry that made it a directory */
  private readonly dirs = new Map<string, ZipEntry>();
  private tooMany = false;

  constructor(private readonly maxDirectories: number) {}

  /** `nfkc`: the entry's name after NFKC normalization (a directory's ends with "/") */
  check(nfkc: string, e: ZipEntry, r: ZipReporter): void {
    const isDir = nfkc.endsWith('/');
    const path = isDir ? nfkc.slice(0, -1) : nfkc;
    if (path === '') return;
    const k = keyOf(path);
    if (isDir) {
      const file = this.files.get(k);
      if (file) this.conflict(file, e, r);
      if (!this.dirs.has(k)) this.dirs.set(k, e);
    } else {
      const dir = this.dirs.get(k);
      if (dir) this.conflict(e, dir, r);
      if (!this.files.has(k)) this.files.set(k, e);
    }
    this.climb(path, e, r);
  }

  private climb(path: string, e: ZipEntry, r: ZipReporter): void {
    let cut = path.lastIndexOf('/');
    while (cut > 0) {
      const ancestor = path.slice(0, cut);
      const k = keyOf(ancestor);
      const file = this.files.get(k);
      if (file) this.conflict(file, e, r);
      if (this.dirs.has(k)) return;
      if (this.dirs.size >= this.maxDirectories) {
        if (!this.tooMany)
          r.report(
            'TOO_MANY_ENTRIES',
            e,
            `entry ${q(e.label)}: the zip's paths make more than ${this.maxDirectories.toLocaleString('en-US')} directories`,
          );
        this.tooMany = true;
        e.bad = true;
        return;
      }
      this.dirs.set(k, e);
      cut = ancestor.lastIndexOf('/');
    }
  }

  private conflict(file: ZipEntry, dir: ZipEntry, r: ZipReporter): void {
    const via = dir.isDirectory ? `the directory entry ${q(dir.label)}` : `entry ${q(dir.label)} under it`;
    r.report(
      'DUPLICATE_ENTRY',
      file,
      `entry ${q(file.label)} is a file, and ${via} makes the same path a directory; extracting readers keep one or fail`,
    );
    file.bad = true;
    dir.bad = true;
  }
}
