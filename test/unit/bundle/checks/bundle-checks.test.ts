/**
 * Bundle-level checks: function zips read with the same checks as the bundle and fully inflated
 * (issues at "<fn>.zip/<inner entry>"), an empty function zip, the caps on functions and static files,
 * and the ranges a valid bundle hands to the provisioner.
 */
import { validateBundle, type Issue } from '../../../../src/bundle';
import { rawZip, type RawZipEntry } from '../../../support/raw-zip';
import { TEST_NOW, manifest, scratch, validEntries, type Scratch } from '../helpers';

let s: Scratch;
beforeAll(async () => {
  s = await scratch();
});
afterAll(() => s.cleanup());

let n = 0;
async function errorsOf(entries: RawZipEntry[], limits = {}): Promise<Issue[]> {
  const result = await validateBundle(await s.file(`b${n++}.zip`, entries), {
    now: TEST_NOW,
    limits,
    tmpDir: s.dir,
  });
  return result.ok ? [] : result.errors;
}

const withFunctionZip = async (inner: Buffer): Promise<RawZipEntry[]> =>
  (await validEntries()).map((e) => (e.name === 'fn.zip' ? { ...e, data: inner } : e));

describe('function zips', () => {
  it('inflates every entry: a CRC failure inside names both zips', async () => {
    const inner = rawZip([
      { name: 'index.js', data: 'exports.handler = 1', method: 8 },
      { name: 'lib/bad.js', data: 'corrupt me', method: 8, crc32: 0x1234 },
    ]);
    const errors = await errorsOf(await withFunctionZip(inner));
    expect(errors).toEqual([
      {
        severity: 'error',
        code: 'ENTRY_CRC_MISMATCH',
        path: 'fn.zip/lib/bad.js',
        message: expect.stringMatching(/"fn\.zip".*"lib\/bad\.js".*CRC-32/) as unknown,
      },
    ]);
  });

  it('reports a structural problem inside as FUNCTION_ZIP_INVALID with both names and the problem', async () => {
    const inner = rawZip([
      { name: 'index.js', data: 'exports.handler = 1' },
      { name: 'x.js', data: 'x', localName: 'y.js' },
    ]);
    const errors = await errorsOf(await withFunctionZip(inner));
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'FUNCTION_ZIP_INVALID',
        path: 'fn.zip/x.js',
        message: expect.stringMatching(/"fn\.zip".*"x\.js".*name differs.*LOCAL_HEADER_MISMATCH/) as unknown,
      }),
    ]);
  });

  it('refuses a function zip with no file (directories only)', async () => {
    const errors = await errorsOf(await withFunctionZip(rawZip([{ name: 'dir/' }])));
    expect(errors.map((e) => [e.code, e.path])).toEqual([['FUNCTION_ZIP_EMPTY', 'fn.zip']]);
  });

  it('does not inflate a function zip over the unzipped cap', async () => {
    const inner = rawZip([{ name: 'index.js', data: Buffer.alloc(4096), method: 8 }]);
    const errors = await errorsOf(await withFunctionZip(inner), { maxFunctionUnzippedBytes: 1000 });
    expect(errors.map((e) => e.code)).toEqual(['FUNCTION_UNZIPPED_TOO_LARGE']);
  });
});

describe('caps', () => {
  it('refuses more functions than the cap, naming the section', async () => {
    const fns = [1, 2, 3].map((i) => ({
      path: `/${i}`,
      name: `f${i}`,
      handler: 'index.handler',
      runtime: 'nodejs22.x',
    }));
    const entries = await validEntries(manifest({ aws_lambda: fns }));
    const errors = await errorsOf(entries, { maxFunctions: 2 });
    expect(errors).toContainEqual(
      expect.objectContaining({
        code: 'TOO_MANY_FUNCTIONS',
        path: '$.aws_lambda',
        message: expect.stringContaining('3 functions, more than the limit of 2') as unknown,
      }),
    );
    expect(errors.map((e) => e.code)).not.toContain('FUNCTION_ZIP_MISSING');
  });

  it('refuses more static files than the cap', async () => {
    const entries = [
      ...(await validEntries()),
      { name: 'static/b.txt', data: 'b' },
      { name: 'static/c.txt', data: 'c' },
    ];
    const errors = await errorsOf(entries, { maxStaticFiles: 2 });
    expect(errors.map((e) => [e.code, e.path])).toEqual([['TOO_MANY_STATIC_FILES', '(bundle)']]);
  });
});

describe('the ranges handed to the provisioner', () => {
  it('come from the local headers (data offset), with sizes, CRC and sha256', async () => {
    const entries = await validEntries();
    const file = await s.file(`ok${n++}.zip`, entries);
    const result = await validateBundle(file, { now: TEST_NOW });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const [fn] = result.bundle.functions;
    const [asset] = result.bundle.assets;
    const manifestBytes = 30 + 'manifest.json'.length;
    expect(fn?.dataOffset).toBeGreaterThan(manifestBytes);
    expect(fn).toMatchObject({
      entry: 'fn.zip',
      method: 0,
      uncompressedSize: fn?.size,
      compressedSize: fn?.size,
    });
    expect(asset).toMatchObject({ entry: 'static/a.txt', method: 8, uncompressedSize: 5 });
    expect(asset?.sha256Hex).toMatch(/^[0-9a-f]{64}$/);
  });
});
