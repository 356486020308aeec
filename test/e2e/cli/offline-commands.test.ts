/**
 * The built CLI as a subprocess, for what needs no AWS: --help on every command, usage errors,
 * configuration errors, `validate` and `generate-terraform-data` on good, bad and missing bundles.
 */
import path from 'node:path';
import { functionZip, tempDir, upstreamLikeSpec, writeBundle } from '../../support/bundle-builder';
import { assertBuilt, cli } from '../reconcile/support';

jest.setTimeout(60_000);

const COMMANDS = [
  'validate',
  'generate-terraform-data',
  'provision',
  'reconcile',
  'plan',
  'upload',
  'status',
  'unlock',
];

describe('apps-deployer without AWS', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let good: string;
  let bad: string;
  const missing = (): string => path.join(dir, 'no-such-bundle.zip');

  beforeAll(async () => {
    assertBuilt();
    ({ dir, cleanup } = await tempDir('cli-offline-'));
    good = await writeBundle(path.join(dir, 'good.zip'), await upstreamLikeSpec());
    // a manifest with a creation-blocked runtime and a function without its zip
    const spec = await upstreamLikeSpec({
      aws_lambda: {
        functions: [
          { path: '/', name: 'function1', handler: 'index.handler', runtime: 'nodejs14.x' },
          { path: '/x', name: 'ghost', handler: 'index.handler', runtime: 'nodejs24.x' },
        ],
      },
    });
    spec.functions = { 'function1.zip': await functionZip() };
    bad = await writeBundle(path.join(dir, 'bad.zip'), spec);
  });
  afterAll(() => cleanup());

  it.each(COMMANDS)('%s --help exits 0 and describes the command', async (command) => {
    const r = await cli([command, '--help'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: apps-deployer ${command}`);
    expect(r.stdout).toContain('--help');
  });

  it('top-level --help lists every command and the exit codes', async () => {
    const r = await cli(['--help'], {});
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(
      /Exit codes: 0 .* 3 another run holds the lock.*4 AWS unavailable.*143 stopped by SIGTERM/s,
    );
  });

  it('usage errors exit 2', async () => {
    expect((await cli(['validate'], {})).code).toBe(2);
    expect((await cli(['no-such-command'], {})).code).toBe(2);
    expect((await cli(['reconcile', '--only', 'a/b'], {})).code).toBe(2);
  });

  it('bad configuration: one message naming every problem, exit 2, before any AWS call', async () => {
    const r = await cli(['status'], {
      MM_APPS_S3_BUCKET: 'Not_A_Bucket',
      APPS_DEPLOYER_CONCURRENCY: 'many',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9', // nothing listens: a request would fail differently
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('MM_APPS_S3_BUCKET');
    expect(r.stderr).toContain('APPS_DEPLOYER_CONCURRENCY must be a whole number');
  });

  it('validate: 0 for a valid bundle, 1 when any is invalid, each named', async () => {
    const ok = await cli(['validate', good], {});
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('OK com.mattermost.servicenow 0.1.0');

    const r = await cli(['validate', good, bad], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${bad}: INVALID`);
    expect(r.stdout).toMatch(/nodejs14\.x.*2024-01-09.*nodejs24\.x/);
    expect(r.stdout).toContain('"ghost"');
  });

  it('validate and provision: a nonexistent file is a usage error, exit 2, naming the file', async () => {
    const v = await cli(['validate', good, missing()], {});
    expect(v.code).toBe(2);
    expect(v.stderr).toContain(`${missing()}: no such file`);
    expect(v.stdout).toBe('');
    // provision checks the file before its configuration and before any AWS call
    const p = await cli(['provision', missing()], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(p.code).toBe(2);
    expect(p.stderr).toContain(`${missing()}: no such file`);
  });

  it('validate --json: one document with every bundle, errors with their JSON paths', async () => {
    const r = await cli(['validate', '--json', good, bad], {});
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { validateVersion: number; bundles: { file: string; ok: boolean }[] };
    expect(doc.validateVersion).toBe(1);
    expect(doc.bundles.map((b) => [b.file, b.ok])).toEqual([
      [good, true],
      [bad, false],
    ]);
    const text = JSON.stringify(doc);
    expect(text).toContain('$.aws_lambda.functions[0].runtime');
    expect(text).toContain('RUNTIME_CREATE_BLOCKED');
  });

  it('generate-terraform-data: the upstream-compatible names for a valid bundle', async () => {
    const r = await cli(['generate-terraform-data', good], {});
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as {
      static_files: Record<string, { key: string }>;
      lambda_functions: Record<string, { name: string; handler: string; runtime: string }>;
      manifest_key: string;
    };
    expect(data.manifest_key).toBe('manifests/com.mattermost.servicenow_0.1.0.json');
    expect(data.lambda_functions['function with spaces']?.name).toBe(
      'com-mattermost-servicenow_0-1-0_function-with-spaces',
    );
    expect(data.lambda_functions['function-with-very-very-very-very-very-very-very-long-name']?.name).toBe(
      'com-mattermost-servicenow_0-1-0_95f51579baba92ea2a0a3ad98c24fcbc',
    );
    expect(data.static_files['static file with spaces.txt']?.key).toBe(
      'static/com.mattermost.servicenow_0.1.0_app/static-file-with-spaces.txt',
    );
  });

  it('generate-terraform-data: exit 1 with the errors on stderr for an invalid bundle', async () => {
    const r = await cli(['generate-terraform-data', bad], {});
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('nodejs14.x');
  });
});
