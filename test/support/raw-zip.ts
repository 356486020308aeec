/**
 * A hand-made zip writer for the malicious and broken cases yazl refuses to write: any entry name
 * ("../x", "/abs", "C:\\x"), symlink or device modes, the encrypted flag, duplicate names, lying sizes
 * or CRCs, unsupported methods, overlapping entries, truncation, trailing data. Stored and deflated
 * entries are real; everything in the headers can be overridden.
 */
import zlib from 'node:zlib';

export interface RawZipEntry {
  name: string | Buffer;
  /** uncompressed content (default empty) */
  data?: Buffer | string;
  /** 0 stored (default), 8 deflate; any other number is written as is with the data stored */
  method?: number;
  /** general purpose bit flags (1 = encrypted, 0x800 = UTF-8 names) */
  flags?: number;
  /** default: Unix (3) host, version 2.0 */
  versionMadeBy?: number;
  /** Unix mode, put in the high 16 bits of the external attributes (default 0o100644; dirs 0o040755) */
  mode?: number;
  externalAttributes?: number;
  /** overrides of what the headers declare */
  crc32?: number;
  uncompressedSize?: number;
  compressedSize?: number;
  /** the central record points here instead of at its own local header */
  localHeaderOffset?: number;
  /** the exact data bytes to write (already compressed); default: data stored or deflated */
  rawData?: Buffer;
  /** write no local header or data for this entry (only its central record) */
  centralOnly?: boolean;
}

export interface RawZipOptions {
  comment?: string;
  /** bytes appended after the end-of-central-directory record */
  trailing?: Buffer;
  /** entry count written in the end record (default: the real count) */
  entryCount?: number;
}

const DOS_TIME = 0;
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;

export function rawZip(entries: RawZipEntry[], options: RawZipOptions = {}): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8');
    const data =
      e.data === undefined ? Buffer.alloc(0) : Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data);
    const method = e.method ?? 0;
    const body = e.rawData ?? (method === 8 ? zlib.deflateRawSync(data) : data);
    const crc = e.crc32 ?? zlib.crc32(data);
    const csize = e.compressedSize ?? body.length;
    const usize = e.uncompressedSize ?? data.length;
    const flags = e.flags ?? 0x800;
    const isDir = name.toString('utf8').endsWith('/');
    const mode = e.mode ?? (isDir ? 0o040755 : 0o100644);
    const external = e.externalAttributes ?? ((mode << 16) | (isDir ? 0x10 : 0)) >>> 0;
    const localOffset = offset;
    if (!e.centralOnly) {
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(flags, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt16LE(DOS_TIME, 10);
      local.writeUInt16LE(DOS_DATE, 12);
      local.writeUInt32LE(crc >>> 0, 14);
      local.writeUInt32LE(csize, 18);
      local.writeUInt32LE(usize, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      parts.push(local, name, body);
      offset += local.length + name.length + body.length;
    }
    const rec = Buffer.alloc(46);
    rec.writeUInt32LE(0x02014b50, 0);
    rec.writeUInt16LE(e.versionMadeBy ?? (3 << 8) | 20, 4);
    rec.writeUInt16LE(20, 6);
    rec.writeUInt16LE(flags, 8);
    rec.writeUInt16LE(method, 10);
    rec.writeUInt16LE(DOS_TIME, 12);
    rec.writeUInt16LE(DOS_DATE, 14);
    rec.writeUInt32LE(crc >>> 0, 16);
    rec.writeUInt32LE(csize, 20);
    rec.writeUInt32LE(usize, 24);
    rec.writeUInt16LE(name.length, 28);
    rec.writeUInt16LE(0, 30);
    rec.writeUInt16LE(0, 32);
    rec.writeUInt16LE(0, 34);
    rec.writeUInt16LE(0, 36);
    rec.writeUInt32LE(external, 38);
    rec.writeUInt32LE(e.localHeaderOffset ?? localOffset, 42);
    central.push(rec, name);
  }
  const cd = Buffer.concat(central);
  const comment = Buffer.from(options.comment ?? '', 'utf8');
  const end = Buffer.alloc(22);
  const count = options.entryCount ?? entries.length;
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(comment.length, 20);
  return Buffer.concat([...parts, cd, end, comment, options.trailing ?? Buffer.alloc(0)]);
}
