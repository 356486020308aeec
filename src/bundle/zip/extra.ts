/**
 * Extra fields: the zip64 extended information field (0x0001), read the same way in central and
 * local headers. Only the fields whose 32-bit value is the 0xFFFFFFFF sentinel are present, in order.
 * And Info-ZIP's Unicode Path field (0x7075), which renames an entry for the readers that honour it
 * (Info-ZIP unzip) and not for the others (Python's zipfile, Go's archive/zip, ours).
 */
import { q } from '../issues';
import { EXTRA_UNICODE_PATH, EXTRA_ZIP64, U32_SENTINEL, escapeName } from './format';

export interface Sizes {
  uncompressedSize: number;
  compressedSize: number;
  localHeaderOffset?: number;
}

/** The data of extra field `id`, undefined when absent; 'malformed' when the extra block is broken. */
export function findExtra(extra: Buffer, id: number): Buffer | undefined | 'malformed' {
  let i = 0;
  let found: Buffer | undefined;
  while (i < extra.length) {
    if (i + 4 > extra.length) return 'malformed';
    const fieldId = extra.readUInt16LE(i);
    const size = extra.readUInt16LE(i + 2);
    if (i + 4 + size > extra.length) return 'malformed';
    if (fieldId === id) {
      if (found) return 'malformed'; // two zip64 fields: which one counts is ambiguous
      found = extra.subarray(i + 4, i + 4 + size);
    }
    i += 4 + size;
  }
  return found;
}

const u64 = (buf: Buffer, at: number): number => {
  const v = buf.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
};

/**
 * Resolves 0xFFFFFFFF sentinels from the zip64 field. Returns a string saying what is wrong when a
 * sentinel has no zip64 value (or the extra block is malformed).
 */
export function resolveZip64(sizes: Sizes, extra: Buffer): Sizes | string {
  const wanted: (keyof Sizes)[] = [];
  if (sizes.uncompressedSize === U32_SENTINEL) wanted.push('uncompressedSize');
  if (sizes.compressedSize === U32_SENTINEL) wanted.push('compressedSize');
  if (sizes.localHeaderOffset === U32_SENTINEL) wanted.push('localHeaderOffset');
  const field = findExtra(extra, EXTRA_ZIP64);
  if (field === 'malformed') return 'its extra field is malformed';
  if (wanted.length === 0) return sizes;
  if (!field || field.length < wanted.length * 8) {
    return `its ${wanted.join(', ')} ${wanted.length > 1 ? 'are' : 'is'} 0xFFFFFFFF but the zip64 extra field does not give ${wanted.length > 1 ? 'them' : 'it'}`;
  }
  const out: Sizes = { ...sizes };
  wanted.forEach((key, i) => {
    out[key] = u64(field, i * 8);
  });
  return out;
}

/**
 * Why an Info-ZIP Unicode Path field (0x7075: version 1, CRC-32 of the header name, UTF-8 name) would
 * make some reader see another name than the header's `nameBytes`, or undefined (no such field, or
 * one naming the entry exactly as its header does, as Info-ZIP zip writes it).
 */
export function unicodePathProblem(extra: Buffer, nameBytes: Buffer): string | undefined {
  const field = findExtra(extra, EXTRA_UNICODE_PATH);
  if (field === undefined) return undefined;
  const what = 'its Info-ZIP Unicode Path extra field (0x7075)';
  if (field === 'malformed' || field.length < 5 || field[0] !== 1) return `${what} is malformed`;
  const shown = field.subarray(5);
  if (shown.equals(nameBytes)) return undefined;
  return (
    `${what} names it ${q(escapeName(shown.toString('utf8')))}: unzip would read that name, other ` +
    "readers the header's; write the name once, in the header (UTF-8 flag set)"
  );
}
