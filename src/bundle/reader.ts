/**
 * Reading entries of a validated bundle: the provisioner streams function zips and static assets to
 * S3 from here.
 * - `openValidatedEntry` reads exactly the range validation judged (BundleEntryRange: data offset
 *   from the local header, sizes, CRC-32, sha256): no header is parsed again, and the sha256 of the
 *   bytes is checked before the stream ends, so a bundle file changed after validation fails the
 *   stream (and the upload consuming it) instead of deploying bytes nobody checked.
 * - `openBundleReader` reads a bundle's directory with the validator's checks (for tools and tests).
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { bundleReporter } from './checks/context';
import { BundleEntryError, BundleReadError } from './errors';
import { IssueList } from './issues';
import { COMPRESSION_RATIO_MIN_BYTES, MAX_ENTRY_NAME_BYTES, resolveLimits } from './limits';
import type { BundleEntryRange } from './types';
import { ZipEntryError, openEntryData, type DataRange } from './zip/entry-data';
import type { ZipEntry } from './zip/format';
import { inspectZip } from './zip/inspect';

export interface BundleReader {
  readonly file: string;
  /** names of the sound file entries (directories excluded), in zip order */
  readonly entries: readonly string[];
  /** uncompressed size of an entry, or undefined when there is no such entry */
  sizeOf(entry: string): number | undefined;
  /** a stream of the entry's uncompressed bytes; it fails with a BundleEntryError if they do not match */
  openEntryStream(entry: string): Readable;
}

function wrapFor(file: string, entry: string): (err: Error) => Error {
  return (err) =>
    err instanceof ZipEntryError
      ? new BundleEntryError(file, entry, err.message, 'BUNDLE_ENTRY_CORRUPT', err)
      : new BundleReadError(file, err.message, err, entry);
}

/** Fails the stream at its end when the bytes' sha256 is not the one validation computed. */
class Sha256Check extends Transform {
  private readonly hash = createHash('sha256');

  constructor(
    private readonly expected: string,
    private readonly fail: (actual: string) => Error,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const actual = this.hash.digest('hex');
    cb(actual === this.expected ? null : this.fail(actual));
  }
}

/** Streams the bytes validation judged for one entry, checking size, CRC-32 and sha256 as they flow. */
export function openValidatedEntry(file: string, range: BundleEntryRange): Readable {
  const data: DataRange = { ...range, label: range.entry };
  const source = openEntryData(file, data, wrapFor(file, range.entry));
  const check = new Sha256Check(
    range.sha256Hex,
    (actual) =>
      new BundleEntryError(
        file,
        range.entry,
        `its bytes have sha256 ${actual}, validation saw ${range.sha256Hex}: the bundle file changed after validation`,
        'BUNDLE_ENTRY_CHANGED',
      ),
  );
  source.on('error', (err) => check.destroy(err));
  check.on('close', () => source.destroy());
  return source.pipe(check);
}

/** Reads a bundle's directory once (with the validator's checks), for reading many entries. */
export async function openBundleReader(file: string): Promise<BundleReader> {
  const issues = new IssueList();
  let dir;
  try {
    dir = await inspectZip(
      file,
      {
        maxEntries: resolveLimits().maxEntries,
        maxNameBytes: MAX_ENTRY_NAME_BYTES,
        requireUtf8Flag: true,
        keepNames: true,
        ratioMinBytes: COMPRESSION_RATIO_MIN_BYTES,
      },
      bundleReporter(issues),
    );
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new BundleReadError(file, e.code === 'ENOENT' ? 'no such file' : e.message, err);
  }
  if (!dir) throw new BundleReadError(file, `not a readable zip: ${issues.errors[0]?.message ?? 'unknown'}`);
  const byName = new Map<string, ZipEntry>();
  for (const e of dir.entries) if (!e.isDirectory && !e.bad && !byName.has(e.name)) byName.set(e.name, e);
  return {
    file,
    entries: [...byName.keys()],
    sizeOf: (entry) => byName.get(entry)?.uncompressedSize,
    openEntryStream(entry: string): Readable {
      const zip = byName.get(entry);
      if (!zip)
        throw new BundleEntryError(file, entry, 'no such entry in the bundle', 'BUNDLE_ENTRY_NOT_FOUND');
      return openEntryData(file, zip, wrapFor(file, entry));
    },
  };
}

/** A stream of one entry's uncompressed bytes (reads the central directory on each call). */
export async function openEntryStream(file: string, entry: string): Promise<Readable> {
  return (await openBundleReader(file)).openEntryStream(entry);
}
