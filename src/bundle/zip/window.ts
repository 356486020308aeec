/**
 * Positioned reads through a small cached window: walking a central directory or the local headers
 * of many small entries reads each region of the file once, in large chunks, whatever the entry
 * count. A returned buffer is only valid until the next read of the same window.
 */
import type { FileHandle } from 'node:fs/promises';

const WINDOW_BYTES = 256 * 1024;
const JUMP_BYTES = 8 * 1024;

export class FileWindow {
  private own = Buffer.alloc(0);
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly fh: FileHandle,
    /** reads never go past this offset */
    readonly limit: number,
  ) {}

  /** `length` bytes at `position`, or fewer when the limit is reached. */
  async read(position: number, length: number): Promise<Buffer> {
    const end = Math.min(position + length, this.limit);
    if (position < 0 || end <= position) return Buffer.alloc(0);
    if (position >= this.start && end <= this.start + this.buf.length) {
      return this.buf.subarray(position - this.start, end - this.start);
    }
    // forward (the usual order of records): a large window; a jump elsewhere: a small one, so that a
    // directory listing entries in a scrambled order cannot make every record cost a large read
    const forward = position >= this.start && position < this.start + 2 * WINDOW_BYTES;
    const chunk = forward ? WINDOW_BYTES : JUMP_BYTES;
    const size = Math.min(Math.max(end - position, chunk), this.limit - position);
    // the window never holds more than the readable part of the file: a small zip (most function
    // zips, most bundles) gets a small buffer, not WINDOW_BYTES zero-filled per window
    const buf =
      this.own.length >= size
        ? this.own
        : (this.own = Buffer.alloc(Math.min(Math.max(size, WINDOW_BYTES), this.limit)));
    let done = 0;
    while (done < size) {
      const { bytesRead } = await this.fh.read(buf, done, size - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    this.buf = buf.subarray(0, done);
    this.start = position;
    return this.buf.subarray(0, Math.min(end - position, done));
  }
}

/** Reads exactly `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await fh.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}
