import path from 'node:path';
import {
  BundleInvalidError,
  BundleReadError,
  DEFAULT_LIMITS,
  checkManifest,
  validateBundle,
  type Issue,
} from '../../../src/bundle';
import { functionZip, simpleAppSpec } from '../../support/bundle-builder';
import { TEST_NOW, codes, manifest, scratch, validEntries, type Scratch } from './helpers';

describe('validateBundle', () => {
  let s: Scratch;
  beforeAll(async () => {
    s = await scratch();
  });
  afterAll(() => s.cleanup());

  it('accepts the simple app of the test builder, icon included', async () => {
    const result = await validateBundle(
      await s.bundle('simple.zip', await simpleAppSpec('com.example.app', '2.0.1', { functions: 3 })),
      {
        now: TEST_NOW,
      },
    );
    expect(result.ok ? result.warnings : result.errors).toEqual([]);
    expect(result.ok && result.bundle.functions.map((f) => f.lambdaName)).toEqual([
      'com-example-app_2-0-1_fn0',
      'com-example-app_2-0-1_fn1',
      'com-example-app_2-0-1_fn2',
    ]);
  });

  it('throws a BundleReadError for a missing file or a directory, not an issue', async () => {
    await expect(validateBundle(path.join(s.dir, 'missing.zip'))).rejects.toThrow(BundleReadError);
    await expect(validateBundle(path.join(s.dir, 'missing.zip'))).rejects.toThrow(
      /missing\.zip: no such file/,
    );
    await expect(validateBundle(s.dir)).rejects.toThrow(/directory/);
  });

  it('keeps warnings apart from errors, and a warned bundle valid', async () => {
    const m = manifest({
      app_type: 'http',
      requested_permissions: ['act_as_bot', 'fly'],
      aws_lambda: [
        { path: '/', name: 'fn', handler: 'index.handler', runtime: 'nodejs20.x' },
        { path: '/', name: 'py', handler: 'app.main.handler', runtime: 'python3.15' },
      ],
    });
    const entries = await validEntries(m);
    entries.push(
      { name: 'py.zip', data: await functionZip({ 'app/main.py': 'def handler(e, c): pass' }) },
      { name: 'README.md', data: 'hi' },
      { name: 'extra.zip', data: await functionZip() },
      { name: 'docs/', data: '' },
    );
    const result = await validateBundle(await s.file('warned.zip', entries), { now: TEST_NOW });
    expect(result.ok).toBe(true);
    const byCode = (code: string): Issue[] => result.warnings.filter((w) => w.code === code);
    expect(byCode('RUNTIME_DEPRECATED').map((w) => w.path)).toEqual(['$.aws_lambda[0].runtime']);
    expect(byCode('RUNTIME_UNKNOWN_VERSION').map((w) => w.path)).toEqual(['$.aws_lambda[1].runtime']);
    expect(byCode('DUPLICATE_FUNCTION_PATH').map((w) => w.path)).toEqual(['$.aws_lambda[1].path']);
    expect(byCode('APP_TYPE_NOT_AWS_LAMBDA').map((w) => w.path)).toEqual(['$.app_type']);
    expect(byCode('UNKNOWN_PERMISSION').map((w) => w.path)).toEqual(['$.requested_permissions[1]']);
    expect(
      byCode('IGNORED_ENTRY')
        .map((w) => w.path)
        .sort(),
    ).toEqual(['README.md', 'extra.zip']);
    expect(byCode('HANDLER_FILE_NOT_FOUND')).toEqual([]);
    expect(result.warnings.every((w) => w.severity === 'warning')).toBe(true);
  });

  it('warns when the handler file a runtime loads is not in the function zip', async () => {
    const m = manifest({
      aws_lambda: [{ path: '/', name: 'fn', handler: 'app', runtime: 'provided.al2023' }],
    });
    const result = await validateBundle(await s.file('no-bootstrap.zip', await validEntries(m)), {
      now: TEST_NOW,
    });
    expect(result.ok).toBe(true);
    const w = result.warnings.find((i) => i.code === 'HANDLER_FILE_NOT_FOUND');
    expect(w?.path).toBe('fn.zip');
    expect(w?.message).toContain('"bootstrap"');
  });

  it('accepts a manifest with a byte order mark, with a warning', async () => {
    const entries = await validEntries();
    entries[0] = {
      name: 'manifest.json',
      data: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(manifest()))]),
    };
    const result = await validateBundle(await s.file('bom.zip', entries), { now: TEST_NOW });
    expect(result.ok).toBe(true);
    expect(codes(result)).toContain('MANIFEST_BOM');
  });

  it('names the app of an invalid bundle when it can', async () => {
    const result = await validateBundle(
      await s.file(
        'named.zip',
        (await validEntries()).filter((e) => e.name !== 'fn.zip'),
      ),
      {
        now: TEST_NOW,
      },
    );
    expect(result).toMatchObject({ ok: false, appId: 'com.example.hello', version: '1.0.0' });
  });

  it('reports a duplicate entry once, not as a key collision too', async () => {
    const entries = [...(await validEntries()), { name: 'static/a.txt', data: 'again' }];
    const result = await validateBundle(await s.file('dup.zip', entries), { now: TEST_NOW });
    expect(codes(result).filter((c) => c !== 'DUPLICATE_ENTRY')).toEqual([]);
  });

  it('judges runtimes at the given date', async () => {
    const m = manifest({
      aws_lambda: [{ path: '/', name: 'fn', handler: 'index.handler', runtime: 'nodejs22.x' }],
    });
    const file = await s.file('dated.zip', await validEntries(m));
    expect((await validateBundle(file, { now: new Date('2027-01-01') })).ok).toBe(true);
    expect(codes(await validateBundle(file, { now: new Date('2027-05-01') }))).toContain(
      'RUNTIME_DEPRECATED',
    );
    expect(codes(await validateBundle(file, { now: new Date('2027-06-02') }))).toContain(
      'RUNTIME_CREATE_BLOCKED',
    );
  });

  it('refuses nonsense limits', async () => {
    await expect(validateBundle(path.join(s.dir, 'x.zip'), { limits: { maxEntries: 0 } })).rejects.toThrow(
      /maxEntries/,
    );
  });
});

describe('limits', () => {
  it('defaults to Lambda limits and documented caps', () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxManifestBytes: 1_048_576,
      maxFunctionZipBytes: 52_428_800,
      maxFunctionUnzippedBytes: 262_144_000,
      maxEntries: 10_000,
      maxFunctionEntries: 50_000,
      maxTotalUnzippedBytes: 1_073_741_824,
      maxCompressionRatio: 100,
      maxBundleBytes: 1_073_741_824,
      maxFunctions: 64,
      maxStaticFiles: 5_000,
    });
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });
});

describe('checkManifest', () => {
  it('reads both aws_lambda shapes the same way', () => {
    const fns = [{ path: '/', name: 'a b', handler: 'h', runtime: 'provided.al2023' }];
    const list = checkManifest(manifest({ aws_lambda: fns }), TEST_NOW);
    const object = checkManifest(manifest({ aws_lambda: { functions: fns } }), TEST_NOW);
    expect(list.issues).toEqual([]);
    expect(object.issues).toEqual([]);
    expect(list.functions.map((f) => [f.lambdaName, f.jsonPath])).toEqual([
      ['com-example-hello_1-0-0_a-b', '$.aws_lambda[0]'],
    ]);
    expect(object.functions.map((f) => [f.lambdaName, f.jsonPath])).toEqual([
      ['com-example-hello_1-0-0_a-b', '$.aws_lambda.functions[0]'],
    ]);
  });

  it('accepts calls as path strings or objects, and keeps unknown fields', () => {
    const r = checkManifest(
      manifest({
        bindings: '/bindings',
        on_install: { path: '/install', expand: { app: 'all' }, state: { x: 1 } },
        x_custom: [1],
      }),
      TEST_NOW,
    );
    expect(r.issues).toEqual([]);
  });

  it('uses JSON paths for keys that are not identifiers', () => {
    const r = checkManifest(manifest({ http: 'x', requested_locations: ['/ok', 'bad'] }), TEST_NOW);
    expect(r.issues.map((i) => i.path).sort()).toEqual(['$.http', '$.requested_locations[1]']);
  });
});

describe('BundleInvalidError', () => {
  it('lists the errors with their paths and carries every issue', () => {
    const issues: Issue[] = [
      { severity: 'error', code: 'MANIFEST_SCHEMA', path: '$.version', message: 'version must be ...' },
      { severity: 'warning', code: 'IGNORED_ENTRY', path: 'x', message: 'ignored' },
    ];
    const err = new BundleInvalidError('bundles/app_1.zip', issues);
    expect(err.code).toBe('BUNDLE_INVALID');
    expect(err.name).toBe('BundleInvalidError');
    expect(err.issues).toBe(issues);
    expect(err.message).toContain('bundles/app_1.zip');
    expect(err.message).toContain('$.version: version must be ... [MANIFEST_SCHEMA]');
    expect(err.message).not.toContain('ignored');
  });
});
