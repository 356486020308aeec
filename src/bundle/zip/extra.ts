/**
 * Extra fields: the zip64 extended information field (0x0001), read the same way in central and
 * local headers. Only the fields whose 32-bit value is the 0xFFFFFFFF sentinel are present, in order.
 */
import { EXTRA_ZIP64, U32_SENTINEL } from './format';

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
