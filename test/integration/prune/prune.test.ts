/**
 * `prune` as a library against the emulator: the plan (dry run: reads only), retirements in the safe
 * order (markers, manifest, functions, assets), reconcile afterwards leaving retired versions alone
 * while their release bundles are still listed, the pin list, status, and the retention of run
 * records and staged code.
 */
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { silentLogger } from '../../../src/log';
import { prune, type PruneOptions } from '../../../src/prune';
import { MAX_READ_BYTES } from '../../../src/prune/retire';
import { markerKey } from '../../../src/reconcile/markers';
import { getStatus } from '../../../src/status';
import { testPorts } from '../../support/emulator';
import {
  envSuite,
  keys,
  lambdaName,
  markerKeys,
  run,
  uploadApp,
  uniqueAppId,
  withConfig,
  type Env,
} from '../reconcile/support';

jest.setTimeout(240_000);

const suite = envSuite('prune-it-');

async function functionExists(name: string): Promise<boolean> {
  try {
    await suite.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    return true;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return false;
    throw err;
  }
}

const VERSIONS = ['1.0.0', '1.2.0', '2.0.0'];

/** An app with three provisioned versions. */
async function threeVersions(): Promise<{ e: Env; app: string }> {
  const e = await suite.env();
  const app = uniqueAppId('p');
  for (const v of VERSIONS) await uploadApp(e, app, v);
  const first = await run(e);
  expect(first.report.exitCode).toBe(0);
  expect(await keys(e, 'manifests/')).toHaveLength(3);
  return { e, app };
}

function pruneRun(e: Env, options: PruneOptions) {
  return prune(
    { ports: testPorts(), config: e.config, logger: silentLogger() },
    { tmpRoot: suite.dir, ...options },
  );
}

describe('prune (emulator)', () => {
  it('dry run lists the two old versions and writes nothing; --apply retires them; reconcile leaves them retired', async () => {
    const { e, app } = await threeVersions();
    const before = [...(await keys(e, '')), ...(await markerKeys(e))];

    const plan = await pruneRun(e, { keep: 1, olderThanDays: 0 });
    expect(plan.dryRun).toBe(true);
    expect(plan.exitCode).toBe(0);
    const acting = plan.versions.filter((v) => v.action === 'retire').map((v) => v.version);
    expect(acting.sort()).toEqual(['1.0.0', '1.2.0']);
    expect(plan.versions.find((v) => v.version === '2.0.0')?.action).toBe('keep');
    expect(Object.keys(plan.requests).filter((op) => /Put|Delete/.test(op))).toEqual([]);
    expect([...(await keys(e, '')), ...(await markerKeys(e))]).toEqual(before);

    const applied = await pruneRun(e, { keep: 1, olderThanDays: 0, apply: true });
    expect(applied.exitCode).toBe(0);
    expect(
      applied.retired?.map((r) => [r.version, r.status, r.functionsDeleted.length, r.assetsDeleted]).sort(),
    ).toEqual([
      ['1.0.0', 'retired', 1, 1],
      ['1.2.0', 'retired', 1, 1],
    ]);
    expect(await keys(e, 'manifests/')).toEqual([`manifests/${app}_2.0.0.json`]);
    expect(await functionExists(lambdaName(app, '1.0.0'))).toBe(false);
    expect(await functionExists(lambdaName(app, '1.2.0'))).toBe(false);
    expect(await functionExists(lambdaName(app, '2.0.0'))).toBe(true);
    expect(await keys(e, 'static/')).toEqual([`static/${app}_2.0.0_app/icon.png`]);
    const markers = await markerKeys(e);
    for (const v of ['1.0.0', '1.2.0']) {
      expect(
        markers.filter((k) => k.startsWith(`deployer/seen/${app}_${v}/`) && /\/retired-v\d+$/.test(k)),
      ).toHaveLength(1);
      expect(
        markers.filter((k) => k.startsWith(`deployer/seen/${app}_${v}/`) && /\/pruned-v\d+$/.test(k)),
      ).toHaveLength(1);
    }
    // the release bundles are still listed: reconcile knows them as retired and provisions nothing
    expect(await keys(e, 'bundles/', e.releaseBucket)).toHaveLength(3);
    const after = await run(e);
    expect(after.report.exitCode).toBe(0);
    expect(after.plan?.items.map((i) => [i.version, i.action])).toEqual([
      ['1.0.0', 'known-retired'],
      ['1.2.0', 'known-retired'],
      ['2.0.0', 'up-to-date'],
    ]);
    expect(after.report.requests['Lambda.CreateFunction'] ?? 0).toBe(0);
    expect(await keys(e, 'manifests/')).toEqual([`manifests/${app}_2.0.0.json`]);
    expect(await functionExists(lambdaName(app, '1.0.0'))).toBe(false);

    // a second prune: nothing to do, no request for the retired versions but the listings
    const again = await pruneRun(e, { keep: 1, olderThanDays: 0, apply: true });
    expect(again.exitCode).toBe(0);
    expect(again.retired).toEqual([]);
    expect(again.requests['Lambda.DeleteFunction'] ?? 0).toBe(0);
    expect(again.requests['S3.GetObject'] ?? 0).toBeLessThanOrEqual(1); // the lock read only, if any

    const status = await getStatus(testPorts().s3, {
      appsBucket: e.appsBucket,
      releaseBucket: e.releaseBucket,
      releasePrefix: e.config.releasePrefix,
    });
    expect(status.retired).toEqual([
      { appId: app, version: '1.0.0', complete: true },
      { appId: app, version: '1.2.0', complete: true },
    ]);
    expect(status.failed).toEqual([]);
    expect(status.provisioned.map((p) => p.version)).toEqual(['2.0.0']);
  });

  it('a new upload with other bytes under a retired version is known-retired, not provisioned', async () => {
    const { e, app } = await threeVersions();
    expect((await pruneRun(e, { keep: 1, olderThanDays: 0, apply: true })).exitCode).toBe(0);
    // the same key, other bytes (a new ETag): versions are immutable, a retired one stays retired
    await uploadApp(e, app, '1.0.0', {
      ...(await (
        await import('../../support/bundle-builder')
      ).simpleAppSpec(app, '1.0.0', { body: 'other' })),
    });
    const after = await run(e);
    expect(after.report.exitCode).toBe(0);
    const item = after.plan?.items.find((i) => i.version === '1.0.0');
    expect(item?.action).toBe('known-retired');
    expect(item?.reason).toMatch(/publish a new version/);
    expect(await functionExists(lambdaName(app, '1.0.0'))).toBe(false);
    expect(await keys(e, 'manifests/')).toEqual([`manifests/${app}_2.0.0.json`]);
  });

  it('keeps a pinned version and the newest; --keep 2 keeps two', async () => {
    const { e, app } = await threeVersions();
    const pinned = withConfig(e, { prunePinned: [`${app}@1.0.0`] });
    const plan = await pruneRun(pinned, { keep: 1, olderThanDays: 0 });
    expect(plan.versions.map((v) => [v.version, v.action, v.reason])).toEqual([
      ['2.0.0', 'keep', "the app's newest version"],
      ['1.2.0', 'retire', expect.any(String)],
      ['1.0.0', 'keep', 'pinned (APPS_DEPLOYER_PRUNE_PINNED)'],
    ]);
    const two = await pruneRun(e, { keep: 2, olderThanDays: 0 });
    expect(two.versions.filter((v) => v.action === 'retire').map((v) => v.version)).toEqual(['1.0.0']);
    const young = await pruneRun(e, { keep: 1 }); // default --older-than 30: everything is younger
    expect(young.versions.every((v) => v.action === 'keep')).toBe(true);
    const applied = await pruneRun(pinned, { keep: 1, olderThanDays: 0, apply: true });
    expect(applied.retired?.map((r) => r.version)).toEqual(['1.2.0']);
    expect(await keys(e, 'manifests/')).toEqual([
      `manifests/${app}_1.0.0.json`,
      `manifests/${app}_2.0.0.json`,
    ]);
    expect(await functionExists(lambdaName(app, '1.0.0'))).toBe(true);
  });

  it('leaves a function whose tags are not this version managed by us, and a foreign object under the static prefix', async () => {
    const { e, app } = await threeVersions();
    const foreign = `static/${app}_1.0.0_app/not-from-the-bundle.txt`;
    await e.s3.send(new PutObjectCommand({ Bucket: e.appsBucket, Key: foreign, Body: 'x' }));
    const { TagResourceCommand, UntagResourceCommand } = await import('@aws-sdk/client-lambda');
    const arn = (await suite.lambda.send(new GetFunctionCommand({ FunctionName: lambdaName(app, '1.2.0') })))
      .Configuration?.FunctionArn;
    await suite.lambda.send(
      new UntagResourceCommand({ Resource: arn, TagKeys: ['mattermost-apps-managed-by'] }),
    );
    await suite.lambda.send(new TagResourceCommand({ Resource: arn, Tags: { owner: 'someone-else' } }));
    const applied = await pruneRun(e, { keep: 1, olderThanDays: 0, apply: true });
    expect(applied.exitCode).toBe(0);
    const r12 = applied.retired?.find((r) => r.version === '1.2.0');
    expect(r12?.functionsLeft).toEqual([lambdaName(app, '1.2.0')]);
    expect(await functionExists(lambdaName(app, '1.2.0'))).toBe(true);
    expect(await keys(e, `static/${app}_1.0.0_app/`)).toEqual([foreign]);
  });

  it("a forged retired marker (written under deployer/) deletes no other app's objects and no live newest version", async () => {
    const { e, app } = await threeVersions();
    const victimStatic = `static/${app}_2.0.0_app/icon.png`;
    const victimManifest = `manifests/${app}_2.0.0.json`;
    const stranger = uniqueAppId('x');
    const forge = async (appId: string, version: string, assets: string[]) => {
      const key = markerKey({ stem: `${appId}_${version}`, etag: 'forged', outcome: 'retired' });
      const retirement = { appId, version, functions: [], assets };
      const body = { releaseKey: '', etag: 'forged', outcome: 'retired', retirement };
      await e.s3.send(new PutObjectCommand({ Bucket: e.appsBucket, Key: key, Body: JSON.stringify(body) }));
    };
    // a stranger's "retirement" naming the victim's manifest, asset and the deployer's own lock
    await forge(stranger, '1.0.0', [victimStatic, victimManifest, 'deployer/lock']);
    // a "retirement" of the victim's newest, live version
    await forge(app, '2.0.0', [victimStatic]);
    const applied = await pruneRun(e, { keep: 3, olderThanDays: 0, apply: true });
    expect(applied.retired?.map((r) => [r.appId, r.version, r.assetsDeleted])).toEqual([
      [stranger, '1.0.0', 0],
    ]);
    expect(applied.retired?.[0]?.assetsNote).toMatch(/3 key\(s\) outside/);
    expect(await keys(e, 'manifests/')).toHaveLength(3);
    expect(await keys(e, `static/${app}_2.0.0_app/`)).toEqual([victimStatic]);
    expect(await functionExists(lambdaName(app, '2.0.0'))).toBe(true);
  });

  it('a forged retired marker larger than any the deployer writes is not read into memory', async () => {
    const { e, app } = await threeVersions();
    const stem = `${app}_1.0.0`;
    const key = markerKey({ stem, etag: 'forged', outcome: 'retired' });
    const retirement = { appId: app, version: '1.0.0', functions: [lambdaName(app, '1.0.0')] };
    const body = JSON.stringify({ outcome: 'retired', retirement }) + ' '.repeat(MAX_READ_BYTES);
    await e.s3.send(new PutObjectCommand({ Bucket: e.appsBucket, Key: key, Body: body }));
    const applied = await pruneRun(e, { keep: 3, olderThanDays: 0, apply: true });
    expect(applied.retired?.map((r) => [r.version, r.status, r.error?.code])).toEqual([
      ['1.0.0', 'failed', 'RETIREMENT_RECORD_UNREADABLE'],
    ]);
    expect(await functionExists(lambdaName(app, '1.0.0'))).toBe(true);
  });

  it('a version whose release bundle is gone: functions and manifest retired, assets left and reported', async () => {
    const { e, app } = await threeVersions();
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await e.s3.send(new DeleteObjectCommand({ Bucket: e.releaseBucket, Key: `bundles/${app}_1.0.0.zip` }));
    const applied = await pruneRun(e, { keep: 2, olderThanDays: 0, apply: true });
    expect(applied.exitCode).toBe(0);
    const r = applied.retired?.[0];
    expect(r).toMatchObject({ version: '1.0.0', status: 'retired', manifestDeleted: true, assetsDeleted: 0 });
    expect(r?.assetsNote).toMatch(/cannot be read.*assets left/);
    expect(await functionExists(lambdaName(app, '1.0.0'))).toBe(false);
    expect(await keys(e, `static/${app}_1.0.0_app/`)).toEqual([`static/${app}_1.0.0_app/icon.png`]);
    expect(await keys(e, 'manifests/')).toHaveLength(2);
  });

  it('retention: expires old run records (the newest kept) and unused staged code; code a function uses stays', async () => {
    const { e, app } = await threeVersions();
    expect((await run(e)).report.exitCode).toBe(0); // a second run record
    const runs = await keys(e, 'deployer/runs/');
    expect(runs).toHaveLength(2);
    const unused = `deployer/code/${'ab'.repeat(32)}.zip`;
    const stray = 'deployer/code/notes.txt';
    for (const key of [unused, stray])
      await e.s3.send(new PutObjectCommand({ Bucket: e.appsBucket, Key: key, Body: 'zip' }));
    const code = await keys(e, 'deployer/code/');
    expect(code).toHaveLength(5); // 3 functions' code, the unused object, the stray key

    // today: everything is younger than the lock TTL and the retention; nothing goes
    const today = await pruneRun(e, { keep: 1, olderThanDays: 0, keepRunRecords: 1 });
    expect(today.retention.runRecords.expire).toEqual([]);
    expect(today.retention.stagedCode.remove).toEqual([]);
    expect(today.retention.stagedCode.young).toBe(1);

    // 100 days later, keep 3 versions: run records older than 90 days expire but the newest; the
    // unused object goes, the code of the 3 live functions stays, the stray key is left
    const later = () => new Date(Date.now() + 100 * 86_400_000);
    const plan = await pruneRun(e, { keep: 3, olderThanDays: 0, keepRunRecords: 1, now: later });
    expect(plan.retention.runRecords.expire).toEqual([runs[0]]);
    expect(plan.retention.stagedCode).toEqual({ remove: [unused], inUse: 3, young: 0, unrecognized: 1 });
    const applied = await pruneRun(e, {
      keep: 3,
      olderThanDays: 0,
      keepRunRecords: 1,
      now: later,
      apply: true,
    });
    expect(applied.exitCode).toBe(0);
    expect(applied.removed).toEqual({ runRecords: 1, stagedCode: 1 });
    expect(await keys(e, 'deployer/runs/')).toEqual([runs[1]]);
    expect(await keys(e, 'deployer/code/')).toEqual(code.filter((k) => k !== unused));

    // retiring two versions sweeps their staged code in the same run; the live version's stays
    const retire = await pruneRun(e, {
      keep: 1,
      olderThanDays: 0,
      keepRunRecords: 1,
      now: later,
      apply: true,
    });
    expect(retire.removed?.stagedCode).toBe(2);
    expect(await keys(e, 'deployer/code/')).toHaveLength(2); // the live function's code and the stray key
    expect(await functionExists(lambdaName(app, '2.0.0'))).toBe(true);
  });
});
