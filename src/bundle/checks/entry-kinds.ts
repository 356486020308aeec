/**
 * Check: what kind of entry each is, from its central record alone. Regular files and directories
 * only (no symlinks, devices, FIFOs), not encrypted, stored or deflated, a sane compression ratio
 * (zip-bomb guard, skipped where every byte is inflated anyway), a directory ("name/") holding no
 * data, and no name twice (compared after NFKC: two names that normalize alike are one file on many
 * file systems, so which copy counts would be ambiguous).
 */
import { createHash } from 'node:crypto';
import { bytes, q } from '../issues';
import {
  EMPTY_DEFLATE_SIZE,
  METHOD_DEFLATED,
  METHOD_STORED,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
  isEncrypted,
  type ZipEntry,
  type ZipReporter,
} from '../zip/format';

export interface KindRules {
  /** uncompressed / compressed above this is a bomb (undefined: not judged) */
  maxCompressionRatio?: number;
  /** entries below this size are not judged by ratio */
  ratioMinBytes: number;
}

function checkType(e: ZipEntry, r: ZipReporter): void {
  const label = q(e.label);
  if (e.unixFileType === S_IFDIR && !e.isDirectory) {
    // Go's archive/zip (FileInfo().IsDir()) goes by the attributes: an extractor built on it makes a
    // directory where every other reader writes this file
    r.report(
      'SPECIAL_FILE_ENTRY',
      e,
      `entry ${label} is a file by its name but a directory by its attributes; readers disagree on what it is`,
    );
    e.bad = true;
    return;
  }
  if (e.unixFileType === 0 || e.unixFileType === S_IFREG || e.unixFileType === S_IFDIR) return;
  if (e.unixFileType === S_IFLNK) {
    r.report('SYMLINK_ENTRY', e, `entry ${label} is a symbolic link; zips here may hold regular files only`);
  } else {
    r.report(
      'SPECIAL_FILE_ENTRY',
      e,
      `entry ${label} is a special file (mode ${e.unixFileType.toString(8)}); zips here may hold regular files only`,
    );
  }
  e.bad = true;
}

function checkData(e: ZipEntry, rules: KindRules, r: ZipReporter): void {
  const bad = (code: Parameters<ZipReporter['report']>[0], message: string): void => {
    r.report(code, e, message);
    e.bad = true;
  };
  if (isEncrypted(e))
    bad('ENCRYPTED_ENTRY', `entry ${q(e.label)} is encrypted; zips here must not be encrypted`);
  if (e.method !== METHOD_STORED && e.method !== METHOD_DEFLATED) {
    bad(
      'UNSUPPORTED_COMPRESSION',
      `entry ${q(e.label)} uses compression method ${e.method}; only stored (0) and deflate (8) are supported`,
    );
  } else if (e.method === METHOD_STORED && e.compressedSize !== e.uncompressedSize) {
    bad(
      'ENTRY_SIZE_MISMATCH',
      `entry ${q(e.label)} is stored (not compressed) but declares ${e.compressedSize} bytes stored for ${e.uncompressedSize} bytes`,
    );
  }
  if (e.isDirectory) {
    const empty = e.method === METHOD_DEFLATED ? EMPTY_DEFLATE_SIZE : 0;
    if (e.uncompressedSize !== 0 || e.compressedSize > empty) {
      bad(
        'DIRECTORY_WITH_DATA',
        `entry ${q(e.label)} is a directory (its name ends with "/") but holds ${bytes(e.uncompressedSize)} of data (${e.compressedSize} compressed)`,
      );
    }
  }
  const max = rules.maxCompressionRatio;
  if (
    max !== undefined &&
    e.uncompressedSize >= rules.ratioMinBytes &&
    e.uncompressedSize > e.compressedSize * max
  ) {
    const ratio =
      e.compressedSize === 0 ? 'an infinite' : `a ${Math.round(e.uncompressedSize / e.compressedSize)}:1`;
    bad(
      'COMPRESSION_RATIO_TOO_HIGH',
      `entry ${q(e.label)} has ${ratio} compression ratio (${bytes(e.compressedSize)} inflating to ${bytes(e.uncompressedSize)}), above the limit of ${max}:1 (zip bomb?)`,
    );
  }
}

/** Type, encryption, method, directory data and ratio of one entry. */
export function checkEntryKind(e: ZipEntry, rules: KindRules, r: ZipReporter): void {
  checkType(e, r);
  checkData(e, rules, r);
}

const SHORT_KEY = 48;

/** Remembers names (as a short digest of their NFKC form: memory stays flat) and reports repeats. */
export class DuplicateCheck {
  private readonly seen = new Map<string, ZipEntry>();

  /** `nfkc`: the name after NFKC normalization */
  check(nfkc: string, e: ZipEntry, r: ZipReporter): void {
    // short names are their own key; long ones a digest (NUL-prefixed: no name holds a NUL and passes)
    const key =
      nfkc.length <= SHORT_KEY
        ? nfkc
        : `\u0000${createHash('sha256').update(nfkc).digest('base64').slice(0, 22)}`;
    const first = this.seen.get(key);
    if (!first) {
      this.seen.set(key, e);
      return;
    }
    const alike = first.label === e.label ? '' : ` (as ${q(first.label)}, once normalized)`;
    r.report(
      'DUPLICATE_ENTRY',
      e,
      `entry ${q(e.label)} appears more than once in the zip${alike}; which copy counts is ambiguous`,
    );
    e.bad = true;
    first.bad = true;
  }
}
