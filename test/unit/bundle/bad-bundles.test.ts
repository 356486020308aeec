/**
 * A corpus of bad bundles, built here, each rejected with a message naming the problem and the entry
 * (or JSON path). Table-driven: one row per limit or rule.
 */
import { readdir } from 'node:fs/promises';
import zlib from 'node:zlib';
import { validateBundle, type BundleLimits, type Issue } from '../../../src/bundle';
import { bundleBuffer, functionZip, upstreamLikeSpec } from '../../support/bundle-builder';
import { rawZip, type RawZipEntry, type RawZipOptions } from '../../support/raw-zip';
import { TEST_NOW, manifest, scratch, validEntries, type Scratch } from './helpers';

interface Case {
  name: string;
  /** the bundle: raw entries (hand-made zip) or bytes */
  build: () => Promise<RawZipEntry[] | Buffer>;
  zipOptions?: RawZipOptions;
  limits?: Partial<BundleLimits>;
  /** the error that must be reported */
  code: string;
  path: string;
  /** words the message must contain (the problem and the entry / field) */
  words: string[];
}

const m = manifest;
const withManifest = async (mf: Record<string, unknown> | string | Buffer): Promise<RawZipEntry[]> => {
  const entries = await validEntries();
  entries[0] = {
    name: 'manifest.json',
    data: typeof mf === 'object' && !Buffer.isBuffer(mf) ? JSON.stringify(mf) : mf,
  };
  return entries;
};
const plus = async (...extra: RawZipEntry[]): Promise<RawZipEntry[]> => [...(await validEntries()), ...extra];
const fnList = (...fns: Record<string, unknown>[]) => m({ aws_lambda: fns });
const fn = (over: Record<string, unknown> = {}) => ({
  path: '/',
  name: 'fn',
  handler: 'index.handler',
  runtime: 'nodejs24.x',
  ...over,
});

const CASES: Case[] = [
  // the bundle file as a zip
  {
    name: 'a text file',
    build: async () => Buffer.from('this is not a zip\n'),
    code: 'NOT_A_ZIP',
    path: '(bundle)',
    words: ['not a zip'],
  },
  {
    name: 'an empty file',
    build: async () => Buffer.alloc(0),
    code: 'NOT_A_ZIP',
    path: '(bundle)',
    words: ['empty'],
  },
  {
    name: 'a truncated zip',
    build: async () => (await bundleBuffer(await upstreamLikeSpec())).subarray(0, 700),
    code: 'TRUNCATED_ZIP',
    path: '(bundle)',
    words: ['truncated'],
  },
  {
    name: 'data appended after the zip',
    build: async () =>
      rawZip(await validEntries(), { trailing: Buffer.from('PK\x05\x06 garbage garbage garbage') }),
    code: 'ZIP_TRAILING_DATA',
    path: '(bundle)',
    words: ['end-of-central-directory'],
  },
  {
    name: 'a central directory claiming more entries than it has',
    build: async () => rawZip(await validEntries(), { entryCount: 9 }),
    code: 'ZIP_END_RECORD_MISMATCH',
    path: '(bundle)',
    words: ['9 entries'],
  },
  {
    name: 'a bundle larger than the limit',
    build: () => validEntries(),
    limits: { maxBundleBytes: 100 },
    code: 'BUNDLE_TOO_LARGE',
    path: '(bundle)',
    words: ['limit of 100 bytes'],
  },
  {
    name: 'too many entries',
    build: () => plus(...Array.from({ length: 10 }, (_, i) => ({ name: `static/f${i}.txt`, data: 'x' }))),
    limits: { maxEntries: 5 },
    code: 'TOO_MANY_ENTRIES',
    path: '(bundle)',
    words: ['13 entries', 'limit of 5'],
  },
  {
    name: 'total unzipped size above the limit',
    build: () => plus({ name: 'static/big.bin', data: Buffer.alloc(4096, 1) }),
    limits: { maxTotalUnzippedBytes: 2048 },
    code: 'TOTAL_UNZIPPED_TOO_LARGE',
    path: '(bundle)',
    words: ['limit of 2,048 bytes', 'zip bomb'],
  },
  {
    name: 'a compression-ratio bomb',
    build: () => plus({ name: 'static/zeros.bin', data: Buffer.alloc(4 * 1024 * 1024), method: 8 }),
    code: 'COMPRESSION_RATIO_TOO_HIGH',
    path: 'static/zeros.bin',
    words: ['static/zeros.bin', 'compression ratio', '100:1'],
  },
  {
    name: 'an entry inflating to more than it declares',
    build: () =>
      plus({ name: 'static/liar.txt', data: Buffer.alloc(100_000, 0x61), method: 8, uncompressedSize: 10 }),
    code: 'ENTRY_SIZE_MISMATCH',
    path: 'static/liar.txt',
    words: ['static/liar.txt', 'more than the 10 bytes'],
  },
  {
    name: 'an entry failing its CRC',
    build: () => plus({ name: 'static/bad-crc.txt', data: 'hello world', crc32: 0x12345678 }),
    code: 'ENTRY_CRC_MISMATCH',
    path: 'static/bad-crc.txt',
    words: ['static/bad-crc.txt', 'CRC-32'],
  },
  {
    name: 'corrupt deflate data',
    build: () =>
      plus({
        name: 'static/garbled.txt',
        data: 'hello',
        method: 8,
        rawData: Buffer.from([0xff, 0xff, 0xff, 0xff]),
      }),
    code: 'ENTRY_UNREADABLE',
    path: 'static/garbled.txt',
    words: ['static/garbled.txt', 'deflate'],
  },
  {
    name: 'overlapping entries (overlapping-file bomb)',
    build: async () => {
      const entries = await validEntries();
      return [
        ...entries,
        { name: 'static/again.txt', data: 'hello', centralOnly: true, localHeaderOffset: 0 },
      ];
    },
    code: 'OVERLAPPING_ENTRIES',
    path: 'static/again.txt',
    words: ['static/again.txt', 'overlaps'],
  },
  // entry names and types
  {
    name: 'zip-slip ".."',
    build: () => plus({ name: '../evil.sh', data: 'x' }),
    code: 'UNSAFE_ENTRY_PATH',
    path: '../evil.sh',
    words: ['../evil.sh', 'zip-slip'],
  },
  {
    name: 'zip-slip inside static/',
    build: () => plus({ name: 'static/../../evil.sh', data: 'x' }),
    code: 'UNSAFE_ENTRY_PATH',
    path: 'static/../../evil.sh',
    words: ['static/../../evil.sh', '".."'],
  },
  {
    name: 'an absolute path',
    build: () => plus({ name: '/etc/cron.d/evil', data: 'x' }),
    code: 'UNSAFE_ENTRY_PATH',
    path: '/etc/cron.d/evil',
    words: ['/etc/cron.d/evil', 'absolute'],
  },
  {
    name: 'a backslash',
    build: () => plus({ name: 'static\\..\\evil.txt', data: 'x' }),
    code: 'UNSAFE_ENTRY_PATH',
    path: 'static\\..\\evil.txt',
    words: ['backslash'],
  },
  {
    name: 'a drive letter',
    build: () => plus({ name: 'C:/Windows/evil.dll', data: 'x' }),
    code: 'UNSAFE_ENTRY_PATH',
    path: 'C:/Windows/evil.dll',
    words: ['C:/Windows/evil.dll', 'drive letter'],
  },
  {
    name: 'a name that is not UTF-8',
    build: () =>
      plus({
        name: Buffer.from([0x73, 0x74, 0x61, 0x74, 0x69, 0x63, 0x2f, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]),
        data: 'x',
      }),
    code: 'BAD_ENTRY_NAME',
    path: 'static/\\xff\\xfe.txt',
    words: ['static/\\\\xff\\\\xfe.txt', 'UTF-8'],
  },
  {
    name: 'a symlink',
    build: () => plus({ name: 'static/passwd', data: '/etc/passwd', mode: 0o120777 }),
    code: 'SYMLINK_ENTRY',
    path: 'static/passwd',
    words: ['static/passwd', 'symbolic link'],
  },
  {
    name: 'a device file',
    build: () => plus({ name: 'static/null', mode: 0o020666 }),
    code: 'SPECIAL_FILE_ENTRY',
    path: 'static/null',
    words: ['static/null', 'special file'],
  },
  {
    name: 'duplicate entries',
    build: () => plus({ name: 'static/a.txt', data: 'other content' }),
    code: 'DUPLICATE_ENTRY',
    path: 'static/a.txt',
    words: ['static/a.txt', 'more than once'],
  },
  {
    name: 'an encrypted entry',
    build: () => plus({ name: 'static/secret.txt', data: 'xxxxxxxxxxxx', flags: 0x801 }),
    code: 'ENCRYPTED_ENTRY',
    path: 'static/secret.txt',
    words: ['static/secret.txt', 'encrypted'],
  },
  {
    name: 'an unsupported compression method',
    build: () => plus({ name: 'static/b.bz2', data: 'x', method: 12 }),
    code: 'UNSUPPORTED_COMPRESSION',
    path: 'static/b.bz2',
    words: ['static/b.bz2', 'method 12'],
  },
  // manifest.json
  {
    name: 'no manifest',
    build: async () => (await validEntries()).slice(1),
    code: 'MANIFEST_MISSING',
    path: 'manifest.json',
    words: ['no manifest.json'],
  },
  {
    name: 'the manifest in a subfolder',
    build: async () => {
      const e = await validEntries();
      return [{ ...e[0]!, name: 'app/manifest.json' }, ...e.slice(1)];
    },
    code: 'MANIFEST_MISSING',
    path: 'manifest.json',
    words: ['"app/manifest.json"', 'at the root'],
  },
  {
    name: 'a manifest that is not JSON',
    build: () => withManifest('{ "app_id": '),
    code: 'MANIFEST_NOT_JSON',
    path: 'manifest.json',
    words: ['manifest.json', 'not valid JSON'],
  },
  {
    name: 'a manifest that is not UTF-8',
    build: () => withManifest(Buffer.from([0x7b, 0xff, 0x7d])),
    code: 'MANIFEST_NOT_UTF8',
    path: 'manifest.json',
    words: ['manifest.json', 'UTF-8'],
  },
  {
    name: 'a manifest over 1 MiB',
    build: () => withManifest(m({ description: 'x'.repeat(1024 * 1024) })),
    code: 'MANIFEST_TOO_LARGE',
    path: 'manifest.json',
    words: ['manifest.json', '1,048,576 bytes'],
  },
  {
    name: 'a manifest that is a list',
    build: () => withManifest('[1, 2]'),
    code: 'MANIFEST_SCHEMA',
    path: '$',
    words: ['the manifest', 'must be an object, not a list'],
  },
  {
    name: 'a bad app_id',
    build: () => withManifest(m({ app_id: 'a/b' })),
    code: 'MANIFEST_SCHEMA',
    path: '$.app_id',
    words: ['app_id', '3-32 characters', '"a/b"'],
  },
  {
    name: 'a version with "_"',
    build: () => withManifest(m({ version: '1_0' })),
    code: 'MANIFEST_SCHEMA',
    path: '$.version',
    words: ['version', 'no "_"', '"1_0"'],
  },
  {
    name: 'a version too long',
    build: () => withManifest(m({ version: '1.0.0-beta.12' })),
    code: 'MANIFEST_SCHEMA',
    path: '$.version',
    words: ['version', '1-10 characters'],
  },
  {
    name: 'no display_name',
    build: () => withManifest(m({ display_name: undefined })),
    code: 'MANIFEST_SCHEMA',
    path: '$.display_name',
    words: ['display_name is required'],
  },
  {
    name: 'a blank display_name',
    build: () => withManifest(m({ display_name: '  ' })),
    code: 'MANIFEST_SCHEMA',
    path: '$.display_name',
    words: ['display_name', 'non-empty'],
  },
  {
    name: 'an ftp homepage_url',
    build: () => withManifest(m({ homepage_url: 'ftp://example.com/' })),
    code: 'BAD_HOMEPAGE_URL',
    path: '$.homepage_url',
    words: ['homepage_url', 'ftp://example.com/', 'http(s)'],
  },
  {
    name: 'a homepage_url without a host',
    build: () => withManifest(m({ homepage_url: 'https://' })),
    code: 'BAD_HOMEPAGE_URL',
    path: '$.homepage_url',
    words: ['homepage_url'],
  },
  {
    name: 'a bad remote_webhook_auth_type',
    build: () => withManifest(m({ remote_webhook_auth_type: 'basic' })),
    code: 'MANIFEST_SCHEMA',
    path: '$.remote_webhook_auth_type',
    words: ['remote_webhook_auth_type', '"basic"', '"jwt"'],
  },
  {
    name: 'a call that is a number',
    build: () => withManifest(m({ on_install: 5 })),
    code: 'MANIFEST_SCHEMA',
    path: '$.on_install',
    words: ['on_install', 'must be a call'],
  },
  {
    name: 'a call path without "/"',
    build: () => withManifest(m({ bindings: { path: 'bindings' } })),
    code: 'MANIFEST_SCHEMA',
    path: '$.bindings',
    words: ['bindings', 'must be a call'],
  },
  {
    name: 'no aws_lambda',
    build: () => withManifest(m({ aws_lambda: undefined })),
    code: 'MANIFEST_SCHEMA',
    path: '$.aws_lambda',
    words: ['aws_lambda is required'],
  },
  {
    name: 'no functions (list form)',
    build: () => withManifest(m({ aws_lambda: [] })),
    code: 'NO_FUNCTIONS',
    path: '$.aws_lambda',
    words: ['at least one function'],
  },
  {
    name: 'no functions (object form)',
    build: () => withManifest(m({ aws_lambda: { functions: [] } })),
    code: 'NO_FUNCTIONS',
    path: '$.aws_lambda.functions',
    words: ['at least one function'],
  },
  {
    name: 'aws_lambda object without functions',
    build: () => withManifest(m({ aws_lambda: { fns: [] } })),
    code: 'MANIFEST_SCHEMA',
    path: '$.aws_lambda.functions',
    words: ['aws_lambda.functions is required'],
  },
  {
    name: 'aws_lambda a string',
    build: () => withManifest(m({ aws_lambda: 'fn' })),
    code: 'MANIFEST_SCHEMA',
    path: '$.aws_lambda',
    words: ['aws_lambda', 'list of functions'],
  },
  {
    name: 'a function name with "/"',
    build: () => withManifest(fnList(fn({ name: 'a/b' }))),
    code: 'MANIFEST_SCHEMA',
    path: '$.aws_lambda[0].name',
    words: ['aws_lambda[0].name', '"a/b"'],
  },
  {
    name: 'a function without handler',
    build: () => withManifest(fnList(fn({ handler: '' }))),
    code: 'MANIFEST_SCHEMA',
    path: '$.aws_lambda[0].handler',
    words: ['aws_lambda[0].handler', 'non-empty'],
  },
  {
    name: 'a function path without "/"',
    build: () => withManifest(fnList(fn({ path: 'api' }))),
    code: 'MANIFEST_SCHEMA',
    path: '$.aws_lambda[0].path',
    words: ['aws_lambda[0].path', '"/"'],
  },
  {
    name: 'duplicate function names',
    build: () => withManifest(fnList(fn(), fn({ path: '/b' }))),
    code: 'DUPLICATE_FUNCTION_NAME',
    path: '$.aws_lambda[1].name',
    words: ['"fn"', 'used twice'],
  },
  {
    name: 'function names equal after the name mapping',
    build: async () => [
      ...(await withManifest(fnList(fn({ name: 'my fn' }), fn({ name: 'my-fn', path: '/b' })))),
      { name: 'my fn.zip', data: await functionZip() },
      { name: 'my-fn.zip', data: await functionZip() },
    ],
    code: 'LAMBDA_NAME_COLLISION',
    path: '$.aws_lambda[1].name',
    words: ['"my fn"', '"my-fn"', 'com-example-hello_1-0-0_my-fn'],
  },
  {
    name: 'a runtime AWS no longer accepts for new functions',
    build: () => withManifest(fnList(fn({ runtime: 'nodejs14.x' }))),
    code: 'RUNTIME_CREATE_BLOCKED',
    path: '$.aws_lambda[0].runtime',
    words: ['nodejs14.x', '2024-01-09', 'nodejs24.x'],
  },
  {
    name: 'an unknown runtime',
    build: () => withManifest(fnList(fn({ runtime: 'cobol1.x' }))),
    code: 'RUNTIME_UNKNOWN',
    path: '$.aws_lambda[0].runtime',
    words: ['"cobol1.x"'],
  },
  {
    name: 'an icon missing from static/',
    build: () => withManifest(m({ icon: 'icon.png' })),
    code: 'ICON_NOT_FOUND',
    path: '$.icon',
    words: ['"icon.png"', '"static/icon.png"'],
  },
  // function zips
  {
    name: 'a missing function zip',
    build: async () => (await validEntries()).filter((e) => e.name !== 'fn.zip'),
    code: 'FUNCTION_ZIP_MISSING',
    path: '$.aws_lambda[0].name',
    words: ['"fn"', '"fn.zip"'],
  },
  {
    name: 'a function zip in a subfolder only',
    build: async () =>
      (await validEntries()).map((e) => (e.name === 'fn.zip' ? { ...e, name: 'functions/fn.zip' } : e)),
    code: 'FUNCTION_ZIP_MISSING',
    path: '$.aws_lambda[0].name',
    words: ['"functions/fn.zip"', 'at the root'],
  },
  {
    name: 'an ambiguous function zip',
    build: async () => plus({ name: 'fn.ZIP', data: await functionZip() }),
    code: 'FUNCTION_ZIP_AMBIGUOUS',
    path: '$.aws_lambda[0].name',
    words: ['"fn.zip"', '"fn.ZIP"'],
  },
  {
    name: 'a function zip that is not a zip',
    build: async () =>
      (await validEntries()).map((e) => (e.name === 'fn.zip' ? { ...e, data: 'not a zip at all' } : e)),
    code: 'FUNCTION_ZIP_INVALID',
    path: 'fn.zip',
    words: ['"fn.zip"', 'not a valid zip'],
  },
  {
    name: 'a function zip too large',
    build: () => validEntries(),
    limits: { maxFunctionZipBytes: 100 },
    code: 'FUNCTION_ZIP_TOO_LARGE',
    path: 'fn.zip',
    words: ['"fn.zip"', 'smaller than 100 bytes'],
  },
  {
    name: 'a function zip unzipping to 250 MB or more',
    build: async () =>
      (await validEntries()).map((e) =>
        e.name === 'fn.zip'
          ? {
              ...e,
              data: rawZip([{ name: 'index.js', data: 'x', uncompressedSize: 262_144_000, method: 0 }]),
            }
          : e,
      ),
    code: 'FUNCTION_UNZIPPED_TOO_LARGE',
    path: 'fn.zip',
    words: ['"fn.zip"', '262,144,000 bytes'],
  },
  {
    name: 'a function zip with too many entries',
    build: async () =>
      (await validEntries()).map((e) =>
        e.name === 'fn.zip'
          ? { ...e, data: rawZip(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.js`, data: 'x' }))) }
          : e,
      ),
    limits: { maxFunctionEntries: 5 },
    code: 'FUNCTION_ZIP_TOO_MANY_ENTRIES',
    path: 'fn.zip',
    words: ['"fn.zip"', '6 entries'],
  },
  {
    name: 'a function zip with encrypted entries',
    build: async () =>
      (await validEntries()).map((e) =>
        e.name === 'fn.zip'
          ? { ...e, data: rawZip([{ name: 'index.js', data: 'xxxxxxxxxxxxx', flags: 1 }]) }
          : e,
      ),
    code: 'FUNCTION_ZIP_ENCRYPTED',
    path: 'fn.zip',
    words: ['"fn.zip"', 'encrypted', '"index.js"'],
  },
  // static assets
  {
    name: 'static files mapping to the same key',
    build: () => plus({ name: 'static/a b.txt', data: '1' }, { name: 'static/a-b.txt', data: '2' }),
    code: 'STATIC_KEY_COLLISION',
    path: 'static/a-b.txt',
    words: ['"static/a b.txt"', '"static/a-b.txt"', 'static/com.example.hello_1.0.0_app/a-b.txt'],
  },
  {
    name: 'a static key longer than S3 allows',
    build: () => plus({ name: `static/${'d/'.repeat(500)}f.txt`, data: '1' }),
    code: 'STATIC_KEY_TOO_LONG',
    path: `static/${'d/'.repeat(500)}f.txt`,
    words: ['1024 bytes'],
  },
];

describe('bad bundles', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());

  it('the corpus is large and its base bundle is valid', async () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
    const result = await validateBundle(await s.file('base.zip', await validEntries()), { now: TEST_NOW });
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('rejects %s', async (_name, c) => {
    const built = await c.build();
    const file = await s.file(`${c.code}-${CASES.indexOf(c)}.zip`, built, c.zipOptions);
    const result = await validateBundle(file, { now: TEST_NOW, limits: c.limits, tmpDir: s.dir });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const matching = result.errors.filter((i: Issue) => i.code === c.code);
    expect({ code: c.code, found: matching.map((i) => [i.path, i.message]) }).toEqual({
      code: c.code,
      found: expect.arrayContaining([[c.path, expect.any(String)]]) as unknown,
    });
    const issue = matching.find((i) => i.path === c.path) as Issue;
    for (const w of c.words) expect(issue.message).toContain(w);
    expect(issue.severity).toBe('error');
  });

  it('reports every problem at once', async () => {
    const entries = await withManifest(
      m({
        app_id: 'x',
        version: '1_0',
        display_name: '',
        homepage_url: 'nope',
        aws_lambda: [fn({ runtime: 'go1.x', handler: '' })],
      }),
    );
    entries.push({ name: '../evil', data: 'x' }, { name: 'static/l', data: 'x', mode: 0o120777 });
    const result = await validateBundle(await s.file('many.zip', entries), { now: TEST_NOW });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.errors.map((e) => `${e.code} ${e.path}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'MANIFEST_SCHEMA $.app_id',
        'MANIFEST_SCHEMA $.version',
        'MANIFEST_SCHEMA $.display_name',
        'MANIFEST_SCHEMA $.aws_lambda[0].handler',
        'BAD_HOMEPAGE_URL $.homepage_url',
        'RUNTIME_CREATE_BLOCKED $.aws_lambda[0].runtime',
        'UNSAFE_ENTRY_PATH ../evil',
        'SYMLINK_ENTRY static/l',
      ]),
    );
  });

  it('cleans its temp files, valid or not', async () => {
    const tmp = await scratch();
    try {
      await validateBundle(await s.file('ok.zip', await validEntries()), { now: TEST_NOW, tmpDir: tmp.dir });
      await validateBundle(
        await s.file(
          'bad-fn.zip',
          (await validEntries()).map((e) => (e.name === 'fn.zip' ? { ...e, data: 'garbage' } : e)),
        ),
        { now: TEST_NOW, tmpDir: tmp.dir },
      );
      expect(await readdir(tmp.dir)).toEqual([]);
    } finally {
      await tmp.cleanup();
    }
  });

  it('does not report a zip bomb entry twice, nor read it', async () => {
    const bomb = zlib.deflateRawSync(Buffer.alloc(8 * 1024 * 1024));
    const entries = await plus({
      name: 'static/bomb.bin',
      data: Buffer.alloc(8 * 1024 * 1024),
      method: 8,
      rawData: bomb,
    });
    const result = await validateBundle(await s.file('bomb.zip', entries), { now: TEST_NOW });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.code)).toEqual(['COMPRESSION_RATIO_TOO_HIGH']);
  });
});
