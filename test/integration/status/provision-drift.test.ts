/**
 * `status` after `provision`: its run records are listed with the reconcile runs (kind "provision"),
 * the list says when it is capped, and `status APP_ID` shows the release object's drift after
 * `provision --update` redeployed a version from disk with other bytes. Real reconcile and
 * provisioner runs against the emulator; the provision run record is built and written by the same
 * functions the CLI calls.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateBundle } from '../../../src/bundle';
import type { Bundle } from '../../../src/bundle/types';
import { silentLogger } from '../../../src/log';
import { Provisioner } from '../../../src/provision/provisioner';
import { markerKey } from '../../../src/reconcile/markers';
import { provisionRunReport } from '../../../src/reconcile/provision-record';
import { writeRunRecord } from '../../../src/reconcile/report';
import { formatStatus, getStatus, type StatusReport } from '../../../src/status';
import { bundleBuffer, simpleAppSpec, tempDir, writeBundle } from '../../support/bundle-builder';
import { testPorts } from '../../support/emulator';
import { freshEnv, run, uniqueAppId, upload, type Env } from '../reconcile/support';

jest.setTimeout(180_000);

describe('status after provision', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let env: Env;
  const appId = uniqueAppId('drift');
  const other = uniqueAppId('steady');
  let released: Buffer;
  let fromDisk: Bundle;
  let where: Parameters<typeof getStatus>[1];

  /** provisions `bundle` from disk as `provision [--update]` does, and writes its run record */
  async function provisionFromDisk(bundle: Bundle, file: string, update: boolean): Promise<string> {
    const ports = testPorts();
    const provisioner = new Provisioner({
      ports,
      config: env.config,
      logger: silentLogger(),
      tuning: { retryBaseDelayMs: 20, retryMaxDelayMs: 100, waitActiveSeconds: 30, waitUpdatedSeconds: 30 },
    });
    const runId = `prov-${update ? 'update' : 'new'}-${Date.now()}`;
    const startedAt = new Date();
    await provisioner.ensureIam();
    const result = await provisioner.provision(bundle, { runId, replace: update });
    const record = provisionRunReport({
      runId,
      file,
      bundle,
      update,
      startedAt,
      durationMs: 1234,
      requests: ports.requests.snapshot(),
      outcome: { result },
    });
    return writeRunRecord(ports.s3, env.appsBucket, record);
  }

  beforeAll(async () => {
    // Prepare: two apps released and provisioned by reconcile
    ({ dir, cleanup } = await tempDir('status-drift-'));
    env = await freshEnv(dir);
    where = {
      appsBucket: env.appsBucket,
      releaseBucket: env.releaseBucket,
      releasePrefix: env.config.releasePrefix,
      releaseLayout: env.config.releaseLayout,
    };
    released = await bundleBuffer(await simpleAppSpec(appId, '1.0.0'));
    await upload(env, `${env.config.releasePrefix}${appId}_1.0.0.zip`, released);
    await upload(
      env,
      `${env.config.releasePrefix}${other}_1.0.0.zip`,
      await bundleBuffer(await simpleAppSpec(other, '1.0.0')),
    );
    const first = await run(env);
    expect(first.report.exitCode).toBe(0);
    // Prepare: a rebuilt bundle of the same version, on disk
    const file = await writeBundle(
      path.join(dir, 'rebuilt.zip'),
      await simpleAppSpec(appId, '1.0.0', { body: 'rebuilt on a laptop' }),
    );
    const validated = await validateBundle(file);
    if (!validated.ok) throw new Error('the rebuilt bundle is invalid');
    fromDisk = validated.bundle;
  });
  afterAll(() => cleanup());

  it('before any provision: no drift, runs from reconcile only', async () => {
    // Act
    const one = await getStatus(testPorts().s3, where, { appId });

    // Assess
    expect(one.provisioned).toHaveLength(1);
    expect(one.provisioned[0]?.releaseDrift).toBeUndefined();
    expect(one.runs.map((r) => r.kind)).toEqual(['reconcile']);
    expect(formatStatus(one)).not.toContain('Release drift');
  });

  it('after provision --update: the provision run is listed and the release object drifts', async () => {
    // Act
    const recordKey = await provisionFromDisk(fromDisk, path.join(dir, 'rebuilt.zip'), true);
    const fleet = await getStatus(testPorts().s3, where);
    const one = await getStatus(testPorts().s3, where, { appId });
    const steady = await getStatus(testPorts().s3, where, { appId: other });

    // Assess: the run records
    expect(fleet.runs.map((r) => r.kind)).toEqual(['provision', 'reconcile']);
    expect(fleet.runs[0]).toMatchObject({
      key: recordKey,
      exitCode: 0,
      counts: { provisioned: 1 },
      provision: { file: 'rebuilt.zip', appId, version: '1.0.0', update: true },
    });
    expect(fleet.runsTotal).toBe(2);
    const text = formatStatus(fleet);
    expect(text).toContain('Last runs (2)');
    expect(text).toMatch(
      new RegExp(`provision --update ${appId.replace(/\./g, '\\.')} 1\\.0\\.0 from rebuilt\\.zip`),
    );
    expect(text).toMatch(/ reconcile +\d/);

    // Assess: the drift, with both bundles named
    const releasedSha = createHash('sha256').update(released).digest('hex');
    expect(one.provisioned[0]?.releaseDrift).toEqual({
      releaseKey: `${env.config.releasePrefix}${appId}_1.0.0.zip`,
      releaseEtag: expect.any(String),
      releaseSha256: releasedSha,
      provisionedSha256: fromDisk.sha256Hex,
      provisionedFrom: 'disk',
    });
    const detail = formatStatus(one);
    expect(detail).toContain('Release drift (1)');
    expect(detail).toContain(`runs bundle sha256 ${fromDisk.sha256Hex}, provisioned from disk`);
    expect(detail).toContain(`is bundle sha256 ${releasedSha}`);
    expect(steady.provisioned[0]?.releaseDrift).toBeUndefined();
    // reconcile does not see it: the listed object was judged already
    expect(fleet.pending).toEqual([]);
  });

  it('says when the list of runs is capped, and shows more on request', async () => {
    // Prepare: two more runs (four in all)
    await run(env);
    await run(env);

    // Act
    const capped: StatusReport = await getStatus(testPorts().s3, where, { runs: 3 });
    const all = await getStatus(testPorts().s3, where, { runs: 10 });

    // Assess
    expect(capped.runs).toHaveLength(3);
    expect(capped.runsTotal).toBe(4);
    expect(formatStatus(capped)).toContain('Last runs (3 of 4, newest first; `status --runs N` shows more)');
    expect(all.runs.map((r) => r.kind)).toEqual(['reconcile', 'reconcile', 'provision', 'reconcile']);
    expect(formatStatus(all)).toContain('Last runs (4)');
  });

  it('provisioning the released bytes again ends the drift', async () => {
    // Prepare
    const file = path.join(dir, 'released.zip');
    await writeFile(file, released);
    const validated = await validateBundle(file);
    if (!validated.ok) throw new Error('the released bundle is invalid');

    // Act
    await provisionFromDisk(validated.bundle, file, true);
    const one = await getStatus(testPorts().s3, where, { appId });

    // Assess
    expect(one.provisioned[0]?.releaseDrift).toBeUndefined();
    expect(one.runs[0]).toMatchObject({ kind: 'provision', provision: { file: 'released.zip' } });
  });

  it('forged run records and markers (deployer/ is writable by others) neither crash status nor reach the terminal', async () => {
    // Prepare: a run record whose fields are not what a run writes, and, for the released object
    // replaced by other bytes, a "provisioned" marker whose bundle sha256 is not a string
    const put = (key: string, doc: unknown) =>
      env.s3.send(new PutObjectCommand({ Bucket: env.appsBucket, Key: key, Body: JSON.stringify(doc) }));
    await put('deployer/runs/9999-12-31T00-00-00.000Z_forged.json', {
      runId: 'forged',
      startedAt: '9999-12-31T00:00:00.000Z',
      kind: 'provision',
      provision: { file: { x: 1 }, appId: 7, version: null, update: true },
      error: { code: 5, message: 6 },
    });
    const releaseEtag = await upload(
      env,
      `${env.config.releasePrefix}${other}_1.0.0.zip`,
      await bundleBuffer(await simpleAppSpec(other, '1.0.0', { body: 'replaced' })),
    );
    await put(markerKey({ stem: `${other}_1.0.0`, etag: releaseEtag, outcome: 'provisioned' }), {
      bundleSha256: { evil: '\u001b[2J' },
    });

    // Act
    const fleet = await getStatus(testPorts().s3, where);
    const one = await getStatus(testPorts().s3, where, { appId: other });

    // Assess
    expect(() => formatStatus(fleet)).not.toThrow();
    expect(() => formatStatus(one)).not.toThrow();
    expect(formatStatus(one).includes('\u001b')).toBe(false);
  });
});
