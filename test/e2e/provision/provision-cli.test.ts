/**
 * `apps-deployer provision` end to end: the built CLI (dist/cli/main.js, `npm run build`) as a
 * subprocess against the test backend (moto server), with good and bad bundles.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { validateBundle } from '../../../src/bundle';
import type { ProvisionPlan, ProvisionResult } from '../../../src/provision/types';
import {
  tempDir,
  upstreamLikeSpec,
  upstreamManifest,
  writeBundle,
  type BundleSpec,
} from '../../support/bundle-builder';
import { testClients, uniqueBucket, uniqueName } from '../../support/emulator';
import { startHttpReceiver } from '../../support/http-receiver';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const SECRET = 'e2e-secret-key-do-not-log-3f9a';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      CLI,
      args,
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, timeout: 150_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('apps-deployer provision (built CLI, subprocess)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Record<string, string>;
  let bucket: string;
  const clients = testClients();
  const appId = `e2e-${uniqueName('a').slice(-12)}`.replace(/[^A-Za-z0-9.-]/g, '-');

  beforeAll(async () => {
    if (!existsSync(CLI))
      throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run test:e2e does)`);
    ({ dir, cleanup } = await tempDir('provision-e2e-'));
    bucket = await uniqueBucket('e2e');
    env = {
      AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? '',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      APPS_PROVISION_AWS_ACCESS_KEY: 'testing',
      APPS_PROVISION_AWS_SECRET_KEY: SECRET,
      MM_APPS_S3_BUCKET: bucket,
      APPS_DEPLOYER_EXECUTE_ROLE: uniqueName('e2e-role'),
      APPS_DEPLOYER_INVOKE_POLICY: uniqueName('e2e-invoke'),
      APPS_DEPLOYER_INVOKE_GROUP: uniqueName('e2e-group'),
      APPS_DEPLOYER_LOG_LEVEL: 'debug',
    };
  });
  afterAll(async () => {
    await cleanup();
    clients.s3.destroy();
    clients.lambda.destroy();
  });

  const bundleFile = async (name: string, spec: BundleSpec): Promise<string> =>
    writeBundle(path.join(dir, `${name}.zip`), spec);

  it('provisions a good bundle, then finds nothing to do; never logs the secret', async () => {
    // Prepare
    const file = await bundleFile('good', await upstreamLikeSpec({ app_id: appId }));
    const validated = await validateBundle(file);
    if (!validated.ok) throw new Error('test bundle invalid');

    // Act
    const first = await cli(['provision', file, '--json'], env);
    const second = await cli(['provision', file, '--json'], env);

    // Assess
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.stdout) as ProvisionResult & { provisionVersion: number };
    expect(r1.provisionVersion).toBe(1);
    expect(r1.status).toBe('provisioned');
    expect(r1.functions.map((f) => f.outcome)).toEqual(['created', 'created', 'created', 'created']);
    expect(r1.assets).toHaveLength(5);
    for (const fn of validated.bundle.functions) {
      const got = await clients.lambda.send(new GetFunctionCommand({ FunctionName: fn.lambdaName }));
      expect(got.Configuration?.CodeSha256).toBe(fn.codeSha256);
    }
    await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: validated.bundle.manifestKey }));

    expect(second.code).toBe(0);
    const r2 = JSON.parse(second.stdout) as ProvisionResult;
    expect(r2.status).toBe('already-provisioned');
    expect([...r2.functions, ...r2.assets].every((x) => x.outcome === 'unchanged')).toBe(true);

    // the JSON log lines on stderr carry run id and app id, and never the secret
    const logLines = first.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logLines.some((l) => l.appId === appId && typeof l.runId === 'string')).toBe(true);
    for (const out of [first, second]) {
      expect(out.stdout + out.stderr).not.toContain(SECRET);
    }
  });

  it('prints a human summary without --json', async () => {
    const file = await bundleFile('human', await upstreamLikeSpec({ app_id: `${appId}h` }));
    const run = await cli(['provision', file], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^provisioned .+h 0\.1\.0 \(manifests\/.+\.json\)/);
    expect(run.stdout).toContain('functions: 4 created, 0 updated, 0 unchanged');
    expect(run.stdout).toContain('assets:    5 created, 0 updated, 0 unchanged');
  });

  it('rejects an invalid bundle with every issue, exit 1, and sends no AWS request', async () => {
    // Prepare: a bundle the validator refuses (blocked runtime, missing function zip); a recording endpoint
    const spec = await upstreamLikeSpec({ app_id: `${appId}x` });
    delete spec.functions?.['function2.zip'];
    const manifest = upstreamManifest({ app_id: `${appId}x` });
    (manifest.aws_lambda as { functions: { runtime: string }[] }).functions[0]!.runtime = 'go1.x';
    spec.manifest = manifest;
    const file = await bundleFile('bad', spec);
    const recorder = await startHttpReceiver();

    // Act
    const run = await cli(['provision', file], { ...env, AWS_ENDPOINT_URL: recorder.url });
    await recorder.close();

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('INVALID, nothing provisioned');
    expect(run.stderr).toContain('go1.x');
    expect(run.stderr).toContain('function2');
    expect(recorder.requests).toHaveLength(0);
  });

  it('exits 2 with one clear message on bad configuration', async () => {
    const file = await bundleFile('cfg', await upstreamLikeSpec({ app_id: `${appId}c` }));
    const run = await cli(['provision', file], {
      ...env,
      MM_APPS_S3_BUCKET: 'Not_A_Bucket',
      APPS_PROVISION_AWS_SECRET_KEY: '',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('MM_APPS_S3_BUCKET');
    expect(run.stderr).toContain('APPS_PROVISION_AWS_ACCESS_KEY');
  });

  it('refuses other code for a provisioned version (exit 1), then replaces it with --update', async () => {
    // Prepare
    const id = `${appId}u`;
    const v1 = await bundleFile('v1', await upstreamLikeSpec({ app_id: id }, 'one'));
    const v1b = await bundleFile('v1b', await upstreamLikeSpec({ app_id: id }, 'two'));
    const changed = await validateBundle(v1b);
    if (!changed.ok) throw new Error('test bundle invalid');
    expect((await cli(['provision', v1], env)).code).toBe(0);

    // Act
    const conflict = await cli(['provision', v1b], env);
    const dryRun = await cli(['provision', v1b, '--update', '--dry-run', '--json'], env);
    const update = await cli(['provision', v1b, '--update', '--json'], env);

    // Assess
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain('versions are immutable');
    expect(conflict.stderr).toContain('--update');
    expect(dryRun.code).toBe(0);
    const plan = JSON.parse(dryRun.stdout) as ProvisionPlan & { provisionVersion: number };
    expect(plan.provisionVersion).toBe(1);
    expect(plan.manifest).toBe('replace');
    expect(plan.functions.map((f) => f.action)).toEqual(['update', 'update', 'update', 'update']);
    expect(update.code).toBe(0);
    expect((JSON.parse(update.stdout) as ProvisionResult).status).toBe('provisioned');
    for (const fn of changed.bundle.functions) {
      const got = await clients.lambda.send(new GetFunctionCommand({ FunctionName: fn.lambdaName }));
      expect(got.Configuration?.CodeSha256).toBe(fn.codeSha256);
    }
  });

  it('takes the reconcile lock: exit 3 and nothing written while another run holds it', async () => {
    // Prepare: a live lock held by a reconcile run
    const file = await bundleFile('locked', await upstreamLikeSpec({ app_id: `${appId}l` }));
    const validated = await validateBundle(file);
    if (!validated.ok) throw new Error('test bundle invalid');
    const lock = {
      runId: 'reconcile-run',
      host: 'cronjob-pod',
      pid: 1,
      startedAt: new Date().toISOString(),
      ttlSeconds: 300,
    };
    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'deployer/lock', Body: JSON.stringify(lock) }),
    );

    // Act
    const run = await cli(['provision', file], env);
    await clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'deployer/lock' }));

    // Assess
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('reconcile-run');
    await expect(
      clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: validated.bundle.manifestKey })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('--dry-run writes nothing', async () => {
    const file = await bundleFile('dry', await upstreamLikeSpec({ app_id: `${appId}d` }));
    const run = await cli(['provision', file, '--dry-run'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('nothing was written');
    expect(run.stdout).toContain('manifest: create');
    const validated = await validateBundle(file);
    if (!validated.ok) throw new Error('test bundle invalid');
    await expect(
      clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: validated.bundle.manifestKey })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});
