/**
 * An entry named like a file whose attributes say directory (the MS-DOS directory attribute 0x10 on
 * a FAT/NTFS/VFAT host, or S_IFDIR in a Unix mode): Go's archive/zip reports FileInfo().IsDir() true
 * (an extractor built on it makes a directory "index.js" and loses the handler), unzip and Python
 * write a file. Rejected. DESIGN.md "One reading of every byte".
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validateBundle } from '../../../../src/bundle';
import type { RawZipEntry } from '../../../support/raw-zip';
import { TEST_NOW } from '../helpers';
import { bundleAround, bundleWith, rawZip } from './kit';

const HANDLER = 'exports.handler = async () => 1;\n';
const FAT = 0;
const NTFS = 11;
const UNIX = 3;

describe('a file whose attributes say directory', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'apps-deployer-dirattr-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  async function validate(zip: Buffer, name: string) {
    const f = path.join(tmp, name);
    await writeFile(f, zip);
    return validateBundle(f, { now: TEST_NOW, tmpDir: tmp });
  }

  const handler = (change: Partial<RawZipEntry>): RawZipEntry => ({
    name: 'index.js',
    data: HANDLER,
    ...change,
  });
  const cases: [string, Partial<RawZipEntry>][] = [
    ['MS-DOS directory attribute, FAT host', { versionMadeBy: (FAT << 8) | 20, externalAttributes: 0x10 }],
    ['MS-DOS directory attribute, NTFS host', { versionMadeBy: (NTFS << 8) | 20, externalAttributes: 0x10 }],
    ['S_IFDIR Unix mode', { versionMadeBy: (UNIX << 8) | 20, mode: 0o040755 }],
  ];

  it.each(cases)('rejects the handler file of a function zip with the %s', async (title, change) => {
    const result = await validate(
      await bundleAround(rawZip([handler(change)])),
      `${title.replace(/\W+/g, '-')}.zip`,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.message).join('\n')).toMatch(
      /"index\.js" is a file by its name but a directory/,
    );
  });

  it('rejects a bundle entry so marked', async () => {
    const zip = await bundleWith([
      { name: 'static/b.txt', data: 'x', versionMadeBy: 20, externalAttributes: 0x10 },
    ]);
    const result = await validate(zip, 'bundle.zip');
    expect(result.ok).toBe(false);
  });

  it('accepts FAT-host files (archive bit 0x20) and directories with the attribute', async () => {
    const zip = await bundleAround(
      rawZip([
        handler({ versionMadeBy: 20, externalAttributes: 0x20 }),
        { name: 'lib/', versionMadeBy: 20, externalAttributes: 0x10 },
        { name: 'lib/a.js', data: 'x', versionMadeBy: 20, externalAttributes: 0x20 },
      ]),
    );
    const result = await validate(zip, 'valid.zip');
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
