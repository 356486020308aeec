import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BundleEntryError,
  BundleReadError,
  openBundleReader,
  openEntryStream,
  validateBundle,
} from '../../../src/bundle';
import { functionZip, upstreamLikeSpec } from '../../support/bundle-builder';
import { TEST_NOW, scratch, validEntries, type Scratch } from './helpers';

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(chunks);
}

const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;

describe('reading entries', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());

  it('streams function zips and assets whose hashes match validation', async () => {
    const file = await s.bundle('up.zip', await upstreamLikeSpec());
    const result = await validateBundle(file, { now: TEST_NOW });
    if (!result.ok) throw new Error('expected valid');
    const reader = await openBundleReader(file);
    for (const f of result.bundle.functions) {
      const bytes = await drain(reader.openEntryStream(f.entry));
      expect(createHash('sha256').update(bytes).digest('base64')).toBe(f.codeSha256);
      expect(reader.sizeOf(f.entry)).toBe(f.size);
    }
    for (const a of result.bundle.assets) {
      const bytes = await drain(await openEntryStream(file, a.entry));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(a.sha256Hex);
    }
    expect(reader.entries).toContain('manifest.json');
    expect(reader.entries).not.toContain('static/');
  });

  it('fails with domain errors for a missing bundle, a missing entry, and corrupt data', async () => {
    await expect(openEntryStream(`${s.dir}/nope.zip`, 'fn.zip')).rejects.toBeInstanceOf(BundleReadError);
    const file = await s.file('crc.zip', [
      ...(await validEntries()),
      { name: 'static/bad.txt', data: 'abc', crc32: 1 },
    ]);
    await expect(openEntryStream(file, 'static/none.txt')).rejects.toMatchObject({
      code: 'BUNDLE_ENTRY_NOT_FOUND',
    });
    const err = await drain(await openEntryStream(file, 'static/bad.txt')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BundleEntryError);
    expect((err as BundleEntryError).code).toBe('BUNDLE_ENTRY_CORRUPT');
    expect((err as Error).message).toContain('static/bad.txt');
  });

  it('closes its files, whether streams finish, fail or are abandoned', async () => {
    const file = await s.file('fds.zip', [
      ...(await validEntries()),
      { name: 'static/big.bin', data: randomBytes(2 * 1024 * 1024) },
    ]);
    const before = await openFds();
    for (let i = 0; i < 20; i++) {
      await validateBundle(file, { now: TEST_NOW, tmpDir: s.dir });
      await drain(await openEntryStream(file, 'fn.zip'));
      const abandoned = await openEntryStream(file, 'static/big.bin');
      await new Promise<void>((resolve) => abandoned.once('data', () => resolve()));
      abandoned.destroy();
      await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(await openFds()).toBeLessThanOrEqual(before);
  });

  it('reads a function zip stored or deflated alike', async () => {
    const zip = await functionZip();
    for (const method of [0, 8]) {
      const file = await s.file(`m${method}.zip`, [
        ...(await validEntries()).filter((e) => e.name !== 'fn.zip'),
        { name: 'fn.zip', data: zip, method },
      ]);
      expect(await drain(await openEntryStream(file, 'fn.zip'))).toEqual(zip);
    }
  });
});
