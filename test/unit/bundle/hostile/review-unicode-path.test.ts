/**
 * Info-ZIP's Unicode Path extra field (0x7075) renames an entry for the readers that honour it (unzip,
 * and any extractor built on Info-ZIP) and not for the others (Python's zipfile, Go's archive/zip, ours):
 * a function zip holding index.js and junk.js whose 0x7075 field says "index.js" is extracted by unzip
 * with junk.js's bytes as index.js. DESIGN.md "One reading of every byte".
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { validateBundle } from '../../../../src/bundle';
import { TEST_NOW } from '../helpers';
import { bundleAround, bundleWith, innerZip } from './kit';

/** A 0x7075 field: version 1, the CRC-32 of the header name, then the UTF-8 name readers show. */
function unicodePathExtra(headerName: string, shownName: string): Buffer {
  const name = Buffer.from(shownName, 'utf8');
  const b = Buffer.alloc(9);
  b.writeUInt16LE(0x7075, 0);
  b.writeUInt16LE(5 + name.length, 2);
  b.writeUInt8(1, 4);
  b.writeUInt32LE(zlib.crc32(Buffer.from(headerName, 'utf8')) >>> 0, 5);
  return Buffer.concat([b, name]);
}

describe('Info-ZIP Unicode Path extra field (0x7075)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'apps-deployer-upath-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function validate(zip: Buffer, name: string) {
    const file = path.join(dir, name);
    await writeFile(file, zip);
    return validateBundle(file, { now: TEST_NOW, tmpDir: dir });
  }

  const evil = (where: 'central' | 'local' | 'both') => {
    const extra = unicodePathExtra('junk.js', 'index.js');
    return {
      name: 'junk.js',
      data: 'exports.handler = async () => "not the validated code";\n',
      ...(where !== 'local' ? { centralExtra: extra } : {}),
      ...(where !== 'central' ? { localExtra: extra } : {}),
    };
  };

  it.each(['central', 'local', 'both'] as const)(
    'rejects a function zip entry that unzip would extract under another name (%s field)',
    async (where) => {
      const result = await validate(await bundleAround(innerZip([evil(where)])), `fn-${where}.zip`);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors.map((e) => e.message).join('\n')).toMatch(/junk\.js[\s\S]*index\.js/);
    },
  );

  it('rejects a bundle entry that unzip would read as manifest.json', async () => {
    const extra = unicodePathExtra('static/b.txt', 'manifest.json');
    const zip = await bundleWith([
      { name: 'static/b.txt', data: '{}', centralExtra: extra, localExtra: extra },
    ]);
    const result = await validate(zip, 'bundle.zip');
    expect(result.ok).toBe(false);
  });

  it('accepts a 0x7075 field that names the entry as its header does (what Info-ZIP zip writes)', async () => {
    const extra = unicodePathExtra('lib/é.js', 'lib/é.js');
    const zip = await bundleAround(
      innerZip([{ name: 'lib/é.js', data: 'x', centralExtra: extra, localExtra: extra }]),
    );
    const result = await validate(zip, 'same.zip');
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
