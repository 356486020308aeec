/**
 * `apps-deployer unlock` end to end (the built CLI as a subprocess against the test backend): a
 * missing apps bucket is a configuration error, not "no lock"; a wrong --etag is refused before any
 * warning about the live lock; --etag with --yes is a usage error; the right ETag removes a live lock
 * with a warning.
 */
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { uniqueName } from '../../support/emulator';
import { builtCliSuite, cli, e2eEnv, listKeys } from '../reconcile/support';

jest.setTimeout(60_000);
const clients = builtCliSuite();

async function putLiveLock(bucket: string): Promise<string> {
  const body = JSON.stringify({
    runId: 'run-e2e-unlock',
    host: 'some-pod',
    pid: 4242,
    startedAt: new Date().toISOString(),
    ttlSeconds: 600,
  });
  const put = await clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: 'deployer/lock', Body: body, IfNoneMatch: '*' }),
  );
  return (put.ETag ?? '').replace(/"/g, '');
}

describe('apps-deployer unlock', () => {
  it('fails with exit 2 naming MM_APPS_S3_BUCKET when the apps bucket does not exist', async () => {
    const env = await e2eEnv({ MM_APPS_S3_BUCKET: uniqueName('no-such-bucket') });
    const r = await cli(['unlock'], env.vars);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/no lock/);
    expect(r.stderr).toMatch(/apps bucket \S+ does not exist/);
    expect(r.stderr).toContain('MM_APPS_S3_BUCKET');
  });

  it('says "no lock" and exits 0 when the apps bucket has none', async () => {
    const env = await e2eEnv();
    const r = await cli(['unlock'], env.vars);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^no lock: s3:\/\/\S+\/deployer\/lock does not exist$/m);
  });

  it('refuses --etag together with --yes (exit 2) and changes nothing', async () => {
    const env = await e2eEnv();
    const etag = await putLiveLock(env.appsBucket);
    const r = await cli(['unlock', '--yes', '--etag', etag], env.vars);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--yes.*cannot be used with.*--etag|--etag.*cannot be used with.*--yes/);
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/lock')).toEqual(['deployer/lock']);
  });

  it('refuses a wrong --etag (exit 1) without warning that the lock is live', async () => {
    const env = await e2eEnv();
    const etag = await putLiveLock(env.appsBucket);
    const r = await cli(['unlock', '--etag', '0123456789abcdef0123456789abcdef'], env.vars);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/this lock is live/);
    expect(r.stderr).toMatch(/is not the one shown \(expected ETag 0123456789abcdef0123456789abcdef, found /);
    expect(r.stderr).toContain(etag);
    expect(r.stdout).not.toMatch(/lock removed/);
    const still = await clients.s3.send(
      new HeadObjectCommand({ Bucket: env.appsBucket, Key: 'deployer/lock' }),
    );
    expect(still.ETag?.replace(/"/g, '')).toBe(etag);
  });

  it('removes a live lock with its ETag, warning that it is live', async () => {
    const env = await e2eEnv();
    const etag = await putLiveLock(env.appsBucket);
    const shown = await cli(['unlock'], env.vars);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`unlock --etag ${etag}`);
    expect(shown.stdout).toMatch(/held by\s+run run-e2e-unlock on some-pod \(pid 4242\)/);
    const r = await cli(['unlock', '--etag', etag], env.vars);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: this lock is live/);
    expect(r.stdout).toContain(`lock removed (ETag ${etag})`);
    expect(await listKeys(clients.s3, env.appsBucket, 'deployer/lock')).toEqual([]);
  });
});
