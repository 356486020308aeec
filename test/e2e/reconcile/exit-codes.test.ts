/**
 * DESIGN.md "Exit codes", each shown by the built CLI as a subprocess against the emulator (moto
 * server), with the fault proxy (test/support/fault-proxy.ts) where moto cannot produce the failure:
 *   2: no credentials, a bucket that does not exist, access denied on the deployer's own buckets —
 *      each message naming what to fix;
 *   4: an endpoint that refuses connections; 5xx or throttling after the SDK's retries, before any
 *      bundle work (APPS_DEPLOYER_AWS_MAX_ATTEMPTS bounds the retries so the tests stay fast);
 *   143: SIGTERM during a run stops it between writes; the next run completes the work.
 * And a permanent failure through the CLI: exit 1 once, 0 afterwards with a known failure in `plan`
 * and `status`, then `reconcile --retry-failed --only APP_ID`.
 * (A nonexistent file for validate/provision → 2 is in test/e2e/cli/offline-commands.test.ts.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { testClients, uniqueName } from '../../support/emulator';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy';
import {
  assertBuilt,
  assertI1,
  cli,
  e2eEnv,
  listKeys,
  makeApp,
  put,
  startCli,
  uniqueAppId,
  type App,
} from './support';

jest.setTimeout(180_000);

let s3: S3Client;
let lambda: LambdaClient;
let proxy: FaultProxy;
let emptyHome: string;

beforeAll(async () => {
  assertBuilt();
  ({ s3, lambda } = testClients());
  proxy = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL ?? '' });
  emptyHome = await mkdtemp(path.join(os.tmpdir(), 'exit-codes-home-'));
});
afterAll(async () => {
  s3.destroy();
  lambda.destroy();
  await proxy.close();
  await rm(emptyHome, { recursive: true, force: true });
});
afterEach(() => proxy.clearRules());

/** Two fast attempts per request: a failure after the SDK's retries arrives in well under a second. */
const FAST = { APPS_DEPLOYER_AWS_MAX_ATTEMPTS: '2' };

/** A 127.0.0.1 port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('exit 2: what the first AWS calls reveal about the configuration', () => {
  it('no credentials: names the variables to set, marks nothing', async () => {
    const env = await e2eEnv(FAST);
    const vars = { ...env.vars, HOME: emptyHome };
    delete (vars as Record<string, string | undefined>).AWS_ACCESS_KEY_ID;
    delete (vars as Record<string, string | undefined>).AWS_SECRET_ACCESS_KEY;
    const r = await cli(['reconcile'], vars);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CredentialsProviderError/);
    expect(r.stderr).toMatch(/AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/);
    expect(await listKeys(s3, env.appsBucket, 'deployer/')).toEqual([]);
  });

  it('a bucket that does not exist: names MM_APPS_S3_BUCKET / MM_APPS_RELEASE_BUCKET', async () => {
    const env = await e2eEnv(FAST);
    const missing = uniqueName('no-such-bucket');
    const apps = await cli(['reconcile'], { ...env.vars, MM_APPS_S3_BUCKET: missing });
    expect(apps.code).toBe(2);
    expect(apps.stderr).toContain('NoSuchBucket');
    expect(apps.stderr).toContain('MM_APPS_S3_BUCKET');
    // the release bucket is read by the listing, after the lock: still 2, the lock released
    const release = await cli(['reconcile'], { ...env.vars, MM_APPS_RELEASE_BUCKET: missing });
    expect(release.code).toBe(2);
    expect(release.stderr).toContain('MM_APPS_RELEASE_BUCKET');
    expect(await listKeys(s3, env.appsBucket, 'deployer/lock')).toEqual([]);
    // plan (no lock) says the same
    const plan = await cli(['plan'], { ...env.vars, MM_APPS_RELEASE_BUCKET: missing });
    expect(plan.code).toBe(2);
    expect(plan.stderr).toContain('NoSuchBucket');
  });

  it("access denied on the deployer's own buckets: names the permission to grant", async () => {
    const env = await e2eEnv(FAST);
    proxy.addRule({
      match: { service: 's3', bucket: env.appsBucket },
      action: {
        kind: 'error',
        status: 403,
        code: 'AccessDenied',
        message: `User: arn:aws:sts::123456789012:assumed-role/apps-deployer is not authorized to perform: s3:PutObject on resource: "arn:aws:s3:::${env.appsBucket}/deployer/lock"`,
      },
    });
    const r = await cli(['reconcile'], { ...env.vars, AWS_ENDPOINT_URL: proxy.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('AccessDenied');
    expect(r.stderr).toContain('s3:PutObject');
    expect(r.stderr).toContain('deploy/iam/deployer-policy.json');
    expect(proxy.count({ service: 's3', bucket: env.appsBucket })).toBeGreaterThan(0);
  });
});

describe('exit 4: AWS unavailable before any bundle work (the Job retries it)', () => {
  it('an endpoint that refuses connections', async () => {
    const env = await e2eEnv(FAST);
    const started = Date.now();
    const r = await cli(['reconcile'], {
      ...env.vars,
      AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('ECONNREFUSED');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it.each([
    ['5xx', 503, 'ServiceUnavailable'],
    ['throttling', 503, 'SlowDown'],
  ])('%s after the retries', async (_label, status, code) => {
    const env = await e2eEnv(FAST);
    proxy.addRule({ match: { service: 's3' }, action: { kind: 'error', status, code } });
    const before = proxy.count({ service: 's3', operation: 'PutObject', bucket: env.appsBucket });
    const r = await cli(['reconcile'], { ...env.vars, AWS_ENDPOINT_URL: proxy.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(code);
    // bounded: APPS_DEPLOYER_AWS_MAX_ATTEMPTS=2 → the lock's PutObject was sent twice
    expect(proxy.count({ service: 's3', operation: 'PutObject', bucket: env.appsBucket }) - before).toBe(2);
  });

  it('the listing failing after the lock is taken: exit 4 and the lock released', async () => {
    const env = await e2eEnv(FAST);
    proxy.addRule({
      match: { service: 's3', operation: 'ListObjectsV2' },
      action: { kind: 'error', status: 500, code: 'InternalError' },
    });
    const r = await cli(['reconcile'], { ...env.vars, AWS_ENDPOINT_URL: proxy.url });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('InternalError');
    expect(await listKeys(s3, env.appsBucket, 'deployer/lock')).toEqual([]);
  });
});

describe('exit 143: SIGTERM stops a run between writes', () => {
  it('stops, exits 143, and the next run completes the work', async () => {
    const env = await e2eEnv();
    const apps: App[] = [];
    for (let i = 0; i < 3; i++) {
      const app = await makeApp(uniqueAppId('term'), '1.0');
      await put(s3, env.releaseBucket, app.key, app.bytes);
      apps.push(app);
    }
    // slow Lambda down so that the signal arrives in the middle of the first bundle
    proxy.addRule({ match: { service: 'lambda' }, action: { kind: 'delay', ms: 400 } });
    const running = startCli(['reconcile', '--concurrency', '1'], {
      ...env.vars,
      AWS_ENDPOINT_URL: proxy.url,
    });
    const deadline = Date.now() + 60_000;
    while (proxy.count({ service: 'lambda', operation: 'CreateFunction' }) === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    running.child.kill('SIGTERM');
    const r = await running.done;
    expect(r.code).toBe(143);
    expect(r.stderr).toContain('SIGTERM: stopping after the current writes');
    // it stopped: not every app was published, nothing was marked failed, the lock is released
    const published = await listKeys(s3, env.appsBucket, 'manifests/');
    expect(published.length).toBeLessThan(apps.length);
    expect(
      (await listKeys(s3, env.appsBucket, 'deployer/seen/')).filter((k) => /\/failed-v/.test(k)),
    ).toEqual([]);
    expect(await listKeys(s3, env.appsBucket, 'deployer/lock')).toEqual([]);

    proxy.clearRules();
    const next = await cli(['reconcile'], env.vars);
    expect({ code: next.code, stderr: next.code === 0 ? '' : next.stderr }).toEqual({ code: 0, stderr: '' });
    for (const app of apps) await assertI1({ s3, lambda }, env.appsBucket, app);
  });
});

describe('a permanent failure through the CLI', () => {
  it('exit 1 once, then 0 with a known failure in plan and status; --retry-failed --only retries it', async () => {
    const env = await e2eEnv(FAST);
    const app = await makeApp(uniqueAppId('perm'), '1.0');
    await put(s3, env.releaseBucket, app.key, app.bytes);
    proxy.addRule({
      match: { service: 'lambda', operation: 'CreateFunction' },
      action: {
        kind: 'error',
        status: 400,
        code: 'InvalidParameterValueException',
        message: 'Unzipped size must be smaller than 262144000 bytes',
      },
    });
    const viaProxy = { ...env.vars, AWS_ENDPOINT_URL: proxy.url };
    const first = await cli(['reconcile', '--json'], viaProxy);
    expect(first.code).toBe(1);
    const report = JSON.parse(first.stdout) as { bundles: { outcome: Record<string, unknown> }[] };
    expect(report.bundles[0]?.outcome).toMatchObject({ status: 'failed', failureClass: 'permanent' });

    const second = await cli(['reconcile'], viaProxy);
    expect(second.code).toBe(0);
    const plan = await cli(['plan'], viaProxy);
    expect(plan.stdout).toContain('known failure');
    const status = await cli(['status', '--json'], viaProxy);
    const doc = JSON.parse(status.stdout) as { failed: { releaseKey: string; message?: string }[] };
    expect(doc.failed.map((f) => f.releaseKey)).toEqual([app.key]);
    // the listing names the verdict; `status APP_ID` reads the marker for AWS's reason
    const detailed = await cli(['status', app.appId, '--json'], viaProxy);
    const one = JSON.parse(detailed.stdout) as { failed: { releaseKey: string; message?: string }[] };
    expect(one.failed[0]?.message).toContain('Unzipped size must be smaller');

    proxy.clearRules();
    const retried = await cli(['reconcile', '--retry-failed', '--only', app.appId], viaProxy);
    expect({ code: retried.code, stderr: retried.code === 0 ? '' : retried.stderr }).toEqual({
      code: 0,
      stderr: '',
    });
    await assertI1({ s3, lambda }, env.appsBucket, app);
  });
});
