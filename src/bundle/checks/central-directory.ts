/**
 * Check: the central directory, walked record by record from the offset the end record gives, must
 * hold exactly the records the end record counts and fill exactly the size it declares, ending where
 * the end record (or the zip64 end record) starts. Each record is decoded (zip64 sizes resolved) and
 * handed to `onRecord` with its raw name bytes, which are not kept: memory stays flat whatever the
 * entry count. More records than `maxEntries` stops the walk (the caller has checked the count).
 */
import {
  CENTRAL_HEADER_SIZE,
  HOST_MACOS,
  HOST_UNIX,
  S_IFDIR,
  S_IFMT,
  SIG_CENTRAL_HEADER,
  U16_SENTINEL,
  type EndRecord,
  type ZipReporter,
} from '../zip/format';
import { resolveZip64, unicodePathProblem } from '../zip/extra';
import type { FileWindow } from '../zip/window';

/** One central record as read (name bytes valid only during the callback). */
export interface CentralRecord {
  index: number;
  centralOffset: number;
  nameBytes: Buffer;
  versionMadeBy: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  unixFileType: number;
  /** the record's zip64 extra field gave one of its sizes */
  zip64: boolean;
  /** its Unicode Path extra field gives another name than its header (zip/extra.ts) */
  unicodePathProblem?: string;
}

const mismatch = (reporter: ZipReporter, message: string): false => {
  reporter.report('ZIP_END_RECORD_MISMATCH', undefined, message);
  return false;
};

/** MS-DOS hosts (FAT, NTFS, VFAT) whose directory attribute (0x10) Go's archive/zip reads as a directory. */
const DOS_HOSTS: ReadonlySet<number> = new Set([0, 11, 14]);
const DOS_DIRECTORY = 0x10;

/** The file type the attributes give: Unix mode bits (Unix, macOS hosts), or S_IFDIR for the MS-DOS
 * directory attribute (as Go's archive/zip reads it); 0 when they give none. */
function unixFileType(versionMadeBy: number, external: number): number {
  const host = versionMadeBy >> 8;
  if (DOS_HOSTS.has(host)) return (external & DOS_DIRECTORY) !== 0 ? S_IFDIR : 0;
  return host === HOST_UNIX || host === HOST_MACOS ? ((external >>> 16) & S_IFMT) >>> 0 : 0;
}

/** Decodes the record at `offset` (its fixed part already read into `h`); a string says what is wrong. */
function decodeRecord(h: Buffer, rest: Buffer, index: number, offset: number): CentralRecord | string {
  const nameLength = h.readUInt16LE(28);
  const extraLength = h.readUInt16LE(30);
  const nameBytes = Buffer.from(rest.subarray(0, nameLength));
  const extra = rest.subarray(nameLength, nameLength + extraLength);
  const versionMadeBy = h.readUInt16LE(4);
  if (h.readUInt16LE(34) !== 0 && h.readUInt16LE(34) !== U16_SENTINEL) return 'it names another disk';
  const sizes = resolveZip64(
    {
      compressedSize: h.readUInt32LE(20),
      uncompressedSize: h.readUInt32LE(24),
      localHeaderOffset: h.readUInt32LE(42),
    },
    extra,
  );
  if (typeof sizes === 'string') return sizes;
  return {
    index,
    centralOffset: offset,
    nameBytes,
    versionMadeBy,
    flags: h.readUInt16LE(8),
    method: h.readUInt16LE(10),
    crc32: h.readUInt32LE(16),
    compressedSize: sizes.compressedSize,
    uncompressedSize: sizes.uncompressedSize,
    localHeaderOffset: sizes.localHeaderOffset ?? 0,
    unixFileType: unixFileType(versionMadeBy, h.readUInt32LE(38)),
    zip64: sizes.compressedSize !== h.readUInt32LE(20) || sizes.uncompressedSize !== h.readUInt32LE(24),
    unicodePathProblem: unicodePathProblem(extra, nameBytes),
  };
}

/** Walks the directory; false (reported) when it does not agree with the end record. */
export async function walkCentralDirectory(
  cd: FileWindow,
  end: EndRecord,
  maxEntries: number,
  reporter: ZipReporter,
  onRecord: (record: CentralRecord) => Promise<void>,
): Promise<boolean> {
  if (end.cdOffset + end.cdSize !== end.cdEnd) {
    return mismatch(
      reporter,
      `the end record puts the central directory at offset ${end.cdOffset} with ${end.cdSize} bytes, ending at ${end.cdOffset + end.cdSize}, but the end record itself is at ${end.cdEnd}`,
    );
  }
  let offset = end.cdOffset;
  let index = 0;
  while (offset < end.cdEnd) {
    if (index >= end.entryCount || index >= maxEntries) {
      return mismatch(
        reporter,
        `the central directory holds more than the ${end.entryCount} entries the end record declares`,
      );
    }
    const fixed = Buffer.from(await cd.read(offset, CENTRAL_HEADER_SIZE));
    if (fixed.length < CENTRAL_HEADER_SIZE || fixed.readUInt32LE(0) !== SIG_CENTRAL_HEADER) {
      return mismatch(
        reporter,
        `central directory record ${index + 1} (offset ${offset}) is not a central directory header: the directory does not fill the ${end.cdSize} bytes the end record declares`,
      );
    }
    const variable = fixed.readUInt16LE(28) + fixed.readUInt16LE(30) + fixed.readUInt16LE(32);
    const recordEnd = offset + CENTRAL_HEADER_SIZE + variable;
    if (recordEnd > end.cdEnd) {
      return mismatch(
        reporter,
        `central directory record ${index + 1} runs past the directory's declared end`,
      );
    }
    const rest = await cd.read(offset + CENTRAL_HEADER_SIZE, variable);
    const record = decodeRecord(fixed, rest, index, offset);
    if (typeof record === 'string') {
      reporter.report('CORRUPT_ZIP', undefined, `central directory record ${index + 1}: ${record}`);
      return false;
    }
    await onRecord(record);
    offset = recordEnd;
    index++;
  }
  if (index !== end.entryCount) {
    return mismatch(
      reporter,
      `the end record declares ${end.entryCount} entries, the central directory holds ${index}`,
    );
  }
  return true;
}
