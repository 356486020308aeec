/**
 * A hand-made zip writer for the malicious and broken cases zip libraries refuse to write: any entry
 * name ("../x", "/abs", "C:\\x", control characters, invalid UTF-8), symlink or device modes, the
 * encrypted flag, duplicate names, lying sizes or CRCs, unsupported methods, overlapping entries,
 * truncation, and every record that can disagree with another: a local header against its central
 * record (name bytes, method, flags, CRC, sizes, extra field length), a data descriptor against both,
 * zip64 extra fields and end records against the classic ones, the end record against the central
 * directory (count, size, offset, comment length, disk numbers), bytes before the first local header
 * and after the end record. Stored and deflated entries are real; every header field can be overridden.
 */
import zlib from 'node:zlib';

export interface DataDescriptor {
  /** write the optional 0x08074b50 signature (default true) */
  signature?: boolean;
  /** 8-byte sizes (zip64 form) */
  zip64?: boolean;
  /** overrides of what the descriptor declares (default: the real values) */
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
}

export interface RawZipEntry {
  name: string | Buffer;
  /** uncompressed content (default empty) */
  data?: Buffer | string;
  /** 0 stored (default), 8 deflate; any other number is written as is with the data stored */
  method?: number;
  /** general purpose bit flags (1 = encrypted, 8 = data descriptor, 0x800 = UTF-8 names); default 0x800
   * (plus 8 when a data descriptor is written) */
  flags?: number;
  /** default: Unix (3) host, version 2.0 */
  versionMadeBy?: number;
  /** Unix mode, put in the high 16 bits of the external attributes (default 0o100644; dirs 0o040755) */
  mode?: number;
  externalAttributes?: number;
  /** overrides of what the headers declare (both local and central, unless local* says otherwise) */
  crc32?: number;
  uncompressedSize?: number;
  compressedSize?: number;
  /** the central record points here instead of at its own local header */
  localHeaderOffset?: number;
  /** the exact data bytes to write (already compressed); default: data stored or deflated */
  rawData?: Buffer;
  /** write no local header or data for this entry (only its central record) */
  centralOnly?: boolean;
  /** write only the local header and data (no central record) */
  localOnly?: boolean;

  // --- the local header disagreeing with the central record
  localName?: string | Buffer;
  localMethod?: number;
  localFlags?: number;
  localCrc32?: number;
  localCompressedSize?: number;
  localUncompressedSize?: number;
  /** extra field bytes written after the local name */
  localExtra?: Buffer;
  /** the extra field length the local header declares (default: localExtra's length) */
  localExtraLength?: number;
  /** extra field bytes of the central record */
  centralExtra?: Buffer;

  /** sizes in zip64 extra fields (local and central), the classic fields set to 0xFFFFFFFF */
  zip64?: boolean;
  /** streamed entry: flag bit 3, zero CRC and sizes in the local header, a descriptor after the data */
  dataDescriptor?: DataDescriptor | true;
  /** bytes written right after this entry's data (and descriptor) */
  after?: Buffer;
}

export interface Zip64End {
  /** overrides of what the zip64 end record declares (default: the real values) */
  entryCount?: number;
  cdSize?: number;
  cdOffset?: number;
  /** where the locator says the zip64 end record is (default: where it is) */
  locatorOffset?: number;
  /** write 0xFFFF / 0xFFFFFFFF in the classic end record, as zip64 writers must when a value overflows
   * (default false: the classic record carries the real values too, as yazl and zip -fz may) */
  classicMax?: boolean;
}

export interface RawZipOptions {
  comment?: string | Buffer;
  /** the comment length the end record declares (default: the comment's length) */
  commentLength?: number;
  /** bytes appended after the end-of-central-directory record (and comment) */
  trailing?: Buffer;
  /** bytes before the first local header (a self-extractor stub, a polyglot) */
  prefix?: Buffer;
  /** offsets count from the start of the file, prefix included (default true, as `zip -A` fixes them);
   * false writes them relative to the zip's own start */
  prefixAdjustsOffsets?: boolean;
  /** end record overrides (default: the real values) */
  entryCount?: number;
  entryCountThisDisk?: number;
  cdSize?: number;
  cdOffset?: number;
  diskNumber?: number;
  cdStartDisk?: number;
  /** write a zip64 end record and locator before the classic end record */
  zip64End?: Zip64End | true;
  /** bytes between the central directory and the end records */
  afterCentral?: Buffer;
}

const DOS_TIME = 0;
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;

const asBuffer = (v: string | Buffer): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'));

/** A zip64 extended information extra field (id 0x0001) with the given 8-byte values in order. */
export function zip64Extra(...values: number[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), 4 + 8 * i));
  return b;
}

function descriptorBytes(d: DataDescriptor, crc: number, csize: number, usize: number): Buffer {
  const sig = d.signature ?? true;
  const width = d.zip64 ? 8 : 4;
  const b = Buffer.alloc((sig ? 4 : 0) + 4 + 2 * width);
  let at = 0;
  if (sig) at = b.writeUInt32LE(0x08074b50, 0);
  at = b.writeUInt32LE((d.crc32 ?? crc) >>> 0, at);
  for (const v of [d.compressedSize ?? csize, d.uncompressedSize ?? usize]) {
    at = d.zip64 ? b.writeBigUInt64LE(BigInt(v), at) : b.writeUInt32LE(v, at);
  }
  return b;
}

interface Written {
  local: Buffer[];
  central: Buffer[];
}

function writeEntry(e: RawZipEntry, localOffset: number, out: Written): number {
  const name = asBuffer(e.name);
  const data = e.data === undefined ? Buffer.alloc(0) : asBuffer(e.data);
  const method = e.method ?? 0;
  const body = e.rawData ?? (method === 8 ? zlib.deflateRawSync(data) : data);
  const crc = e.crc32 ?? zlib.crc32(data);
  const csize = e.compressedSize ?? body.length;
  const usize = e.uncompressedSize ?? data.length;
  const dd = e.dataDescriptor === true ? {} : e.dataDescriptor;
  const flags = e.flags ?? (dd ? 0x808 : 0x800);
  const isDir = name.toString('utf8').endsWith('/');
  const mode = e.mode ?? (isDir ? 0o040755 : 0o100644);
  const external = e.externalAttributes ?? ((mode << 16) | (isDir ? 0x10 : 0)) >>> 0;
  const version = e.zip64 ? 45 : 20;
  let written = 0;
  if (!e.centralOnly) {
    const localName = e.localName === undefined ? name : asBuffer(e.localName);
    const localExtra = e.localExtra ?? (e.zip64 ? zip64Extra(usize, csize) : Buffer.alloc(0));
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(version, 4);
    local.writeUInt16LE(e.localFlags ?? flags, 6);
    local.writeUInt16LE(e.localMethod ?? method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE((e.localCrc32 ?? (dd ? 0 : crc)) >>> 0, 14);
    local.writeUInt32LE(e.localCompressedSize ?? (dd ? 0 : e.zip64 ? MAX32 : csize), 18);
    local.writeUInt32LE(e.localUncompressedSize ?? (dd ? 0 : e.zip64 ? MAX32 : usize), 22);
    local.writeUInt16LE(localName.length, 26);
    local.writeUInt16LE(e.localExtraLength ?? localExtra.length, 28);
    const descriptor = dd ? descriptorBytes(dd, crc, csize, usize) : Buffer.alloc(0);
    const after = e.after ?? Buffer.alloc(0);
    out.local.push(local, localName, localExtra, body, descriptor, after);
    written = local.length + localName.length + localExtra.length + body.length + descriptor.length;
    written += after.length;
  }
  if (!e.localOnly) {
    const offset = e.localHeaderOffset ?? localOffset;
    const centralExtra = e.centralExtra ?? (e.zip64 ? zip64Extra(usize, csize, offset) : Buffer.alloc(0));
    const rec = Buffer.alloc(46);
    rec.writeUInt32LE(0x02014b50, 0);
    rec.writeUInt16LE(e.versionMadeBy ?? (3 << 8) | version, 4);
    rec.writeUInt16LE(version, 6);
    rec.writeUInt16LE(flags, 8);
    rec.writeUInt16LE(method, 10);
    rec.writeUInt16LE(DOS_TIME, 12);
    rec.writeUInt16LE(DOS_DATE, 14);
    rec.writeUInt32LE(crc >>> 0, 16);
    rec.writeUInt32LE(e.zip64 ? MAX32 : csize, 20);
    rec.writeUInt32LE(e.zip64 ? MAX32 : usize, 24);
    rec.writeUInt16LE(name.length, 28);
    rec.writeUInt16LE(centralExtra.length, 30);
    rec.writeUInt16LE(0, 32);
    rec.writeUInt16LE(0, 34);
    rec.writeUInt16LE(0, 36);
    rec.writeUInt32LE(external, 38);
    rec.writeUInt32LE(e.zip64 ? MAX32 : offset, 42);
    out.central.push(rec, name, centralExtra);
  }
  return written;
}

function zip64EndRecords(z: Zip64End, count: number, cdSize: number, cdOffset: number, at: number): Buffer {
  const rec = Buffer.alloc(56);
  rec.writeUInt32LE(0x06064b50, 0);
  rec.writeBigUInt64LE(44n, 4);
  rec.writeUInt16LE((3 << 8) | 45, 12);
  rec.writeUInt16LE(45, 14);
  rec.writeUInt32LE(0, 16);
  rec.writeUInt32LE(0, 20);
  rec.writeBigUInt64LE(BigInt(z.entryCount ?? count), 24);
  rec.writeBigUInt64LE(BigInt(z.entryCount ?? count), 32);
  rec.writeBigUInt64LE(BigInt(z.cdSize ?? cdSize), 40);
  rec.writeBigUInt64LE(BigInt(z.cdOffset ?? cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeUInt32LE(0, 4);
  locator.writeBigUInt64LE(BigInt(z.locatorOffset ?? at), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([rec, locator]);
}

export function rawZip(entries: RawZipEntry[], options: RawZipOptions = {}): Buffer {
  const prefix = options.prefix ?? Buffer.alloc(0);
  const base = options.prefixAdjustsOffsets === false ? 0 : prefix.length;
  const out: Written = { local: [], central: [] };
  let offset = 0;
  for (const e of entries) offset += writeEntry(e, base + offset, out);
  const cd = Buffer.concat(out.central);
  const realCount = entries.filter((e) => !e.localOnly).length;
  const afterCentral = options.afterCentral ?? Buffer.alloc(0);
  const z64 = options.zip64End === true ? {} : options.zip64End;
  const z64Bytes = z64
    ? zip64EndRecords(
        z64,
        realCount,
        cd.length,
        base + offset,
        base + offset + cd.length + afterCentral.length,
      )
    : Buffer.alloc(0);
  const comment = asBuffer(options.comment ?? '');
  const end = Buffer.alloc(22);
  const count = options.entryCount ?? (z64?.classicMax ? MAX16 : realCount);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(options.diskNumber ?? 0, 4);
  end.writeUInt16LE(options.cdStartDisk ?? 0, 6);
  end.writeUInt16LE(options.entryCountThisDisk ?? count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(options.cdSize ?? (z64?.classicMax ? MAX32 : cd.length), 12);
  end.writeUInt32LE(options.cdOffset ?? (z64?.classicMax ? MAX32 : base + offset), 16);
  end.writeUInt16LE(options.commentLength ?? comment.length, 20);
  return Buffer.concat([
    prefix,
    ...out.local,
    cd,
    afterCentral,
    z64Bytes,
    end,
    comment,
    options.trailing ?? Buffer.alloc(0),
  ]);
}

/** The byte offset of each entry's local header in `rawZip(entries)` without prefix (for pointing
 * central records at other entries' headers). */
export function localOffsets(entries: RawZipEntry[]): number[] {
  const offsets: number[] = [];
  let offset = 0;
  for (const e of entries) {
    offsets.push(offset);
    offset += writeEntry(e, offset, { local: [], central: [] });
  }
  return offsets;
}
