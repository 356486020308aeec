/**
 * The reconcile job as a library against the emulator (moto server): plan from listings, bounded
 * apply, markers, run record, exit codes, a second run that only lists, the lock, isolation.
 */
import { readdir } from 'node:fs/promises';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { validateBundle } from '../../../src/bundle';
import { ExitCode } from '../../../src/errors';
import { LockHeldError } from '../../../src/reconcile/errors';
import { nonCanonicalStem } from '../../../src/reconcile/markers';
import type { RunObserver } from '../../../src/reconcile/types';
import { VALIDATOR_VERSION } from '../../../src/reconcile/types';
import { bundleBuffer, simpleAppSpec } from '../../support/bundle-builder';
import { backendName, conditionalDeleteMode, testPorts } from '../../support/emulator';
import {
  envSuite,
  keys,
  markerKeys,
  outcomes,
  readJson,
  run,
  upload,
  uploadApp,
  uploadMultipart,
  uniqueAppId,
  type Env,
  PREFIX,
} from './support';

jest.setTimeout(180_000);

const suite = envSuite('reconcile-it-');
const env = (overrides = {}): Promise<Env> => suite.env(overrides);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reconcile (emulator)', () => {
  it('provisions new bundles, rejects bad ones with reasons, marks everything, then a second run only lists', async () => {
    // Prepare: 2 good apps, 1 invalid bundle, 1 non-canonical key, 1 bundle under another app's key
    const e = await env();
    const [a, b, c] = [uniqueAppId(), uniqueAppId(), uniqueAppId()];
    const good1 = await uploadApp(e, a, '1.0.0');
    const good2 = await uploadApp(e, b, '2.0');
    const badSpec = await simpleAppSpec(c, '1.0');
    (badSpec.manifest as { aws_lambda: { runtime: string }[] }).aws_lambda[0]!.runtime = 'go1.x';
    const bad = await uploadApp(e, c, '1.0', badSpec);
    await upload(
      e,
      `${PREFIX}not-canonical.zip`,
      await bundleBuffer(await simpleAppSpec(uniqueAppId(), '1.0')),
    );
    const mismatchKey = `${PREFIX}${uniqueAppId()}_9.9.zip`;
    await upload(e, mismatchKey, await bundleBuffer(await simpleAppSpec(uniqueAppId(), '1.0')));
    const seen: string[] = [];
    const observer: RunObserver = {
      planned: (p) => void seen.push(`planned:${p.items.length}`),
      bundleDone: (r) => void seen.push(`done:${r.outcome.status}`),
      runDone: (r) => void seen.push(`run:${r.exitCode}`),
    };
    const broken: RunObserver = {
      bundleStarted: () => {
        throw new Error('observer bug');
      },
      runDone: async () => Promise.reject(new Error('observer bug')),
    };

    // Act
    const first = await run(e, { observers: [broken, observer], concurrency: 2 });

    // Assess: outcomes and exit code
    expect(outcomes(first)).toEqual({
      [good1.key]: 'provisioned',
      [good2.key]: 'provisioned',
      [bad.key]: 'rejected',
      [`${PREFIX}not-canonical.zip`]: 'rejected',
      [mismatchKey]: 'rejected',
    });
    expect(first.report.exitCode).toBe(ExitCode.Failed);
    const rejected = first.report.bundles.find((r) => r.releaseKey === bad.key)!.outcome;
    expect(rejected.status === 'rejected' && rejected.issues.some((i) => /go1\.x/.test(i.message))).toBe(
      true,
    );
    const mismatch = first.report.bundles.find((r) => r.releaseKey === mismatchKey)!.outcome;
    expect(mismatch.status === 'rejected' && mismatch.issues[0]?.code).toBe('RELEASE_KEY_MISMATCH');
    // observers: in order, and a throwing one changed nothing
    expect(seen[0]).toBe('planned:5');
    expect(seen.filter((s) => s.startsWith('done:'))).toHaveLength(5);
    expect(seen.at(-1)).toBe('run:1');

    // Assess: AWS state
    expect(await keys(e, 'manifests/')).toEqual(
      [`manifests/${a}_1.0.0.json`, `manifests/${b}_2.0.json`].sort(),
    );
    await suite.lambda.send(new GetFunctionCommand({ FunctionName: `${a.replace(/\./g, '-')}_1-0-0_fn0` }));
    const markers = await markerKeys(e);
    expect(markers).toHaveLength(5);
    expect(markers).toContain(
      `deployer/seen/${a}_1.0.0/${good1.etag.replace(/"/g, '')}/provisioned-v${VALIDATOR_VERSION}`,
    );
    expect(markers).toContain(
      `deployer/seen/${nonCanonicalStem(`${PREFIX}not-canonical.zip`)}/` +
        `${(await e.s3.send(new HeadObjectCommand({ Bucket: e.releaseBucket, Key: `${PREFIX}not-canonical.zip` }))).ETag!.replace(/"/g, '')}/rejected-v${VALIDATOR_VERSION}`,
    );
    const badMarker = markers.find((k) => k.includes(`${c}_1.0/`))!;
    expect(await readJson(e, badMarker)).toMatchObject({
      outcome: 'rejected',
      releaseKey: bad.key,
      runId: first.report.runId,
    });
    // the run record and no lock left
    const runs = await keys(e, 'deployer/runs/');
    expect(runs).toEqual([first.report.recordKey]);
    expect(await readJson(e, runs[0]!)).toMatchObject({ runId: first.report.runId, exitCode: 1 });
    expect(await keys(e, 'deployer/lock')).toEqual([]);
    // temp files removed
    expect(await readdir(suite.dir)).toEqual([]);

    // Act: a second run
    const ports = testPorts();
    const second = await run(e, {}, { ports });

    // Assess: nothing to do, known rejections are not failures, only listings + lock + run record
    expect(second.report.exitCode).toBe(ExitCode.Ok);
    // report v2: unchanged bundles are counted, not listed
    expect(outcomes(second)).toEqual({});
    expect(second.report.counts).toEqual({ skipped: 5 });
    expect(second.report.unchanged).toEqual({
      'up-to-date': 2,
      'known-rejection': 2,
      'known-non-canonical': 1,
    });
    expect(second.plan?.counts).toEqual({ 'up-to-date': 2, 'known-rejection': 2, 'known-non-canonical': 1 });
    // the lock's release: DeleteObject If-Match (AWS, moto), or on a 501 (LocalStack 4.14) the
    // emulator fallback: read, compare the ETag, delete
    const mode = await conditionalDeleteMode();
    console.log(`second run's requests on ${backendName()}: conditional DeleteObject ${mode}`);
    // the report (= the run record) counts up to the record: the listings and the lock's put
    expect(second.report.requests).toEqual({ 'S3.ListObjectsV2': 3, 'S3.PutObject': 1 });
    // everything the run sent: the record's own write and the lock's release after it
    expect(ports.requests.snapshot()).toEqual({
      'S3.ListObjectsV2': 3,
      'S3.PutObject': 2,
      ...(mode === 'native' ? { 'S3.DeleteObject': 1 } : { 'S3.DeleteObject': 2, 'S3.HeadObject': 1 }),
    });
  });

  it('recognizes an identical re-upload, marks other bytes as a conflict, and redeploys with --replace', async () => {
    const e = await env();
    const app = uniqueAppId();
    const v1 = await uploadApp(e, app, '1.0');
    expect(outcomes(await run(e))).toEqual({ [v1.key]: 'provisioned' });
    const manifestKey = `manifests/${app}_1.0.json`;
    const manifestBefore = await e.s3.send(new HeadObjectCommand({ Bucket: e.appsBucket, Key: manifestKey }));

    // the same bytes uploaded again as a new object (another ETag): downloaded, hashed, recognized
    const etag2 = await uploadMultipart(e, v1.key, v1.bytes);
    expect(etag2).not.toBe(v1.etag);
    const again = await run(e);
    expect(again.plan?.items[0]?.action).toBe('check-reupload');
    expect(outcomes(again)).toEqual({ [v1.key]: 'identical' });
    expect(again.report.exitCode).toBe(ExitCode.Ok);
    expect(again.report.requests['Lambda.CreateFunction']).toBeUndefined();
    // and known from then on
    expect((await run(e)).plan?.items[0]?.action).toBe('up-to-date');

    // other bytes under the same version → conflict, nothing overwritten
    const other = await bundleBuffer(await simpleAppSpec(app, '1.0', { body: 'changed' }));
    await upload(e, v1.key, other);
    const conflict = await run(e);
    expect(outcomes(conflict)).toEqual({ [v1.key]: 'conflict' });
    expect(conflict.report.exitCode).toBe(ExitCode.Failed);
    const manifestAfter = await e.s3.send(new HeadObjectCommand({ Bucket: e.appsBucket, Key: manifestKey }));
    expect(manifestAfter.ETag).toBe(manifestBefore.ETag);
    expect(manifestAfter.Metadata?.['bundle-sha256']).toBe(manifestBefore.Metadata?.['bundle-sha256']);
    // known afterwards: exit 0, nothing downloaded
    const known = await run(e);
    expect(known.plan?.items[0]?.action).toBe('known-conflict');
    expect(known.report.exitCode).toBe(ExitCode.Ok);

    // --replace redeploys the new bytes
    const replaced = await run(e, { replace: true });
    expect(outcomes(replaced)).toEqual({ [v1.key]: 'provisioned' });
    const manifestNew = await e.s3.send(new HeadObjectCommand({ Bucket: e.appsBucket, Key: manifestKey }));
    expect(manifestNew.Metadata?.['bundle-sha256']).not.toBe(manifestBefore.Metadata?.['bundle-sha256']);
    // the old bytes' "provisioned" marker is gone: re-uploading them is a conflict again, not up to date
    await upload(e, v1.key, v1.bytes);
    const back = await run(e);
    expect(back.plan?.items[0]?.action).toBe('check-reupload');
    expect(outcomes(back)).toEqual({ [v1.key]: 'conflict' });
  });

  it('reports a name collision with another app once, then knows it (no download, exit 0)', async () => {
    // Prepare: "<x>.app" and "<x>-app" both map to the Lambda name "<x>-app_1-0_fn0"
    const e = await env();
    const base = uniqueAppId().replace(/\.app$/, '');
    const first = await uploadApp(e, `${base}.app`, '1.0');
    // both apps provisioned in one run, before either had a manifest: the squatting rule (a NEW app id
    // against provisioned ones, test/integration/publish) does not apply, Lambda's ownership tags do
    const older = await uploadApp(e, `${base}-app`, '0.9');
    expect(outcomes(await run(e))).toEqual({ [first.key]: 'provisioned', [older.key]: 'provisioned' });
    const second = await uploadApp(e, `${base}-app`, '1.0');

    // Act: the run that finds the collision, then the next one
    const found = await run(e);
    const ports = testPorts();
    const later = await run(e, {}, { ports });

    // Assess: reported (exit 1) once; later known, without a download, exit 0; the first app untouched
    expect(outcomes(found)).toEqual({ [second.key]: 'conflict' });
    expect(found.report.unchanged).toEqual({ 'up-to-date': 2 }); // both apps, provisioned together first
    expect(found.report.exitCode).toBe(ExitCode.Failed);
    expect(found.report.bundles.find((b) => b.releaseKey === second.key)?.outcome).toMatchObject({
      message: expect.stringContaining(second.key),
    });
    expect(later.report.exitCode).toBe(ExitCode.Ok);
    expect(later.plan?.items.find((i) => i.releaseKey === second.key)?.action).toBe('known-conflict');
    expect(ports.requests.snapshot()['S3.GetObject']).toBeUndefined();
    expect(await keys(e, 'manifests/')).toEqual([
      `manifests/${base}-app_0.9.json`,
      `manifests/${base}.app_1.0.json`,
    ]);
  });

  it('judges a re-upload whose manifest exists but whose ETag was never judged (crash before the marker)', async () => {
    const e = await env();
    const app = uniqueAppId();
    const v = await uploadApp(e, app, '3.0');
    await run(e);
    // the marker is lost (as if the run died right after writing the manifest)
    const marker = (await markerKeys(e))[0]!;
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await e.s3.send(new DeleteObjectCommand({ Bucket: e.appsBucket, Key: marker }));
    const next = await run(e);
    expect(next.plan?.items[0]?.action).toBe('check-reupload');
    expect(outcomes(next)).toEqual({ [v.key]: 'identical' });
    expect(next.report.exitCode).toBe(ExitCode.Ok);
    expect(next.report.requests['Lambda.CreateFunction']).toBeUndefined();
    expect(await markerKeys(e)).toEqual([marker.replace(/provisioned-v/, 'identical-v')]);
  });

  it('lets one of two simultaneous runs work; the other exits 3 having done nothing', async () => {
    const e = await env();
    const v = await uploadApp(e, uniqueAppId(), '1.0');
    const results = await Promise.allSettled([run(e), run(e)]);
    const done = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(done).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(LockHeldError);
    expect((refused[0]!.reason as LockHeldError).exitCode).toBe(ExitCode.Locked);
    expect(outcomes((done[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof run>>>).value)).toEqual({
      [v.key]: 'provisioned',
    });
    expect(await keys(e, 'deployer/runs/')).toHaveLength(1);
  });

  it('stops every write when the lock renewal fails (another run took the lock)', async () => {
    // Prepare: TTL 3 s (renewal every second), 3 bundles, one at a time
    const e = await env({ lockTtlSeconds: 3 });
    const apps = [uniqueAppId(), uniqueAppId(), uniqueAppId()];
    for (const app of apps) await uploadApp(e, app, '1.0');
    let stolen = false;
    const validate = async (file: string) => {
      if (!stolen) {
        stolen = true;
        // another deployer takes the lock while this run validates its first bundle
        const body = {
          runId: 'intruder',
          host: 'elsewhere',
          pid: 7,
          startedAt: new Date().toISOString(),
          ttlSeconds: 300,
        };
        await e.s3.send(
          new PutObjectCommand({ Bucket: e.appsBucket, Key: 'deployer/lock', Body: JSON.stringify(body) }),
        );
        await sleep(2_000); // the next renewal finds it
      }
      return validateBundle(file);
    };

    // Act
    const result = await run(e, { concurrency: 1 }, { validate });

    // Assess: nothing written after the loss, every bundle failed (retried next run), run error LOCK_LOST
    expect(result.report.bundles).toHaveLength(3);
    expect(
      result.report.bundles.every((b) => b.outcome.status === 'failed' && b.outcome.code === 'LOCK_LOST'),
    ).toBe(true);
    expect(result.report.error?.code).toBe('LOCK_LOST');
    expect(result.report.exitCode).toBe(ExitCode.Failed);
    expect(await keys(e, 'manifests/')).toEqual([]);
    expect(await markerKeys(e)).toEqual([]);
    expect(await keys(e, 'static/')).toEqual([]);
    expect((await readJson(e, 'deployer/lock')).runId).toBe('intruder');
    expect(result.report.requests['Lambda.CreateFunction']).toBeUndefined();
  });

  it('plans without the lock or any write in a dry run, and limits a run to one app with --only', async () => {
    const e = await env();
    const [a, b] = [uniqueAppId(), uniqueAppId()];
    const va = await uploadApp(e, a, '1.0');
    await uploadApp(e, b, '1.0');
    const ports = testPorts();
    const dry = await run(e, { dryRun: true }, { ports });
    expect(dry.plan?.counts).toEqual({ provision: 2 });
    expect(dry.report).toMatchObject({ dryRun: true, exitCode: 0, bundles: [] });
    expect(ports.requests.snapshot()).toEqual({ 'S3.ListObjectsV2': 3 });
    const only = await run(e, { only: a });
    expect(outcomes(only)).toEqual({ [va.key]: 'provisioned' });
    expect(await keys(e, 'manifests/')).toEqual([`manifests/${a}_1.0.json`]);
  });
});
