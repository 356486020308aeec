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
 * Keys are 64-bit hashes of the names after NFKC (as the duplicate check compares them).
 */
import { q } from '../issues';
import type { ZipEntry, ZipReporter } from '../zip/format';

/** Distinct directories a zip may imply, per entry it declares, beyond MIN_DIRECTORY_ALLOWANCE. */
export const MAX_DIRECTORIES_PER_ENTRY = 4;
/** Directories any zip may imply: at least the depth of the longest name allowed (4,096 bytes). */
export const MIN_DIRECTORY_ALLOWANCE = 4096;

/** The directory cap of a zip declaring `entryCount` entries. */
export const maxDirectories = (entryCount: number): number =>
  entryCount * MAX_DIRECTORIES_PER_ENTRY + MIN_DIRECTORY_ALLOWANCE;

const SLASH = 0x2f;

const FILE = 1;
const DIR = 2;

/**
 * An open-addressing table of path keys (two 32-bit FNV-1a variants of the path, 64 bits: a collision, about
 * 1 in 10^9 for the largest zips within the caps, can only make a zip wrongly rejected) in typed
 * arrays sized once: a few MB whatever the names, no object per key.
 */
class PathTable {
  private readonly a: Int32Array;
  private readonly b: Int32Array;
  /** 0 empty, FILE or DIR */
  private readonly kind: Uint8Array;
  /** the entry that put the path here (an index into `entries`) */
  private readonly who: Int32Array;
  private readonly mask: number;
  size = 0;

  constructor(capacity: number) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.mask = slots - 1;
    this.a = new Int32Array(slots);
    this.b = new Int32Array(slots);
    this.kind = new Uint8Array(slots);
    this.who = new Int32Array(slots);
  }

  private slot(a: number, b: number): number {
    let i = (a ^ Math.imul(b, 0x27d4eb2d)) & this.mask;
    while (this.kind[i] !== 0 && (this.a[i] !== a || this.b[i] !== b)) i = (i + 1) & this.mask;
    return i;
  }

  /** The kind and entry index at this key, or undefined. */
  get(a: number, b: number): { kind: number; who: number } | undefined {
    const i = this.slot(a, b);
    const kind = this.kind[i] ?? 0;
    return kind === 0 ? undefined : { kind, who: this.who[i] ?? 0 };
  }

  /** Records the key when it is new (the first kind and entry stay). */
  add(a: number, b: number, kind: number, who: number): void {
    const i = this.slot(a, b);
    if (this.kind[i] !== 0) return;
    this.a[i] = a;
    this.b[i] = b;
    this.kind[i] = kind;
    this.who[i] = who;
    this.size++;
  }
}

export class PathConflictCheck {
  private readonly table: PathTable;
  private readonly entries: ZipEntry[] = [];
  private dirs = 0;
  private tooMany = false;

  /** `maxEntries`: the entries the zip declares */
  constructor(
    maxEntries: number,
    private readonly maxDirs: number = maxDirectories(maxEntries),
  ) {
    this.table = new PathTable(maxEntries + maxDirs + 1);
  }

  /** `nfkc`: the entry's name after NFKC normalization (a directory's ends with "/") */
  check(nfkc: string, e: ZipEntry, r: ZipReporter): void {
    const isDir = nfkc.endsWith('/');
    const path = isDir ? nfkc.slice(0, -1) : nfkc;
    if (path === '') return;
    const me = this.entries.push(e) - 1;
    // every "/"-ended prefix's key, then the path's, in one pass (no slices, no digests)
    const ancestors: number[] = [];
    let a = 0x811c9dc5 | 0;
    let b = 0x9747b28c | 0;
    for (let i = 0; i < path.length; i++) {
      const c = path.charCodeAt(i);
      if (c === SLASH && i > 0) ancestors.push(a, b);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    const here = this.table.get(a, b);
    if (here && here.kind !== (isDir ? DIR : FILE)) {
      const other = this.entries[here.who] as ZipEntry;
      if (isDir) this.conflict(other, e, r);
      else this.conflict(e, other, r);
    }
    if (!here) {
      this.table.add(a, b, isDir ? DIR : FILE, me);
      if (isDir) this.dirs++;
    }
    // nearest ancestor first: stop at the first directory already known (its own were judged then)
    for (let i = ancestors.length - 2; i >= 0; i -= 2) {
      const ka = ancestors[i] as number;
      const kb = ancestors[i + 1] as number;
      const known = this.table.get(ka, kb);
      if (known?.kind === FILE) this.conflict(this.entries[known.who] as ZipEntry, e, r);
      if (known) return;
      if (this.dirs >= this.maxDirs) {
        if (!this.tooMany)
          r.report(
            'TOO_MANY_ENTRIES',
            e,
            `entry ${q(e.label)}: the zip's paths make more than ${this.maxDirs.toLocaleString('en-US')} directories`,
          );
        this.tooMany = true;
        e.bad = true;
        return;
      }
      this.table.add(ka, kb, DIR, me);
      this.dirs++;
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
