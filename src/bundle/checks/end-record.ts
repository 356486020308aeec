/**
 * Check: the end-of-central-directory record. It is the LAST end-record signature in the file's tail
 * (where Python's zipfile looks), and its comment length must account exactly for the bytes after it:
 * anything else there (appended data, a second end record hidden in the comment) is ZIP_TRAILING_DATA,
 * since readers that search differently would find a different zip. Disk fields must say "one disk";
 * the two entry counts must be equal. Zip64 (checks/zip64.ts) then refines the figures.
 */
import {
  EOCD_SIZE,
  MAX_COMMENT,
  SIG_EOCD,
  SIG_LOCAL_HEADER,
  U16_SENTINEL,
  U32_SENTINEL,
  type ZipReporter,
} from '../zip/format';
import { readAt } from '../zip/window';
import type { FileHandle } from 'node:fs/promises';

const EOCD_SIGNATURE_BYTES = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** The classic end record's fields, as written (sentinels not resolved). */
export interface ClassicEnd {
  eocdOffset: number;
  disk: number;
  cdDisk: number;
  entriesOnDisk: number;
  entryCount: number;
  cdSize: number;
  cdOffset: number;
}

/** Finds the end record; reports and returns undefined when there is none usable. */
export async function checkEndRecord(
  fh: FileHandle,
  size: number,
  reporter: ZipReporter,
): Promise<ClassicEnd | undefined> {
  if (size === 0) {
    reporter.report('NOT_A_ZIP', undefined, 'the file is empty, not a zip');
    return undefined;
  }
  const tailStart = Math.max(0, size - (EOCD_SIZE + MAX_COMMENT));
  const tail = await readAt(fh, tailStart, size - tailStart);
  const at = tail.length < EOCD_SIZE ? -1 : tail.lastIndexOf(EOCD_SIGNATURE_BYTES, tail.length - EOCD_SIZE);
  if (at < 0 || tail.readUInt32LE(at) !== SIG_EOCD) {
    const head = await readAt(fh, 0, 4);
    if (head.length === 4 && head.readUInt32LE(0) === SIG_LOCAL_HEADER) {
      reporter.report(
        'TRUNCATED_ZIP',
        undefined,
        'the file starts like a zip but has no end-of-central-directory record: it is truncated (or has more than 64 KiB appended)',
      );
    } else reporter.report('NOT_A_ZIP', undefined, 'not a zip file (no end-of-central-directory record)');
    return undefined;
  }
  const commentLength = tail.readUInt16LE(at + 20);
  const after = tail.length - at - EOCD_SIZE;
  // a comment running past the end: a real end record whose file was cut short, or a signature
  // inside appended garbage (then its directory figures do not lead to it)
  const plausible =
    tail.readUInt32LE(at + 12) + tail.readUInt32LE(at + 16) === tailStart + at ||
    tail.readUInt32LE(at + 16) === U32_SENTINEL;
  if (commentLength > after && plausible) {
    reporter.report(
      'TRUNCATED_ZIP',
      undefined,
      `the end-of-central-directory record declares a ${commentLength}-byte comment but only ${after} bytes follow it: the file is truncated`,
    );
    return undefined;
  }
  if (commentLength !== after) {
    reporter.report(
      'ZIP_TRAILING_DATA',
      undefined,
      `the end-of-central-directory record declares a ${commentLength}-byte comment but ${after} bytes follow it (data appended after the zip, or an end record hidden in the comment)`,
    );
    return undefined;
  }
  const end: ClassicEnd = {
    eocdOffset: tailStart + at,
    disk: tail.readUInt16LE(at + 4),
    cdDisk: tail.readUInt16LE(at + 6),
    entriesOnDisk: tail.readUInt16LE(at + 8),
    entryCount: tail.readUInt16LE(at + 10),
    cdSize: tail.readUInt32LE(at + 12),
    cdOffset: tail.readUInt32LE(at + 16),
  };
  return checkClassicFields(end, reporter) ? end : undefined;
}

function checkClassicFields(end: ClassicEnd, reporter: ZipReporter): boolean {
  const disk = (v: number): boolean => v === 0 || v === U16_SENTINEL;
  if (!disk(end.disk) || !disk(end.cdDisk)) {
    reporter.report(
      'MULTI_DISK_ZIP',
      undefined,
      `the end record names disk ${end.disk} (central directory on disk ${end.cdDisk}): multi-part (spanned) zips are not supported`,
    );
    return false;
  }
  if (end.entriesOnDisk !== end.entryCount) {
    reporter.report(
      'ZIP_END_RECORD_MISMATCH',
      undefined,
      `the end record declares ${end.entriesOnDisk} entries on this disk but ${end.entryCount} entries in total`,
    );
    return false;
  }
  return true;
}
