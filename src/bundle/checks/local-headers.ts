/**
 * Check: every local header, read from the bytes, agrees with its central record — signature, name
 * bytes, method, the flag bits that change how the entry is read (encryption, data descriptor,
 * UTF-8), CRC-32 and sizes (zip64 sizes from the local zip64 field). With the data-descriptor bit the
 * local CRC and sizes may be zero, and the descriptor after the data (with or without its optional
 * signature, 32- or 64-bit sizes) must agree instead. Sets the entry's data offset and end from the
 * LOCAL header, which is what a streaming reader uses.
 */
import { q } from '../issues';
import {
  FLAGS_COMPARED,
  FLAG_DATA_DESCRIPTOR,
  LOCAL_HEADER_SIZE,
  SIG_DATA_DESCRIPTOR,
  SIG_LOCAL_HEADER,
  EXTRA_ZIP64,
  U32_SENTINEL,
  type ZipEntry,
  type ZipReporter,
} from '../zip/format';
import { findExtra, unicodePathProblem } from '../zip/extra';
import type { FileWindow } from '../zip/window';
import type { CentralRecord } from './central-directory';

interface LocalFields {
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
}

const u64 = (b: Buffer, at: number): number => Number(b.readBigUInt64LE(at));

function localSizes(h: Buffer, extra: Buffer): LocalFields | string {
  const f: LocalFields = {
    flags: h.readUInt16LE(6),
    method: h.readUInt16LE(8),
    crc32: h.readUInt32LE(14),
    compressedSize: h.readUInt32LE(18),
    uncompressedSize: h.readUInt32LE(22),
  };
  const zip64 = findExtra(extra, EXTRA_ZIP64);
  if (zip64 === 'malformed') return 'its extra field is malformed';
  if (f.compressedSize !== U32_SENTINEL && f.uncompressedSize !== U32_SENTINEL) return f;
  // APPNOTE 4.5.3: in a local header the zip64 field holds both sizes, uncompressed first
  if (!zip64 || zip64.length < 16) return 'its sizes are 0xFFFFFFFF but it has no zip64 extra field';
  return { ...f, uncompressedSize: u64(zip64, 0), compressedSize: u64(zip64, 8) };
}

/** The field where local and central disagree, or undefined. */
function disagreement(local: LocalFields, rec: CentralRecord): string | undefined {
  if (local.method !== rec.method) return `method (local ${local.method}, central ${rec.method})`;
  if ((local.flags & FLAGS_COMPARED) !== (rec.flags & FLAGS_COMPARED)) {
    return `flags (local 0x${local.flags.toString(16)}, central 0x${rec.flags.toString(16)})`;
  }
  const descriptor = (rec.flags & FLAG_DATA_DESCRIPTOR) !== 0;
  const fields: [string, number, number][] = [
    ['CRC-32', local.crc32, rec.crc32],
    ['compressed size', local.compressedSize, rec.compressedSize],
    ['uncompressed size', local.uncompressedSize, rec.uncompressedSize],
  ];
  for (const [what, l, c] of fields) {
    if (l !== c && !(descriptor && l === 0)) return `${what} (local ${l}, central ${c})`;
  }
  return undefined;
}

/** Length of the data descriptor at `at` agreeing with the record, or a string saying what is wrong. */
async function descriptorLength(w: FileWindow, at: number, rec: CentralRecord): Promise<number | string> {
  const b = await w.read(at, 24);
  const matches = (start: number, wide: boolean): boolean => {
    const need = start + 4 + (wide ? 16 : 8);
    if (b.length < need || b.readUInt32LE(start) !== rec.crc32 >>> 0) return false;
    const csize = wide ? u64(b, start + 4) : b.readUInt32LE(start + 4);
    const usize = wide ? u64(b, start + 12) : b.readUInt32LE(start + 8);
    return csize === rec.compressedSize && usize === rec.uncompressedSize;
  };
  const signed = b.length >= 4 && b.readUInt32LE(0) === SIG_DATA_DESCRIPTOR;
  for (const wide of rec.zip64 ? [true, false] : [false, true]) {
    if (signed && matches(4, wide)) return 4 + 4 + (wide ? 16 : 8);
    if (matches(0, wide)) return 4 + (wide ? 16 : 8);
  }
  return 'the data descriptor after its data does not match the central record (CRC-32 or sizes)';
}

/**
 * Reads and checks `entry`'s local header; `dataLimit` is the central directory's offset. False when
 * anything was reported.
 */
export async function checkLocalHeader(
  w: FileWindow,
  rec: CentralRecord,
  entry: ZipEntry,
  dataLimit: number,
  reporter: ZipReporter,
): Promise<boolean> {
  const out = (message: string): false => {
    reporter.report('ENTRY_OUT_OF_BOUNDS', entry, `entry ${q(entry.label)}: ${message}`);
    entry.bad = true;
    return false;
  };
  const mismatch = (problem: string): false => {
    reporter.report('LOCAL_HEADER_MISMATCH', entry, `entry ${q(entry.label)}: ${problem}`);
    entry.bad = true;
    return false;
  };
  const differs = (field: string): false =>
    mismatch(`its local header's ${field} differs from its central record`);
  const at = rec.localHeaderOffset;
  if (at + LOCAL_HEADER_SIZE > dataLimit) {
    return out(`its local header (offset ${at}) is not before the central directory (offset ${dataLimit})`);
  }
  const h = Buffer.from(await w.read(at, LOCAL_HEADER_SIZE));
  if (h.readUInt32LE(0) !== SIG_LOCAL_HEADER) {
    return mismatch(`there is no local header signature at offset ${at}`);
  }
  const nameLength = h.readUInt16LE(26);
  const extraLength = h.readUInt16LE(28);
  entry.dataOffset = at + LOCAL_HEADER_SIZE + nameLength + extraLength;
  entry.end = entry.dataOffset + rec.compressedSize;
  if (entry.dataOffset > dataLimit)
    return out(`its local header runs past the central directory (offset ${dataLimit})`);
  const variable = await w.read(at + LOCAL_HEADER_SIZE, nameLength + extraLength);
  if (!variable.subarray(0, nameLength).equals(rec.nameBytes)) return differs('name');
  const renamed = unicodePathProblem(variable.subarray(nameLength), rec.nameBytes);
  if (renamed) return mismatch(`in its local header, ${renamed}`);
  const local = localSizes(h, variable.subarray(nameLength));
  if (typeof local === 'string') return differs(`zip64 field (${local})`);
  const field = disagreement(local, rec);
  if (field) return differs(field);
  if ((rec.flags & FLAG_DATA_DESCRIPTOR) !== 0) {
    const length = await descriptorLength(w, entry.end, rec);
    if (typeof length === 'string') return mismatch(length);
    entry.end += length;
  }
  if (entry.end > dataLimit) {
    return out(
      `its data (offsets ${entry.dataOffset} to ${entry.end}) runs past the start of the central directory (offset ${dataLimit})`,
    );
  }
  return true;
}
