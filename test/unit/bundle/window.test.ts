/**
 * FileWindow (src/bundle/zip/window.ts): positioned reads through a cached window. A small file gets a
 * small buffer (memory per bundle: a window used to allocate 256 KiB zero-filled whatever the file's
 * size, ~2 MB per small bundle), and reads forward, backward and at the end return the file's bytes.
 */
import { open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FileWindow } from '../../../src/bundle/zip/window';
import { tempDir } from '../../support/bundle-builder';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('window-'));
});
afterAll(() => cleanup());

async function withWindow<T>(bytes: Buffer, limit: number, fn: (w: FileWindow) => Promise<T>): Promise<T> {
  const file = path.join(dir, `f-${bytes.length}-${limit}.bin`);
  await writeFile(file, bytes);
  const fh = await open(file, 'r');
  try {
    return await fn(new FileWindow(fh, limit));
  } finally {
    await fh.close();
  }
}

const pattern = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 251));

describe('FileWindow', () => {
  it('allocates no more than the readable part of a small file', async () => {
    const bytes = pattern(900);
    await withWindow(bytes, 800, async (w) => {
      const got = await w.read(10, 20);
      expect(got.equals(bytes.subarray(10, 30))).toBe(true);
      // the buffer behind the read (Buffer.alloc: an ArrayBuffer of its own) is bounded by the limit
      expect(got.buffer.byteLength).toBeLessThanOrEqual(800);
    });
  });

  it('reads forward, jumps back and stops at the limit, with the file bytes each time', async () => {
    const bytes = pattern(600 * 1024);
    const limit = 590 * 1024;
    await withWindow(bytes, limit, async (w) => {
      for (const [at, n] of [
        [0, 100],
        [300 * 1024, 4096],
        [50, 10],
        [limit - 10, 100],
      ] as const) {
        const got = await w.read(at, n);
        expect({ at, same: got.equals(bytes.subarray(at, Math.min(at + n, limit))) }).toEqual({
          at,
          same: true,
        });
      }
      expect((await w.read(limit, 10)).length).toBe(0);
    });
  });
});
