/**
 * Zip reading for bundles and function zips, streaming and bounded:
 * - `readZipDirectory` finds the end-of-central-directory record itself (so the entry count, the
 *   central directory's bounds and zip64 are checked before anything else is read), then lets
 *   unzipper (`Open.file`) parse the central directory; nothing but that directory is held in memory.
 * - `openZipEntryStream` streams one entry's uncompressed bytes: it reads the local header, then exactly
 *   the entry's compressed byte range, inflates it, and checks the inflated size and CRC-32 against the
 *   central directory as the bytes flow (a lying size or a corrupt entry fails the stream as soon as it
 *   shows; an aborted stream closes its file). unzipper's own entry stream is not used for data: it
 *   checks neither size nor CRC, inflates every non-zero method, and keeps its file open when aborted.
 */
import { createReadStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { PassThrough, Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import unzipper from 'unzipper';

const SIG_LOCAL_HEADER = 0x04034b50;
const SIG_CENTRAL_HEADER = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIZE = 56;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const MAX_COMMENT = 0xffff;
/** Read size of entry data: large reads keep hashing cheap per byte; bounded, so memory stays flat. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** General purpose flag bits. */
export const FLAG_ENCRYPTED = 0x0001;
export const FLAG_STRONG_ENCRYPTION = 0x0040;
/** Compression methods we can read. */
export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;
/** "made by" host system (high byte of versionMadeBy) whose external attributes carry a Unix mode. */
const HOST_UNIX = 3;
const HOST_MACOS = 19;
const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;

export type ZipFormatProblem =
  'empty' | 'not-zip' | 'truncated' | 'corrupt' | 'multi-disk' | 'too-many-entries';

/** The file is not a readable zip. `problem` says how; the message is for humans. */
export class ZipFormatError extends Error {
  constructor(
    readonly problem: ZipFormatProblem,
    message: string,
    readonly details: { entryCount?: number } = {},
  ) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

export type ZipEntryProblem = 'size' | 'crc' | 'corrupt' | 'truncated' | 'unsupported';

/** An entry's bytes do not match its central directory record (or cannot be read at all). */
export class ZipEntryError extends Error {
  constructor(
    readonly problem: ZipEntryProblem,
    readonly entry: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ZipEntryError';
  }
}

/** One central directory record, decoded. */
export interface ZipEntry {
  /** the name as UTF-8 (invalid sequences replaced; see validUtf8) */
  name: string;
  nameBytes: Buffer;
  validUtf8: boolean;
  /** ends with "/" (a directory entry) */
  isDirectory: boolean;
  method: number;
  flags: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  versionMadeBy: number;
  externalAttributes: number;
  /** file type bits (S_IFMT) of the Unix mode, when the entry was made on a Unix-like host; else 0 */
  unixFileType: number;
}

export interface ZipDirectory {
  /** size of the zip file in bytes */
  size: number;
  /** where the central directory starts: entry data must end before it */
  centralDirectoryOffset: number;
  entries: ZipEntry[];
}

interface EndRecord {
  eocdOffset: number;
  entryCount: number;
  cdOffset: number;
  cdSize: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Buffer): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

function u64(buf: Buffer, offset: number, what: string): number {
  const v = buf.readBigUInt64LE(offset);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ZipFormatError('corrupt', `the zip64 ${what} (${v}) is not a plausible size`);
  }
  return Number(v);
}

/** Finds and checks the end-of-central-directory record (and its zip64 form). */
async function readEndRecord(fh: FileHandle, size: number): Promise<EndRecord> {
  if (size === 0) throw new ZipFormatError('empty', 'the file is empty, not a zip');
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLength;
  const tail = await readAt(fh, tailStart, tailLength);
  let eocd = -1;
  let trailing = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== SIG_EOCD) continue;
    const commentLength = tail.readUInt16LE(i + 20);
    if (i + EOCD_SIZE + commentLength === tail.length) {
      eocd = i;
      break;
    }
    if (trailing < 0) trailing = i;
  }
  if (eocd < 0) {
    if (trailing >= 0) {
      throw new ZipFormatError(
        'corrupt',
        'the end-of-central-directory record does not end the file (data appended after the zip?)',
      );
    }
    const head = await readAt(fh, 0, 4);
    if (head.length === 4 && head.readUInt32LE(0) === SIG_LOCAL_HEADER) {
      throw new ZipFormatError(
        'truncated',
        'the file starts like a zip but has no end-of-central-directory record: it is truncated',
      );
    }
    throw new ZipFormatError('not-zip', 'not a zip file (no end-of-central-directory record)');
  }
  const eocdOffset = tailStart + eocd;
  const diskNumber = tail.readUInt16LE(eocd + 4);
  const cdDisk = tail.readUInt16LE(eocd + 6);
  const entriesOnDisk = tail.readUInt16LE(eocd + 8);
  let entryCount = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  let cdEnd = eocdOffset;
  const zip64 = entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff;
  if (zip64) {
    const locatorOffset = eocdOffset - ZIP64_LOCATOR_SIZE;
    const locator =
      locatorOffset >= 0 ? await readAt(fh, locatorOffset, ZIP64_LOCATOR_SIZE) : Buffer.alloc(0);
    if (locator.length !== ZIP64_LOCATOR_SIZE || locator.readUInt32LE(0) !== SIG_ZIP64_LOCATOR) {
      throw new ZipFormatError('corrupt', 'the zip64 end-of-central-directory locator is missing');
    }
    const recordOffset = u64(locator, 8, 'record offset');
    if (locator.readUInt32LE(16) > 1) {
      throw new ZipFormatError('multi-disk', 'multi-part (spanned) zips are not supported');
    }
    const record = await readAt(fh, recordOffset, ZIP64_EOCD_SIZE);
    if (record.length !== ZIP64_EOCD_SIZE || record.readUInt32LE(0) !== SIG_ZIP64_EOCD) {
      throw new ZipFormatError('corrupt', 'the zip64 end-of-central-directory record is missing');
    }
    if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0) {
      throw new ZipFormatError('multi-disk', 'multi-part (spanned) zips are not supported');
    }
    entryCount = u64(record, 32, 'entry count');
    cdSize = u64(record, 40, 'central directory size');
    cdOffset = u64(record, 48, 'central directory offset');
    cdEnd = recordOffset;
  } else if (diskNumber !== 0 || cdDisk !== 0 || entriesOnDisk !== entryCount) {
    throw new ZipFormatError('multi-disk', 'multi-part (spanned) zips are not supported');
  }
  if (cdOffset + cdSize > cdEnd) {
    throw new ZipFormatError(
      'truncated',
      `the central directory (offset ${cdOffset}, ${cdSize} bytes) runs past its end record at ${cdEnd}: the file is truncated or corrupt`,
    );
  }
  if (cdOffset + cdSize !== cdEnd) {
    throw new ZipFormatError(
      'corrupt',
      `${cdEnd - cdOffset - cdSize} unexpected bytes between the central directory and its end record`,
    );
  }
  if (entryCount > 0 && cdSize < entryCount * CENTRAL_HEADER_SIZE) {
    throw new ZipFormatError(
      'corrupt',
      `the central directory (${cdSize} bytes) is too small for the ${entryCount} entries it claims`,
    );
  }
  return { eocdOffset, entryCount, cdOffset, cdSize };
}

function unixFileType(versionMadeBy: number, externalAttributes: number): number {
  const host = versionMadeBy >> 8;
  if (host !== HOST_UNIX && host !== HOST_MACOS) return 0;
  return ((externalAttributes >>> 16) & S_IFMT) >>> 0;
}

/** What unzipper.Open.file accepts at run time (its type declarations omit the options). */
type OpenFile = (file: string, options: { tailSize: number }) => Promise<unzipper.CentralDirectory>;

/**
 * Reads the central directory of a zip file. Throws ZipFormatError for anything that is not a sound
 * zip (before reading the directory when the entry count exceeds `maxEntries`); I/O errors (missing
 * file...) are thrown as they come, for the caller to tell apart.
 */
export async function readZipDirectory(file: string, options: { maxEntries: number }): Promise<ZipDirectory> {
  const fh = await open(file, 'r');
  let end: EndRecord;
  let size: number;
  try {
    size = (await fh.stat()).size;
    end = await readEndRecord(fh, size);
  } finally {
    await fh.close();
  }
  if (end.entryCount > options.maxEntries) {
    throw new ZipFormatError(
      'too-many-entries',
      `the zip has ${end.entryCount.toLocaleString('en-US')} entries, more than the limit of ${options.maxEntries.toLocaleString('en-US')}`,
      { entryCount: end.entryCount },
    );
  }
  let files: unzipper.File[];
  try {
    const dir = await (unzipper.Open.file as unknown as OpenFile)(file, { tailSize: size - end.eocdOffset });
    files = dir.files;
  } catch (err) {
    throw new ZipFormatError('corrupt', `the central directory cannot be read (${(err as Error).message})`);
  }
  if (files.length !== end.entryCount) {
    throw new ZipFormatError(
      'corrupt',
      `the central directory lists ${files.length} of ${end.entryCount} entries`,
    );
  }
  const entries = files.map((f, i): ZipEntry => {
    if (f.signature !== SIG_CENTRAL_HEADER) {
      throw new ZipFormatError('corrupt', `central directory record ${i + 1} has a bad signature`);
    }
    const nameBytes = f.pathBuffer;
    const name = nameBytes.toString('utf8');
    return {
      name,
      nameBytes,
      validUtf8: isUtf8(nameBytes),
      isDirectory: name.endsWith('/'),
      method: f.compressionMethod,
      flags: f.flags,
      crc32: f.crc32 >>> 0,
      compressedSize: f.compressedSize,
      uncompressedSize: f.uncompressedSize,
      localHeaderOffset: f.offsetToLocalFileHeader,
      versionMadeBy: f.versionMadeBy,
      externalAttributes: f.externalFileAttributes >>> 0,
      unixFileType: unixFileType(f.versionMadeBy, f.externalFileAttributes),
    };
  });
  for (const e of entries) {
    if (![e.compressedSize, e.uncompressedSize, e.localHeaderOffset].every(Number.isSafeInteger)) {
      throw new ZipFormatError('corrupt', `entry ${JSON.stringify(e.name)} has unreadable zip64 sizes`);
    }
  }
  return { size, centralDirectoryOffset: end.cdOffset, entries };
}

export function isEncrypted(entry: ZipEntry): boolean {
  return (entry.flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION)) !== 0;
}

/**
 * Entries whose byte ranges overlap another entry or the central directory (the "overlapping files"
 * zip bomb, or a corrupt directory). The range used is a lower bound of each entry's real extent (its
 * local header with the central name length, plus its compressed data), so a sound zip never matches.
 */
export function overlappingEntries(dir: ZipDirectory): ZipEntry[] {
  const sorted = [...dir.entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
  const bad = new Set<ZipEntry>();
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i] as ZipEntry;
    const end = e.localHeaderOffset + LOCAL_HEADER_SIZE + e.nameBytes.length + e.compressedSize;
    const next =
      i + 1 < sorted.length ? (sorted[i + 1] as ZipEntry).localHeaderOffset : dir.centralDirectoryOffset;
    if (end > next) {
      bad.add(e);
      if (i + 1 < sorted.length) bad.add(sorted[i + 1] as ZipEntry);
    }
  }
  return dir.entries.filter((e) => bad.has(e));
}

/** Counts and CRCs the bytes flowing through; fails when they do not match the central directory. */
class EntryCheck extends Transform {
  private count = 0;
  private crc = 0;

  constructor(private readonly entry: ZipEntry) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.entry.uncompressedSize) {
      cb(
        new ZipEntryError(
          'size',
          this.entry.name,
          `entry ${JSON.stringify(this.entry.name)} inflates to more than the ${this.entry.uncompressedSize} bytes its central directory record declares`,
        ),
      );
      return;
    }
    this.crc = zlib.crc32(chunk, this.crc);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.count !== this.entry.uncompressedSize) {
      cb(
        new ZipEntryError(
          'size',
          this.entry.name,
          `entry ${JSON.stringify(this.entry.name)} has ${this.count} bytes, not the ${this.entry.uncompressedSize} its central directory record declares`,
        ),
      );
      return;
    }
    if (this.crc >>> 0 !== this.entry.crc32) {
      cb(
        new ZipEntryError(
          'crc',
          this.entry.name,
          `entry ${JSON.stringify(this.entry.name)} fails its CRC-32 check (corrupt data)`,
        ),
      );
      return;
    }
    cb();
  }
}

/**
 * Streams one entry's uncompressed bytes, checked against its central directory record. The entry must
 * be stored or deflated and not encrypted (check those first; this throws ZipEntryError otherwise).
 * `dataLimit` is where entry data must end (the central directory offset). `wrapError` maps the errors
 * the stream fails with (ZipEntryError for bad data, I/O errors as they come).
 */
export function openZipEntryStream(
  file: string,
  entry: ZipEntry,
  dataLimit: number,
  wrapError: (err: Error) => Error = (err) => err,
): Readable {
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    throw new ZipEntryError('unsupported', entry.name, `compression method ${entry.method} is not supported`);
  }
  if (isEncrypted(entry)) {
    throw new ZipEntryError('unsupported', entry.name, `entry ${JSON.stringify(entry.name)} is encrypted`);
  }
  const out = new PassThrough();
  void (async () => {
    const fh = await open(file, 'r');
    let header: Buffer;
    try {
      header = await readAt(fh, entry.localHeaderOffset, LOCAL_HEADER_SIZE);
    } finally {
      await fh.close();
    }
    if (header.length !== LOCAL_HEADER_SIZE || header.readUInt32LE(0) !== SIG_LOCAL_HEADER) {
      throw new ZipEntryError(
        'corrupt',
        entry.name,
        `entry ${JSON.stringify(entry.name)} has no local header where its central directory record points`,
      );
    }
    const dataStart =
      entry.localHeaderOffset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
    const dataEnd = dataStart + entry.compressedSize;
    if (dataEnd > dataLimit) {
      throw new ZipEntryError(
        'truncated',
        entry.name,
        `entry ${JSON.stringify(entry.name)} runs past the start of the central directory (truncated or corrupt zip)`,
      );
    }
    const source: Readable =
      entry.compressedSize === 0
        ? new PassThrough().end()
        : createReadStream(file, { start: dataStart, end: dataEnd - 1, highWaterMark: READ_CHUNK_BYTES });
    const check = new EntryCheck(entry);
    const stages: (Readable | Transform)[] = [source];
    if (entry.method === METHOD_DEFLATED) stages.push(zlib.createInflateRaw());
    stages.push(check);
    // `out` stays outside the pipeline, so that it fails with the mapped error, not the raw one;
    // a consumer that destroys `out` early tears the pipeline (and its file) down
    let settled = false;
    pipeline(stages, (err) => {
      settled = true;
      if (err) out.destroy(wrapError(asEntryError(entry, err)));
    });
    check.pipe(out);
    out.once('close', () => {
      if (!settled) source.destroy();
    });
  })().catch((err: unknown) => out.destroy(wrapError(asEntryError(entry, err))));
  return out;
}

function asEntryError(entry: ZipEntry, err: unknown): Error {
  if (err instanceof ZipEntryError) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) {
    return new ZipEntryError(
      'corrupt',
      entry.name,
      `entry ${JSON.stringify(entry.name)} is not valid deflate data (${e.message})`,
      { cause: err },
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
