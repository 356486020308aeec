/**
 * A bundle equal in content to the upstream test bundle (mattermost-plugin-apps tests/test-bundle.zip),
 * with current runtimes, built here: the names, keys and manifest key must be upstream's.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import unzipper from 'unzipper';
import { normalizeManifest, terraformData, validateBundle, type Bundle } from '../../../src/bundle';
import { UPSTREAM_STATIC, upstreamLikeSpec, upstreamManifest } from '../../support/bundle-builder';
import { TEST_NOW, scratch, type Scratch } from './helpers';

describe('an upstream-like bundle', () => {
  let s: Scratch;
  let file: string;
  let bundle: Bundle;

  beforeAll(async () => {
    s = await scratch();
    file = await s.bundle('servicenow.zip', await upstreamLikeSpec());
    const result = await validateBundle(file, { now: TEST_NOW });
    if (!result.ok) throw new Error(`expected a valid bundle: ${JSON.stringify(result.errors, null, 2)}`);
    bundle = result.bundle;
  });
  afterAll(() => s.cleanup());

  it('has upstream Lambda names, with our sanitized long form', () => {
    expect(bundle.functions.map((f) => [f.name, f.lambdaName, f.longName])).toEqual([
      ['function1', 'com-mattermost-servicenow_0-1-0_function1', false],
      ['function2', 'com-mattermost-servicenow_0-1-0_function2', false],
      ['function with spaces', 'com-mattermost-servicenow_0-1-0_function-with-spaces', false],
      [
        'function-with-very-very-very-very-very-very-very-long-name',
        'com-mattermost-servicenow_0-1-0_95f51579baba92ea2a0a3ad98c24fcbc',
        true,
      ],
    ]);
  });

  it('has upstream static keys and manifest key', () => {
    expect(bundle.manifestKey).toBe('manifests/com.mattermost.servicenow_0.1.0.json');
    const keys = Object.fromEntries(bundle.assets.map((a) => [a.relPath, a.key]));
    expect(keys).toEqual({
      'photo.png': 'static/com.mattermost.servicenow_0.1.0_app/photo.png',
      'some.json': 'static/com.mattermost.servicenow_0.1.0_app/some.json',
      'static file with spaces.txt': 'static/com.mattermost.servicenow_0.1.0_app/static-file-with-spaces.txt',
      'static-file-with-very-very-very-very-very-very-very-very-long-name.txt':
        'static/com.mattermost.servicenow_0.1.0_app/static-file-with-very-very-very-very-very-very-very-very-long-name.txt',
      'text.txt': 'static/com.mattermost.servicenow_0.1.0_app/text.txt',
    });
    expect(bundle.assets).toHaveLength(UPSTREAM_STATIC.length);
    expect(bundle.assets.find((a) => a.relPath === 'some.json')?.contentType).toMatch(/^application\/json/);
    expect(bundle.assets.find((a) => a.relPath === 'photo.png')?.contentType).toBe('image/png');
  });

  it('warns about the long name, with the Apps plugin caveat', () => {
    const long = bundle.warnings.filter((w) => w.code === 'LONG_LAMBDA_NAME');
    expect(long).toHaveLength(1);
    expect(long[0]?.path).toBe('$.aws_lambda.functions[3].name');
    expect(long[0]?.message).toContain('v1.2.2');
    expect(long[0]?.message).toContain('com.mattermost.servicenow_0.1.0_95f51579baba92ea2a0a3ad98c24fcbc');
    expect(bundle.warnings.some((w) => w.severity !== 'warning')).toBe(false);
  });

  it('hashes the bundle, each function zip (CodeSha256 = base64) and each asset', async () => {
    const bytes = await readFile(file);
    expect(bundle.sha256Hex).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(bundle.size).toBe(bytes.length);
    const dir = await unzipper.Open.buffer(bytes);
    for (const f of bundle.functions) {
      const zipBytes = await dir.files.find((e) => e.path === f.entry)!.buffer();
      const digest = createHash('sha256').update(zipBytes).digest();
      expect(f.sha256Hex).toBe(digest.toString('hex'));
      expect(f.codeSha256).toBe(digest.toString('base64'));
      expect(f.size).toBe(zipBytes.length);
      expect(f.unzippedSize).toBeGreaterThan(0);
    }
    for (const a of bundle.assets) {
      const data = await dir.files.find((e) => e.path === a.entry)!.buffer();
      expect(a.sha256Hex).toBe(createHash('sha256').update(data).digest('hex'));
      expect(a.size).toBe(data.length);
    }
  });

  it('stores the manifest with aws_lambda in the object form, other fields as given', () => {
    expect(bundle.storedManifest).toEqual(upstreamManifest());
    expect(bundle.manifest).toEqual(upstreamManifest());
  });

  it('prints upstream-compatible terraform data', () => {
    const data = terraformData(bundle);
    expect(Object.keys(data)).toEqual(['static_files', 'lambda_functions', 'manifest_key']);
    expect(data.manifest_key).toBe('manifests/com.mattermost.servicenow_0.1.0.json');
    expect(data.lambda_functions['function with spaces']).toEqual({
      name: 'com-mattermost-servicenow_0-1-0_function-with-spaces',
      handler: 'mattermost-app-servicenow',
      runtime: 'provided.al2023',
    });
    expect(data.static_files['static file with spaces.txt']).toEqual({
      key: 'static/com.mattermost.servicenow_0.1.0_app/static-file-with-spaces.txt',
    });
    expect(Object.keys(data.lambda_functions)).toEqual([...Object.keys(data.lambda_functions)].sort());
  });

  it('accepts the list form of aws_lambda and normalizes it', async () => {
    const spec = await upstreamLikeSpec();
    const m = spec.manifest as Record<string, unknown>;
    const list = (m.aws_lambda as { functions: unknown[] }).functions;
    const listForm: Record<string, unknown> = { ...m, aws_lambda: list, extra_field: { kept: true } };
    spec.manifest = listForm;
    const result = await validateBundle(await s.bundle('list-form.zip', spec), { now: TEST_NOW });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.bundle.storedManifest.aws_lambda).toEqual({ functions: list });
    expect(result.bundle.storedManifest.extra_field).toEqual({ kept: true });
    expect(Object.keys(result.bundle.storedManifest)).toEqual(Object.keys(listForm));
    expect(normalizeManifest(listForm)).toEqual(result.bundle.storedManifest);
  });
});
