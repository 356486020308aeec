import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { Bundle, ValidationResult } from '../../../src/bundle/types';
import { silentLogger } from '../../../src/log';
import { ConcurrentWriteError, ConflictError, ProvisionStepError } from '../../../src/provision/errors';
import type { ProvisionResult } from '../../../src/provision/types';
import { applyItem, type ApplyContext } from '../../../src/reconcile/apply';
import { LockLostError } from '../../../src/reconcile/errors';
import { indexMarkers, nonCanonicalStem } from '../../../src/reconcile/markers';
import { DiskBudget, reservationFor } from '../../../src/reconcile/disk-budget';
import type { PlanItem } from '../../../src/reconcile/types';
import { tempDir } from '../../support/bundle-builder';
import { s3Error, stubbedPorts } from './stubbed';

const s3Mock = mockClient(S3Client);
const ports = stubbedPorts;

const item = (over: Partial<PlanItem> = {}): PlanItem => ({
  releaseKey: 'bundles/com.example.a_1.0.zip',
  etag: '"e1"',
  size: 5,
  appId: 'com.example.a',
  version: '1.0',
  action: 'provision',
  ...over,
});

const bundle = { appId: 'com.example.a', version: '1.0', sha256Hex: 'abc', file: 'x' } as Bundle;
const result: ProvisionResult = {
  appId: 'com.example.a',
  version: '1.0',
  status: 'provisioned',
  manifestKey: 'manifests/com.example.a_1.0.json',
  functions: [],
  assets: [],
  durationMs: 1,
};

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  s3Mock.reset();
  ({ dir, cleanup } = await tempDir('apply-unit-'));
});
afterEach(() => cleanup());
afterAll(() => s3Mock.restore());

function ctx(over: Partial<ApplyContext> = {}): ApplyContext {
  return {
    s3: ports().s3,
    appsBucket: 'apps',
    releaseBucket: 'rel',
    releasePrefix: 'bundles/',
    runId: 'run-1',
    replace: false,
    tmpDir: dir,
    markers: indexMarkers([]),
    assertCanWrite: () => undefined,
    validate: async (): Promise<ValidationResult> => ({ ok: true, bundle, warnings: [] }),
    provision: async () => result,
    now: () => new Date('2025-01-01T00:00:00Z'),
    disk: new DiskBudget(1024 * 1024 * 1024),
    maxBundleBytes: 1024 * 1024 * 1024,
    stopRun: () => undefined,
    ...over,
  };
}

const body = () => ({ Body: Readable.from([Buffer.from('bytes')]) as never, ETag: '"e1"' });
const markerPuts = () =>
  s3Mock
    .commandCalls(PutObjectCommand)
    .map((c) => c.args[0].input)
    .filter((i) => i.Key?.startsWith('deployer/seen/'));

describe('applyItem', () => {
  it('downloads with If-Match on the listed ETag, provisions, writes the provisioned marker, removes the temp file', async () => {
    s3Mock.on(GetObjectCommand).resolves(body());
    s3Mock.on(PutObjectCommand).resolves({});
    let seenFile = '';
    const outcome = await applyItem(
      item(),
      ctx({
        validate: async (file) => {
          seenFile = file;
          expect(existsSync(file)).toBe(true);
          return { ok: true, bundle, warnings: [] };
        },
      }),
      silentLogger(),
      0,
    );
    expect(outcome).toEqual({ status: 'provisioned', result });
    expect(s3Mock.commandCalls(GetObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'rel',
      Key: 'bundles/com.example.a_1.0.zip',
      IfMatch: '"e1"',
    });
    expect(markerPuts().map((p) => p.Key)).toEqual(['deployer/seen/com.example.a_1.0/e1/provisioned-v1']);
    expect(JSON.parse(markerPuts()[0]!.Body as string)).toMatchObject({
      outcome: 'provisioned',
      runId: 'run-1',
      bundleSha256: 'abc',
    });
    expect(path.dirname(seenFile)).toBe(dir);
    expect(await readdir(dir)).toEqual([]);
  });

  it('fails without a marker when the object was re-uploaded during the run (412 on If-Match)', async () => {
    s3Mock.on(GetObjectCommand).rejects(s3Error(412, 'PreconditionFailed'));
    const outcome = await applyItem(item(), ctx(), silentLogger(), 0);
    expect(outcome).toMatchObject({ status: 'failed', code: 'RELEASE_CHANGED' });
    expect(markerPuts()).toEqual([]);
  });

  it('rejects an invalid bundle with every issue and marks it', async () => {
    s3Mock.on(GetObjectCommand).resolves(body());
    s3Mock.on(PutObjectCommand).resolves({});
    const errors = [{ severity: 'error' as const, code: 'X', path: '$.a', message: 'bad a' }];
    const warnings = [{ severity: 'warning' as const, code: 'Y', path: '$.b', message: 'meh b' }];
    const provision = jest.fn();
    const outcome = await applyItem(
      item(),
      ctx({ validate: async () => ({ ok: false, errors, warnings }), provision }),
      silentLogger(),
      0,
    );
    expect(outcome).toEqual({ status: 'rejected', issues: [...errors, ...warnings] });
    expect(provision).not.toHaveBeenCalled();
    expect(markerPuts().map((p) => p.Key)).toEqual(['deployer/seen/com.example.a_1.0/e1/rejected-v1']);
    expect(JSON.parse(markerPuts()[0]!.Body as string).issues).toHaveLength(2);
  });

  it('marks a conflict found without a manifest as a collision; other provision errors fail without a marker', async () => {
    s3Mock.on(GetObjectCommand).callsFake(() => body());
    s3Mock.on(PutObjectCommand).resolves({});
    const conflict = new ConflictError('name taken by another app', {
      bundle: 'b',
      resource: 'fn',
      hint: 'h',
    });
    expect(
      await applyItem(item(), ctx({ provision: async () => Promise.reject(conflict) }), silentLogger(), 0),
    ).toMatchObject({
      status: 'conflict',
    });
    expect(markerPuts().map((p) => p.Key)).toEqual(['deployer/seen/com.example.a_1.0/e1/collision-v1']);
    s3Mock.resetHistory();
    const lostRace = new ConcurrentWriteError('a concurrent write left nothing', {
      bundle: 'b',
      resource: 'manifests/x.json',
      hint: 'h',
    });
    expect(
      await applyItem(item(), ctx({ provision: async () => Promise.reject(lostRace) }), silentLogger(), 0),
    ).toMatchObject({ status: 'failed', code: 'CONCURRENT_WRITE' });
    expect(markerPuts()).toEqual([]);
    const step = new ProvisionStepError({
      step: 'function',
      resource: 'fn',
      bundle: 'b',
      cause: new Error('boom'),
    });
    expect(
      await applyItem(item(), ctx({ provision: async () => Promise.reject(step) }), silentLogger(), 0),
    ).toMatchObject({
      status: 'failed',
      code: 'PROVISION_FAILED',
    });
    expect(markerPuts()).toEqual([]);
  });

  it('compares a re-upload with the manifest: same sha256 → identical, other → conflict (nothing provisioned)', async () => {
    const other = 'f'.repeat(64); // not the sha256 of the downloaded bytes
    s3Mock.on(GetObjectCommand).callsFake(() => body());
    s3Mock.on(PutObjectCommand).resolves({});
    const provision = jest.fn();
    s3Mock.on(HeadObjectCommand).resolves({ Metadata: { 'bundle-sha256': other } });
    const conflict = await applyItem(
      item({ action: 'check-reupload' }),
      ctx({ provision }),
      silentLogger(),
      0,
    );
    expect(conflict).toMatchObject({ status: 'conflict', message: expect.stringContaining('immutable') });
    const real = createHash('sha256').update('bytes').digest('hex');
    s3Mock.on(HeadObjectCommand).resolves({ Metadata: { 'bundle-sha256': real } });
    expect(
      await applyItem(item({ action: 'check-reupload' }), ctx({ provision }), silentLogger(), 0),
    ).toEqual({
      status: 'identical',
    });
    expect(provision).not.toHaveBeenCalled();
    expect(markerPuts().map((p) => p.Key)).toEqual([
      'deployer/seen/com.example.a_1.0/e1/conflict-v1',
      'deployer/seen/com.example.a_1.0/e1/identical-v1',
    ]);
  });

  it("converges an identical re-upload whose app's settings fingerprint is stale (a run killed after the manifest)", async () => {
    const real = createHash('sha256').update('bytes').digest('hex');
    s3Mock.on(GetObjectCommand).callsFake(() => body());
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(HeadObjectCommand).resolves({ Metadata: { 'bundle-sha256': real } });
    const converged: ProvisionResult = { ...result, status: 'already-provisioned' };
    const provision = jest.fn(async () => converged);
    const stale = ctx({ provision, settingsStale: (appId) => appId === 'com.example.a' });

    const outcome = await applyItem(item({ action: 'check-reupload' }), stale, silentLogger(), 0);

    // judged identical (one marker), and converged: 'provisioned' makes the run record the fingerprint
    expect(outcome).toEqual({ status: 'provisioned', result: converged });
    expect(provision).toHaveBeenCalledTimes(1);
    expect(markerPuts().map((p) => p.Key)).toEqual(['deployer/seen/com.example.a_1.0/e1/identical-v1']);
  });

  it('does nothing once the lock is lost', async () => {
    const lost = new LockLostError('s3://apps/deployer/lock', 'taken over');
    const outcome = await applyItem(
      item(),
      ctx({
        assertCanWrite: () => {
          throw lost;
        },
      }),
      silentLogger(),
      0,
    );
    expect(outcome).toMatchObject({ status: 'failed', code: 'LOCK_LOST' });
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('rejects a non-canonical key without downloading it', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const outcome = await applyItem(
      item({
        releaseKey: 'bundles/x y.zip',
        appId: undefined,
        version: undefined,
        action: 'reject-non-canonical',
      }),
      ctx(),
      silentLogger(),
      0,
    );
    expect(outcome).toMatchObject({ status: 'rejected', issues: [{ code: 'NON_CANONICAL_KEY' }] });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(markerPuts().map((p) => p.Key)).toEqual([
      `deployer/seen/${nonCanonicalStem('bundles/x y.zip')}/e1/rejected-v1`,
    ]);
  });

  it('rejects an object listed over the size limit without downloading it', async () => {
    s3Mock.on(PutObjectCommand).resolves({});
    const outcome = await applyItem(
      item({ size: 2048, action: 'reject-oversized' }),
      ctx({ maxBundleBytes: 1024 }),
      silentLogger(),
      0,
    );
    expect(outcome).toMatchObject({ status: 'rejected', issues: [{ code: 'BUNDLE_TOO_LARGE' }] });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(markerPuts().map((p) => p.Key)).toEqual(['deployer/seen/com.example.a_1.0/e1/rejected-v1']);
  });

  it('marks a permanent failure (AWS refused the code after validation) as failed, with its class', async () => {
    s3Mock.on(GetObjectCommand).resolves(body());
    s3Mock.on(PutObjectCommand).resolves({});
    const refused = Object.assign(new Error('Could not unzip uploaded file.'), {
      name: 'InvalidParameterValueException',
      $metadata: { httpStatusCode: 400 },
    });
    const stopRun = jest.fn();
    const outcome = await applyItem(
      item(),
      ctx({
        provision: async () => {
          throw new ProvisionStepError({ step: 'function', resource: 'fn', bundle: 'b', cause: refused });
        },
        stopRun,
      }),
      silentLogger(),
      0,
    );
    expect(outcome).toMatchObject({
      status: 'failed',
      failureClass: 'permanent',
      errorName: 'InvalidParameterValueException',
    });
    expect(markerPuts().map((p) => p.Key)).toEqual(['deployer/seen/com.example.a_1.0/e1/failed-v1']);
    expect(JSON.parse(markerPuts()[0]!.Body as string)).toMatchObject({
      outcome: 'failed',
      errorName: 'InvalidParameterValueException',
      failureRule: 'lambda-code-invalid',
    });
    expect(stopRun).not.toHaveBeenCalled();
  });

  it('stops the run on a configuration error and marks nothing', async () => {
    s3Mock.on(GetObjectCommand).resolves(body());
    const stopRun = jest.fn();
    const outcome = await applyItem(
      item(),
      ctx({
        provision: async () => {
          throw new ProvisionStepError({
            step: 'function',
            resource: 'fn',
            bundle: 'b',
            cause: s3Error(403, 'AccessDeniedException'),
          });
        },
        stopRun,
      }),
      silentLogger(),
      0,
    );
    expect(outcome).toMatchObject({ status: 'failed', failureClass: 'configuration' });
    expect(stopRun).toHaveBeenCalledTimes(1);
    expect(stopRun.mock.calls[0]![0]).toMatchObject({ code: 'AWS_CONFIGURATION', exitCode: 2 });
    expect(markerPuts()).toEqual([]);
  });

  it('waits for room in the disk budget before downloading', async () => {
    s3Mock.on(GetObjectCommand).callsFake(() => body());
    s3Mock.on(PutObjectCommand).resolves({});
    const disk = new DiskBudget(reservationFor(5));
    const held = await disk.reserve(1);
    const pending = applyItem(item(), ctx({ disk }), silentLogger(), 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(disk.waiting).toBe(1);
    held();
    await expect(pending).resolves.toMatchObject({ status: 'provisioned' });
    expect(disk.available).toBe(disk.totalBytes);
  });
});
