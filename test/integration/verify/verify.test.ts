/**
 * `verify` and `verify --repair` as a library against the emulator: drift made by hand (a function
 * deleted, another's code and timeout changed, an asset deleted, a foreign object under the static
 * prefix) is named; --repair converges all of it from the release bundle but the foreign object; a
 * second verify finds nothing. A version whose release bundle is gone is reported and left; --repair
 * waits for a lock another run holds.
 */
import {
  DeleteFunctionCommand,
  GetFunctionCommand,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { ExitCode } from '../../../src/errors';
import { silentLogger } from '../../../src/log';
import { LockHeldError } from '../../../src/reconcile/errors';
import { ReconcileLock } from '../../../src/reconcile/lock';
import { formatStatus, getStatus } from '../../../src/status';
import { verify, LAST_VERIFY_KEY, type VerifyReport } from '../../../src/verify';
import { bundleBuffer, functionZip, simpleAppSpec } from '../../support/bundle-builder';
import { testPorts } from '../../support/emulator';
import { envSuite, keys, readJson, run, uploadApp, uniqueAppId, type Env } from '../reconcile/support';

jest.setTimeout(240_000);

const suite = envSuite('verify-it-');
const env = (): Promise<Env> => suite.env();

const fnName = (appId: string, version: string, fn: string): string =>
  `${appId.replace(/\./g, '-')}_${version.replace(/\./g, '-')}_${fn}`;

function runVerify(e: Env, options: Parameters<typeof verify>[1] = {}): Promise<VerifyReport> {
  return verify({ ports: testPorts(), config: e.config, logger: silentLogger() }, options);
}

/** "kind resource" of each drift, sorted: what the assertions compare. */
const named = (r: VerifyReport, drift = r.drift): string[] =>
  drift.map((d) => `${d.kind} ${d.resource}`).sort();

/** `--repair` wrote the version record (one repair), the record is `record` again (what provisioning
 * wrote), and a verify now finds nothing to say while checking the 2 functions and 2 assets. */
async function expectRecordRewritten(
  e: Env,
  repaired: VerifyReport,
  recordKey: string,
  record: unknown,
): Promise<void> {
  expect(repaired.repairs).toEqual([
    expect.objectContaining({
      status: 'repaired',
      message: expect.stringMatching(/version record written/),
    }),
  ]);
  expect(await readJson(e, recordKey)).toEqual(record);
  expect(await runVerify(e)).toMatchObject({ exitCode: 0, notices: [], assets: 2, functions: 2 });
}

async function provisionApp(e: Env, appId: string, version: string): Promise<void> {
  const spec = await simpleAppSpec(appId, version, { functions: 2 });
  spec.static = { ...spec.static, 'logo.txt': Buffer.from('logo') };
  await uploadApp(e, appId, version, spec);
  const result = await run(e);
  expect(result.report.exitCode).toBe(ExitCode.Ok);
}

describe('verify (emulator)', () => {
  it('names every drift, --repair fixes all but the foreign object, and a second verify is clean', async () => {
    // Prepare: one app of 2 functions and 2 assets, provisioned by reconcile
    const e = await env();
    const appId = uniqueAppId('v');
    await provisionApp(e, appId, '1.0.0');
    const clean = await runVerify(e);
    expect(clean).toMatchObject({
      exitCode: 0,
      versions: 1,
      functions: 2,
      assets: 2,
      drift: [],
      foreign: [],
    });
    expect(clean.notices).toEqual([]);
    expect(Object.keys(clean.requests).filter((op) => op.startsWith('Lambda.'))).toEqual([
      'Lambda.GetFunction',
    ]);

    // drift by hand
    const fn0 = fnName(appId, '1.0.0', 'fn0');
    const fn1 = fnName(appId, '1.0.0', 'fn1');
    const icon = `static/${appId}_1.0.0_app/icon.png`;
    const foreign = `static/${appId}_1.0.0_app/dropped-by-hand.html`;
    await suite.lambda.send(new DeleteFunctionCommand({ FunctionName: fn0 }));
    await suite.lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: fn1, ZipFile: await functionZip({ 'index.js': 'x' }) }),
    );
    await waitUntilFunctionUpdatedV2({ client: suite.lambda, maxWaitTime: 60 }, { FunctionName: fn1 });
    await suite.lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn1, Timeout: 7 }));
    await waitUntilFunctionUpdatedV2({ client: suite.lambda, maxWaitTime: 60 }, { FunctionName: fn1 });
    await e.s3.send(new DeleteObjectCommand({ Bucket: e.appsBucket, Key: icon }));
    await e.s3.send(new PutObjectCommand({ Bucket: e.appsBucket, Key: foreign, Body: 'not ours' }));

    // Act: verify names each
    const found = await runVerify(e);

    // Assess
    expect(found.exitCode).toBe(ExitCode.Failed);
    expect(named(found)).toEqual(
      [
        `asset-missing ${icon}`,
        `function-code ${fn1}`,
        `function-config ${fn1}`,
        `function-missing ${fn0}`,
      ].sort(),
    );
    expect(found.drift.find((d) => d.kind === 'function-config')?.detail).toMatch(
      /^Timeout: 7 \(expected \d+\)$/,
    );
    expect(found.drift.every((d) => d.appId === appId && d.version === '1.0.0')).toBe(true);
    expect(found.foreign).toEqual([{ appId, version: '1.0.0', key: foreign }]);
    expect(await readJson(e, LAST_VERIFY_KEY)).toMatchObject({ driftCount: 4, foreignCount: 1 });
    const where = { appsBucket: e.appsBucket, releaseBucket: e.releaseBucket, releasePrefix: 'bundles/' };
    const status = await getStatus(testPorts().s3, where);
    expect(status.lastVerify).toMatchObject({ driftCount: 4, versions: 1, runId: found.runId });
    expect(formatStatus(status)).toContain(`\n  ${appId} 1.0.0 ${fn0}: function-missing: `);
    expect((await getStatus(testPorts().s3, where, { appId: 'com.other.app' })).lastVerify?.drift).toEqual(
      [],
    );

    // Act: repair
    const repaired = await runVerify(e, { repair: true });

    // Assess: everything converged but the foreign object, which is reported and still there
    expect(repaired.repairs).toEqual([
      expect.objectContaining({ appId, version: '1.0.0', status: 'repaired' }),
    ]);
    expect(named(repaired, repaired.driftBefore)).toEqual(named(found));
    expect(repaired.drift).toEqual([]);
    expect(repaired.exitCode).toBe(ExitCode.Ok);
    expect(repaired.foreign).toEqual([{ appId, version: '1.0.0', key: foreign }]);
    await expect(
      e.s3.send(new HeadObjectCommand({ Bucket: e.appsBucket, Key: foreign })),
    ).resolves.toBeDefined();
    expect(await keys(e, 'manifests/')).toEqual([`manifests/${appId}_1.0.0.json`]);
    const fn1Now = await suite.lambda.send(new GetFunctionCommand({ FunctionName: fn1 }));
    expect(fn1Now.Configuration?.Timeout).toBe(e.config.lambdaTimeoutSeconds);
    expect(await keys(e, 'deployer/lock')).toEqual([]);

    // a second verify: clean, and it sends no Lambda call but GetFunction
    const again = await runVerify(e);
    expect(again).toMatchObject({ exitCode: 0, drift: [] });
    expect(Object.keys(again.requests).filter((op) => op.startsWith('Lambda.'))).toEqual([
      'Lambda.GetFunction',
    ]);
    expect(again.requests['S3.PutObject']).toBe(1); // the last verify's summary only
    expect(formatStatus(await getStatus(testPorts().s3, where))).toMatch(
      /Last verify: .*: 1 version\(s\), no drift, 1 foreign object/,
    );
  });

  it('names a tampered manifest body, changed tags and asset bytes; --repair restores them in place', async () => {
    // Prepare
    const e = await env();
    const appId = uniqueAppId('t');
    await provisionApp(e, appId, '1.1');
    const manifestKey = `manifests/${appId}_1.1.json`;
    const logo = `static/${appId}_1.1_app/logo.txt`;
    const fn0 = fnName(appId, '1.1', 'fn0');
    const original = await e.s3.send(new GetObjectCommand({ Bucket: e.appsBucket, Key: manifestKey }));
    const body = await original.Body!.transformToString();
    const tampered = body.replace('index.handler', 'other.handler');
    await e.s3.send(
      new PutObjectCommand({
        Bucket: e.appsBucket,
        Key: manifestKey,
        Body: tampered,
        Metadata: original.Metadata,
        ContentType: 'application/json',
      }),
    );
    const arn = (await suite.lambda.send(new GetFunctionCommand({ FunctionName: fn0 }))).Configuration!
      .FunctionArn!;
    await suite.lambda.send(
      new TagResourceCommand({ Resource: arn, Tags: { 'mattermost-app-bundle-sha256': 'x' } }),
    );
    await e.s3.send(
      new PutObjectCommand({
        Bucket: e.appsBucket,
        Key: logo,
        Body: 'other bytes',
        ContentType: 'text/plain',
        Metadata: { sha256: 'f'.repeat(64) },
      }),
    );

    // Act
    const found = await runVerify(e);

    // Assess: the body no longer matches its recorded hash (the functions are judged by the version
    // record, so the handler the body now names is not taken for the truth)
    expect(named(found)).toEqual(
      [`asset-content ${logo}`, `function-tags ${fn0}`, `manifest-hash ${manifestKey}`].sort(),
    );
    expect(found.drift.find((d) => d.kind === 'function-tags')?.detail).toBe(
      `mattermost-app-bundle-sha256: "x" (expected "${original.Metadata?.['bundle-sha256']}")`,
    );

    // Act: repair
    const repaired = await runVerify(e, { repair: true });

    // Assess: nothing left, the manifest body is the provisioned one again, its key never deleted
    expect(repaired.repairs).toEqual([expect.objectContaining({ status: 'repaired' })]);
    expect(repaired.drift).toEqual([]);
    const after = await e.s3.send(new GetObjectCommand({ Bucket: e.appsBucket, Key: manifestKey }));
    expect(await after.Body!.transformToString()).toBe(body);
    expect(after.Metadata).toEqual(original.Metadata);
    expect((await runVerify(e)).exitCode).toBe(ExitCode.Ok);
  });

  it('a version without a version record: a notice, and --repair records it from the bundle', async () => {
    // Prepare: as if provisioned before records existed
    const e = await env();
    const appId = uniqueAppId('n');
    await provisionApp(e, appId, '0.9');
    const recordKey = `deployer/versions/${appId}_0.9.json`;
    const record = await readJson(e, recordKey);
    await e.s3.send(new DeleteObjectCommand({ Bucket: e.appsBucket, Key: recordKey }));

    // Act + Assess: not drift, a notice; code and assets unchecked
    const before = await runVerify(e);
    expect(before).toMatchObject({ exitCode: 0, drift: [], assets: 0 });
    expect(before.notices).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/no version record/) }),
    ]);
    const repaired = await runVerify(e, { repair: true });

    // Assess: the same record as provisioning writes; a verify now checks everything
    await expectRecordRewritten(e, repaired, recordKey, record);
  });

  it('a version record of another bundle (forged under deployer/): --repair records the provisioned one', async () => {
    // Prepare: a record that parses but names another bundle and no function or asset
    const e = await env();
    const appId = uniqueAppId('n');
    await provisionApp(e, appId, '0.8');
    const recordKey = `deployer/versions/${appId}_0.8.json`;
    const record = (await readJson(e, recordKey)) as Record<string, unknown>;
    const forged = { ...record, bundleSha256: 'f'.repeat(64), functions: [], assets: [] };
    await e.s3.send(
      new PutObjectCommand({ Bucket: e.appsBucket, Key: recordKey, Body: JSON.stringify(forged) }),
    );
    expect((await runVerify(e)).notices).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/not of the provisioned bundle/) }),
    ]);

    // Act
    const repaired = await runVerify(e, { repair: true });

    // Assess: the record is the provisioned bundle's again, and verify checks everything
    await expectRecordRewritten(e, repaired, recordKey, record);
  });

  it('reports a version whose release bundle is gone or replaced and leaves it as it is', async () => {
    // Prepare: two versions drifting; one release bundle deleted, the other re-uploaded (another ETag)
    const e = await env();
    const appId = uniqueAppId('g');
    await provisionApp(e, appId, '2.0');
    await provisionApp(e, appId, '2.1');
    await e.s3.send(new DeleteObjectCommand({ Bucket: e.releaseBucket, Key: `bundles/${appId}_2.0.zip` }));
    const other = await bundleBuffer(await simpleAppSpec(appId, '2.1', { body: 'other' }));
    await e.s3.send(
      new PutObjectCommand({ Bucket: e.releaseBucket, Key: `bundles/${appId}_2.1.zip`, Body: other }),
    );
    const gone = fnName(appId, '2.0', 'fn0');
    const replaced = fnName(appId, '2.1', 'fn0');
    await suite.lambda.send(new DeleteFunctionCommand({ FunctionName: gone }));
    await suite.lambda.send(new DeleteFunctionCommand({ FunctionName: replaced }));

    // Act
    const report = await runVerify(e, { repair: true });

    // Assess: named, not repaired, still published, the functions still missing
    expect(report.exitCode).toBe(ExitCode.Failed);
    expect(named(report)).toEqual([`function-missing ${gone}`, `function-missing ${replaced}`].sort());
    expect(report.repairs).toEqual([
      expect.objectContaining({
        version: '2.0',
        status: 'not-repaired',
        message: expect.stringMatching(/is gone/),
      }),
      expect.objectContaining({
        version: '2.1',
        status: 'not-repaired',
        message: expect.stringMatching(/was replaced/),
      }),
    ]);
    expect(await keys(e, 'manifests/')).toEqual([
      `manifests/${appId}_2.0.json`,
      `manifests/${appId}_2.1.json`,
    ]);
    for (const name of [gone, replaced])
      await expect(suite.lambda.send(new GetFunctionCommand({ FunctionName: name }))).rejects.toMatchObject({
        name: 'ResourceNotFoundException',
      });
  });

  it('--repair waits for the lock another run holds, then repairs; without waiting it exits 3', async () => {
    // Prepare: drift, and a lock held by another run
    const e = await env();
    const appId = uniqueAppId('w');
    await provisionApp(e, appId, '3.0');
    const fn1 = fnName(appId, '3.0', 'fn1');
    await suite.lambda.send(new DeleteFunctionCommand({ FunctionName: fn1 }));
    const ports = testPorts();
    const other = new ReconcileLock({
      s3: ports.lockS3 ?? ports.s3,
      bucket: e.appsBucket,
      runId: 'another-reconcile',
      ttlSeconds: 60,
      logger: silentLogger(),
      clock: ports.clock,
    });
    await other.acquire();

    // Act + Assess: no wait → LockHeldError (exit 3), nothing repaired
    const refused = await runVerify(e, { repair: true }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(LockHeldError);
    expect((refused as LockHeldError).exitCode).toBe(ExitCode.Locked);
    await expect(suite.lambda.send(new GetFunctionCommand({ FunctionName: fn1 }))).rejects.toBeDefined();

    // Act: wait up to 60 s; the other run releases its lock after 3 s
    const started = Date.now();
    const releasing = new Promise<void>((resolve) =>
      setTimeout(() => void other.release().then(resolve), 3_000),
    );
    const report = await runVerify(e, { repair: true, waitLockSeconds: 60 });
    await releasing;

    // Assess
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(report.repairs).toEqual([expect.objectContaining({ status: 'repaired' })]);
    expect(report.drift).toEqual([]);
    await expect(suite.lambda.send(new GetFunctionCommand({ FunctionName: fn1 }))).resolves.toBeDefined();
  });

  it('a forged last verify summary (deployer/ is writable by others) neither crashes status nor reaches the terminal', async () => {
    const e = await env();
    const where = { appsBucket: e.appsBucket, releaseBucket: e.releaseBucket, releasePrefix: 'bundles/' };
    const put = (doc: unknown) =>
      e.s3.send(
        new PutObjectCommand({ Bucket: e.appsBucket, Key: LAST_VERIFY_KEY, Body: JSON.stringify(doc) }),
      );
    const base = {
      verifyVersion: 1,
      at: 'now',
      runId: 'r',
      repair: false,
      versions: 1,
      driftCount: 1,
      foreignCount: 0,
    };
    for (const doc of [
      { ...base, drift: [null, 7, { appId: 5 }] },
      { ...base, versions: '\u001b[2J\u001b]0;owned\u0007', drift: [] },
      { ...base, only: { x: 1 }, foreignCount: '\u001b[31m', drift: [] },
    ]) {
      await put(doc);
      const status = await getStatus(testPorts().s3, where);
      const text = formatStatus(status);
      expect(text.includes('\u001b')).toBe(false);
      await expect(getStatus(testPorts().s3, where, { appId: 'com.other.app' })).resolves.toBeDefined();
    }
  });
});
