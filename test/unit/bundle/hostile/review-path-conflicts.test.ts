/**
 * A path that is both a file and a directory: unzip keeps the directory and drops the file ("index.js/"
 * then "index.js" leaves no handler), Python's zipfile fails; our reader used to list both. Rejected in
 * the bundle and in function zips, whatever the order and depth. DESIGN.md "One reading of every byte".
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { validateBundle } from '../../../../src/bundle';
import type { RawZipEntry } from '../../../support/raw-zip';
import { TEST_NOW } from '../helpers';
import { bundleAround, bundleWith, innerZip, manyEntriesZip, rawZip } from './kit';

const file = (name: string): RawZipEntry => ({ name, data: 'x' });
const dir = (name: string): RawZipEntry => ({ name });

describe('a path that is both a file and a directory', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'apps-deployer-paths-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  async function validate(zip: Buffer, name: string) {
    const f = path.join(tmp, name);
    await writeFile(f, zip);
    return validateBundle(f, { now: TEST_NOW, tmpDir: tmp });
  }

  const fnCases: [string, RawZipEntry[], RegExp][] = [
    ['a directory entry named like the handler file, before it', [], /"index\.js".*"index\.js\/"/],
    ['the handler file with an entry under it', [file('index.js/x')], /"index\.js".*"index\.js\/x"/],
    [
      'a file, then an entry two levels under it',
      [file('lib'), file('lib/x/y.js')],
      /"lib".*"lib\/x\/y\.js"/,
    ],
    [
      'an entry two levels under a file, then the file',
      [file('lib/x/y.js'), file('lib')],
      /"lib".*"lib\/x\/y\.js"/,
    ],
  ];

  it.each(fnCases)('rejects, inside a function zip: %s', async (_title, extra, words) => {
    // no extra: the directory "index.js/" first, then the handler file
    const fnZip = extra.length === 0 ? handlerAfter([dir('index.js/')]) : innerZip(extra);
    const result = await validate(
      await bundleAround(fnZip),
      `fn-${fnCases.findIndex((c) => c[1] === extra)}.zip`,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const messages = result.errors.map((e) => e.message).join('\n');
    expect(messages).toMatch(/api\.zip/);
    expect(messages).toMatch(words);
  });

  it('rejects, in the bundle, a static file with a file under it', async () => {
    const result = await validate(await bundleWith([file('static/a'), file('static/a/b')]), 'static.zip');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => `${e.code} ${e.message}`).join('\n')).toMatch(
      /DUPLICATE_ENTRY .*"static\/a".*"static\/a\/b"/,
    );
  });

  it('accepts directories with their own entries and files beside them', async () => {
    const zip = await bundleAround(
      innerZip([dir('lib/'), dir('lib/x/'), file('lib/x/y.js'), file('lib/x.js'), file('lib-x')]),
    );
    const result = await validate(zip, 'valid.zip');
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('caps the directories a function zip implies (deep single-file directories)', async () => {
    const deep = manyEntriesZip(800, (i) => `${i}/${'d/'.repeat(11)}f.js`, [
      { name: 'index.js', data: 'exports.handler = async () => 1;\n' },
    ]);
    const result = await validate(await bundleAround(deep), 'deep.zip');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.message).join('\n')).toMatch(/more than [\d,]+ directories/);
  });
});

/** A function zip of `entries`, then the handler index.js. */
function handlerAfter(entries: RawZipEntry[]): Buffer {
  return rawZip([...entries, { name: 'index.js', data: 'exports.handler = async () => 1;\n', method: 8 }]);
}
