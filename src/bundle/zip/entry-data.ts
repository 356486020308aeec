/**
 * Reading an entry's data from the range the checks judged: `dataOffset` (from the LOCAL header) and
 * `compressedSize`. The bytes are inflated (deflate) or passed (stored), counted and CRC-checked as
 * they flow: a lying size or corrupt data fails the stream as soon as it shows. Nothing re-reads a
 * header: the provisioner streams exactly the bytes the validator judged.
 */
import { createReadStream } from 'node:fs';
import { PassThrough, Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { q } from '../issues';
import { METHOD_DEFLATED, METHOD_STORED } from './format';

/** Read size of entry data: large reads keep hashing cheap per byte; bounded, so memory stays flat. */
export const READ_CHUNK_BYTES = 256 * 1024;

/** Where an entry's data is and what it must inflate to. */
export interface DataRange {
  /** for messages */
  label: string;
  method: number;
  dataOffset: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
}

export type ZipEntryProblem = 'size' | 'crc' | 'corrupt' | 'unsupported';

/** An entry's bytes do not match its records (or cannot be read at all). */
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

/** Counts and CRCs the bytes flowing through; fails when they do not match the range's record. */
export class EntryCheck extends Transform {
  private count = 0;
  private crc = 0;

  constructor(private readonly range: DataRange) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.range.uncompressedSize) {
      cb(sizeError(this.range, `more than the ${this.range.uncompressedSize} bytes`));
      return;
    }
    this.crc = zlib.crc32(chunk, this.crc);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    cb(finalCheck(this.range, this.count, this.crc) ?? null);
  }
}

function sizeError(range: DataRange, what: string): ZipEntryError {
  return new ZipEntryError(
    'size',
    range.label,
    `entry ${q(range.label)} inflates to ${what} its records declare`,
  );
}

/** The error for data of `count` bytes and CRC `crc`, or undefined when they match the range. */
export function finalCheck(range: DataRange, count: number, crc: number): ZipEntryError | undefined {
  if (count !== range.uncompressedSize) {
    return sizeError(range, `${count} bytes, not the ${range.uncompressedSize}`);
  }
  if (crc >>> 0 !== range.crc32 >>> 0) {
    return new ZipEntryError(
      'crc',
      range.label,
      `entry ${q(range.label)} fails its CRC-32 check (corrupt data)`,
    );
  }
  return undefined;
}

export function asEntryError(range: DataRange, err: unknown): Error {
  if (err instanceof ZipEntryError) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && (e.code.startsWith('Z_') || e.code === 'ERR_BUFFER_TOO_LARGE')) {
    return e.code === 'ERR_BUFFER_TOO_LARGE'
      ? sizeError(range, `more than the ${range.uncompressedSize} bytes`)
      : new ZipEntryError(
          'corrupt',
          range.label,
          `entry ${q(range.label)} is not valid deflate data (${e.message})`,
          { cause: err },
        );
  }
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Streams one entry's uncompressed bytes, checked as they flow. `wrapError` maps the errors the
 * stream fails with (ZipEntryError for bad data, I/O errors as they come).
 */
export function openEntryData(
  file: string,
  range: DataRange,
  wrapError: (err: Error) => Error = (err) => err,
): Readable {
  if (range.method !== METHOD_STORED && range.method !== METHOD_DEFLATED) {
    throw new ZipEntryError(
      'unsupported',
      range.label,
      `compression method ${range.method} is not supported`,
    );
  }
  const source: Readable =
    range.compressedSize === 0
      ? new PassThrough().end()
      : createReadStream(file, {
          start: range.dataOffset,
          end: range.dataOffset + range.compressedSize - 1,
          highWaterMark: READ_CHUNK_BYTES,
        });
  const out = new PassThrough();
  const check = new EntryCheck(range);
  const stages: (Readable | Transform)[] = [source];
  if (range.method === METHOD_DEFLATED) stages.push(zlib.createInflateRaw());
  stages.push(check);
  // `out` stays outside the pipeline, so that it fails with the mapped error, not the raw one;
  // a consumer that destroys `out` early tears the pipeline (and its file) down
  let settled = false;
  pipeline(stages, (err) => {
    settled = true;
    if (err) out.destroy(wrapError(asEntryError(range, err)));
  });
  check.pipe(out);
  out.once('close', () => {
    if (!settled) source.destroy();
  });
  return out;
}
