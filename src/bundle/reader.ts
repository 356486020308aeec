/**
 * Reading entries of a (validated) bundle: the provisioner streams function zips and static assets to
 * S3 from here. Bytes are checked against the central directory (size, CRC-32) as they flow.
 */
import type { Readable } from 'node:stream';
import { BundleEntryError, BundleReadError } from './errors';
import { resolveLimits } from './limits';
import { ZipEntryError, ZipFormatError, openZipEntryStream, readZipDirectory, type ZipEntry } from './zip';

export interface BundleReader {
  readonly file: string;
  /** names of the file entries (directories excluded), in zip order */
  readonly entries: readonly string[];
  /** uncompressed size of an entry, or undefined when there is no such entry */
  sizeOf(entry: string): number | undefined;
  /** a stream of the entry's uncompressed bytes; it fails with a BundleEntryError if they do not match */
  openEntryStream(entry: string): Readable;
}

/** Opens a bundle's central directory once, for reading many entries (assets) without re-reading it. */
export async function openBundleReader(file: string): Promise<BundleReader> {
  let dir;
  try {
    dir = await readZipDirectory(file, { maxEntries: resolveLimits().maxEntries });
  } catch (err) {
    if (err instanceof ZipFormatError)
      throw new BundleReadError(file, `not a readable zip: ${err.message}`, err);
    const e = err as NodeJS.ErrnoException;
    throw new BundleReadError(file, e.code === 'ENOENT' ? 'no such file' : e.message, err);
  }
  const byName = new Map<string, ZipEntry>();
  for (const e of dir.entries) if (!e.isDirectory && !byName.has(e.name)) byName.set(e.name, e);
  const dataLimit = dir.centralDirectoryOffset;
  return {
    file,
    entries: [...byName.keys()],
    sizeOf: (entry) => byName.get(entry)?.uncompressedSize,
    openEntryStream(entry: string): Readable {
      const zip = byName.get(entry);
      if (!zip)
        throw new BundleEntryError(file, entry, 'no such entry in the bundle', 'BUNDLE_ENTRY_NOT_FOUND');
      const wrap = (err: Error): Error =>
        err instanceof ZipEntryError
          ? new BundleEntryError(file, entry, err.message, 'BUNDLE_ENTRY_CORRUPT', err)
          : new BundleReadError(file, err.message, err, entry);
      try {
        return openZipEntryStream(file, zip, dataLimit, wrap);
      } catch (err) {
        throw new BundleEntryError(file, entry, (err as Error).message, 'BUNDLE_ENTRY_UNREADABLE', err);
      }
    },
  };
}

/** A stream of one entry's uncompressed bytes (reads the central directory on each call). */
export async function openEntryStream(file: string, entry: string): Promise<Readable> {
  return (await openBundleReader(file)).openEntryStream(entry);
}
