/**
 * Zip format constants (APPNOTE.TXT 6.3) and the compact entry every check works on. The central
 * directory is walked record by record into ZipEntry objects: numbers and one name string, nothing of
 * the raw records is kept (see zip/inspect.ts).
 */

export const SIG_LOCAL_HEADER = 0x04034b50;
export const SIG_CENTRAL_HEADER = 0x02014b50;
export const SIG_EOCD = 0x06054b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;
export const SIG_ZIP64_EOCD = 0x06064b50;
export const SIG_DATA_DESCRIPTOR = 0x08074b50;

export const EOCD_SIZE = 22;
export const ZIP64_LOCATOR_SIZE = 20;
/** fixed part of the zip64 end record (its "size of record" field counts from byte 12) */
export const ZIP64_EOCD_SIZE = 56;
export const LOCAL_HEADER_SIZE = 30;
export const CENTRAL_HEADER_SIZE = 46;
export const MAX_COMMENT = 0xffff;
export const U16_SENTINEL = 0xffff;
export const U32_SENTINEL = 0xffffffff;
/** id of the zip64 extended information extra field */
export const EXTRA_ZIP64 = 0x0001;
/** Info-ZIP Unicode Path extra field. */
export const EXTRA_UNICODE_PATH = 0x7075;

/** General purpose flag bits. */
export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
export const FLAG_STRONG_ENCRYPTION = 0x0040;
export const FLAG_UTF8 = 0x0800;
/** The bits that change how an entry is read: they must agree between local and central headers. */
export const FLAGS_COMPARED = FLAG_ENCRYPTED | FLAG_DATA_DESCRIPTOR | FLAG_STRONG_ENCRYPTION | FLAG_UTF8;

export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;
/** Compressed size of an empty deflate stream (a directory some writers deflate). */
export const EMPTY_DEFLATE_SIZE = 2;

/** "made by" hosts whose external attributes carry a Unix mode in their high 16 bits. */
export const HOST_UNIX = 3;
export const HOST_MACOS = 19;
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

/** One entry of a zip, from its central record, completed by what its local header says. */
export interface ZipEntry {
  /** position in the central directory (0-based) */
  index: number;
  /** file offset of the central record (its name can be read again from there) */
  centralOffset: number;
  /** the name decoded as UTF-8 ("" when the reader was told not to keep names) */
  name: string;
  /** the name for messages: control characters and invalid bytes as \xNN */
  label: string;
  isDirectory: boolean;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** S_IFMT bits of the Unix mode when made on a Unix-like host, else 0 */
  unixFileType: number;
  /** where the data starts: local header offset + 30 + LOCAL name length + LOCAL extra length (-1: unknown) */
  dataOffset: number;
  /** end of the entry: data, and the data descriptor if any (-1: unknown) */
  end: number;
  /** a check found this entry unsafe or inconsistent: its data is not read */
  bad: boolean;
}

/** Issue codes the zip-level checks raise (the caller maps them for function zips). */
export type ZipIssueCode =
  | 'NOT_A_ZIP'
  | 'TRUNCATED_ZIP'
  | 'CORRUPT_ZIP'
  | 'MULTI_DISK_ZIP'
  | 'TOO_MANY_ENTRIES'
  | 'TOTAL_UNZIPPED_TOO_LARGE'
  | 'ZIP_END_RECORD_MISMATCH'
  | 'ZIP64_MISMATCH'
  | 'ZIP_TRAILING_DATA'
  | 'ZIP_LEADING_DATA'
  | 'LOCAL_HEADER_MISMATCH'
  | 'ENTRY_OUT_OF_BOUNDS'
  | 'OVERLAPPING_ENTRIES'
  | 'BAD_ENTRY_NAME'
  | 'UNSAFE_ENTRY_PATH'
  | 'DUPLICATE_ENTRY'
  | 'DIRECTORY_WITH_DATA'
  | 'SYMLINK_ENTRY'
  | 'SPECIAL_FILE_ENTRY'
  | 'ENCRYPTED_ENTRY'
  | 'UNSUPPORTED_COMPRESSION'
  | 'COMPRESSION_RATIO_TOO_HIGH'
  | 'ENTRY_SIZE_MISMATCH'
  | 'ENTRY_CRC_MISMATCH'
  | 'ENTRY_UNREADABLE';

/** Where zip checks report: `entry` undefined for the zip as a whole. */
export interface ZipReporter {
  report(code: ZipIssueCode, entry: ZipEntry | undefined, message: string): void;
}

/** The end-of-central-directory information, classic and zip64 merged. */
export interface EndRecord {
  eocdOffset: number;
  entryCount: number;
  cdOffset: number;
  cdSize: number;
  /** where the central directory must end: the zip64 end record, or the classic one */
  cdEnd: number;
  zip64: boolean;
}

export function isEncrypted(entry: Pick<ZipEntry, 'flags'>): boolean {
  return (entry.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0;
}

/** Bytes for messages: printable ASCII as is, everything else (control characters...) as \xNN. */
export function escapeBytes(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) {
    out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** A decoded name for messages: C0, DEL, C1 and bidi controls as \xNN / \uNNNN; the rest as is. */
export function escapeName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16)}`;
  });
}
