/**
 * Inflates every file entry of a zip (a function zip, before any AWS write) and checks each one's
 * size and CRC-32 against its records. Entries are read in file order through one window; small
 * ones are inflated in one call bounded by their declared size (maxOutputLength), large ones are
 * streamed. Memory: one entry's bytes at most SMALL_ENTRY_BYTES, or a stream's buffers.
 */
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import zlib from 'node:zlib';
import { METHOD_DEFLATED, type ZipEntry } from './format';
import { ZipEntryError, asEntryError, finalCheck, openEntryData } from './entry-data';
import { FileWindow } from './window';

/** Entries up to this size (compressed and uncompressed) are checked in one call. */
const SMALL_ENTRY_BYTES = 1024 * 1024;

async function verifySmall(window: FileWindow, e: ZipEntry): Promise<void> {
  const raw = await window.read(e.dataOffset, e.compressedSize);
  let data: Buffer = raw;
  if (e.method === METHOD_DEFLATED) {
    try {
      data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.uncompressedSize + 1) });
    } catch (err) {
      throw asEntryError(e, err);
    }
  }
  const problem = finalCheck(e, data.length, zlib.crc32(data));
  if (problem) throw problem;
}

async function verifyLarge(file: string, e: ZipEntry): Promise<void> {
  const stream = openEntryData(file, e);
  stream.resume();
  await finished(stream);
}

/**
 * Checks the data of every readable file entry (not `bad`, not a directory); `onError` receives each
 * entry whose data fails (ZipEntryError). I/O errors are thrown.
 */
export async function verifyEntries(
  file: string,
  entries: readonly ZipEntry[],
  onError: (entry: ZipEntry, err: ZipEntryError) => void,
): Promise<void> {
  const todo = entries.filter((e) => !e.bad && !e.isDirectory && e.dataOffset >= 0);
  todo.sort((a, b) => a.dataOffset - b.dataOffset);
  const fh = await open(file, 'r');
  try {
    const window = new FileWindow(fh, (await fh.stat()).size);
    for (const e of todo) {
      const small = e.compressedSize <= SMALL_ENTRY_BYTES && e.uncompressedSize <= SMALL_ENTRY_BYTES;
      try {
        await (small ? verifySmall(window, e) : verifyLarge(file, e));
      } catch (err) {
        if (!(err instanceof ZipEntryError)) throw err;
        onError(e, err);
      }
    }
  } finally {
    await fh.close();
  }
}
