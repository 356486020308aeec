/**
 * Check: the zip64 end record and its locator. A locator right before the classic end record means
 * zip64; then the zip64 record must be where the locator says, end exactly at the locator, name one
 * disk, and each classic field must either equal its zip64 value or be the 0xFFFF / 0xFFFFFFFF
 * sentinel (a reader that ignores zip64 must not read a different directory). Classic sentinels with
 * no locator are ZIP64_MISMATCH too.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  SIG_ZIP64_EOCD,
  SIG_ZIP64_LOCATOR,
  U16_SENTINEL,
  U32_SENTINEL,
  ZIP64_EOCD_SIZE,
  ZIP64_LOCATOR_SIZE,
  type EndRecord,
  type ZipReporter,
} from '../zip/format';
import { readAt } from '../zip/window';
import type { ClassicEnd } from './end-record';

const big = (buf: Buffer, offset: number): number => {
  const v = buf.readBigUInt64LE(offset);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
};

/** The end information, zip64 resolved; undefined (reported) when the records disagree. */
export async function checkZip64(
  fh: FileHandle,
  classic: ClassicEnd,
  reporter: ZipReporter,
): Promise<EndRecord | undefined> {
  const bad = (message: string): undefined => {
    reporter.report('ZIP64_MISMATCH', undefined, message);
    return undefined;
  };
  const locatorOffset = classic.eocdOffset - ZIP64_LOCATOR_SIZE;
  const locator = locatorOffset >= 0 ? await readAt(fh, locatorOffset, ZIP64_LOCATOR_SIZE) : Buffer.alloc(0);
  const hasLocator = locator.length === ZIP64_LOCATOR_SIZE && locator.readUInt32LE(0) === SIG_ZIP64_LOCATOR;
  const sentinels =
    classic.entryCount === U16_SENTINEL ||
    classic.cdSize === U32_SENTINEL ||
    classic.cdOffset === U32_SENTINEL;
  if (!hasLocator) {
    if (sentinels) return bad('the end record uses zip64 sentinels but there is no zip64 locator');
    return { ...classic, cdEnd: classic.eocdOffset, zip64: false };
  }
  if (locator.readUInt32LE(4) !== 0 || locator.readUInt32LE(16) > 1) {
    reporter.report('MULTI_DISK_ZIP', undefined, 'the zip64 locator names several disks: not supported');
    return undefined;
  }
  const recordOffset = big(locator, 8);
  const record = await readAt(fh, recordOffset, ZIP64_EOCD_SIZE);
  if (record.length !== ZIP64_EOCD_SIZE || record.readUInt32LE(0) !== SIG_ZIP64_EOCD) {
    return bad(`the zip64 locator points at offset ${recordOffset}, where there is no zip64 end record`);
  }
  const recordEnd = recordOffset + 12 + big(record, 4);
  if (recordEnd !== locatorOffset) {
    return bad(
      `the zip64 end record (offset ${recordOffset}) ends at ${recordEnd}, not at its locator (offset ${locatorOffset})`,
    );
  }
  if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0) {
    reporter.report('MULTI_DISK_ZIP', undefined, 'the zip64 end record names several disks: not supported');
    return undefined;
  }
  const z = {
    entriesOnDisk: big(record, 24),
    entryCount: big(record, 32),
    cdSize: big(record, 40),
    cdOffset: big(record, 48),
  };
  if (z.entriesOnDisk !== z.entryCount) {
    return bad(
      `the zip64 end record declares ${z.entriesOnDisk} entries on this disk, ${z.entryCount} in total`,
    );
  }
  const fields: [string, number, number, number][] = [
    ['entry count', classic.entryCount, z.entryCount, U16_SENTINEL],
    ['central directory size', classic.cdSize, z.cdSize, U32_SENTINEL],
    ['central directory offset', classic.cdOffset, z.cdOffset, U32_SENTINEL],
  ];
  for (const [what, c, v, sentinel] of fields) {
    if (c !== v && c !== sentinel) {
      return bad(`the classic end record's ${what} (${c}) differs from the zip64 end record's (${v})`);
    }
  }
  return { eocdOffset: classic.eocdOffset, ...z, cdEnd: recordOffset, zip64: true };
}
