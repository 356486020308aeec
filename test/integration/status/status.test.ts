/**
 * `status` against the emulator: a release bucket and an apps bucket holding every kind of state a
 * reconcile leaves behind (manifests with metadata, markers with bodies, run records, the lock).
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { formatStatus, getStatus, type StatusReport } from '../../../src/status';
import { markerKey, nonCanonicalStem } from '../../../src/reconcile/markers';
import { MANIFEST_METADATA } from '../../../src/provision/types';
import type { MarkerBody, RunReport } from '../../../src/reconcile/types';
import { testClients, testPorts, uniqueBucket } from '../../support/emulator';

jest.setTimeout(30_000);

const PREFIX = 'bundles/';

async function put(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  metadata?: Record<string, string>,
) {
  const res = await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: metadata }),
  );
  return res.ETag ?? '';
}

function runRecord(i: number, exitCode: number): RunReport {
  const startedAt = new Date(Date.UTC(2024, 0, 1, i, 0, 0)).toISOString();
  return {
    reportVersion: 2,
    runId: `run-${i}`,
    deployerVersion: '0.1.0',
    startedAt,
    finishedAt: startedAt,
    durationMs: 1000 * i,
    dryRun: false,
    exitCode,
    counts: { provisioned: i, skipped: 2 },
    unchanged: { 'up-to-date': 2 },
    bundles: [],
    requests: { 'S3.ListObjectsV2': 3, 'S3.PutObject': i },
  };
}

describe('getStatus', () => {
  let s3: S3Client;
  let apps: string;
  let release: string;
  let report: StatusReport;
  let requests: Record<string, number>;
  /** `status APP_ID` for three apps */
  const detailed: Record<string, StatusReport> = {};

  beforeAll(async () => {
    // Prepare
    s3 = testClients().s3;
    apps = await uniqueBucket('status-apps');
    release = await uniqueBucket('status-release');

    // provisioned and judged
    const helloEtag = await put(s3, release, `${PREFIX}com.example.hello_1.0.0.zip`, 'hello bundle');
    await put(s3, apps, 'manifests/com.example.hello_1.0.0.json', '{}', {
      [MANIFEST_METADATA.runId]: 'run-5',
      [MANIFEST_METADATA.deployerVersion]: '0.1.0',
      [MANIFEST_METADATA.releaseKey]: `${PREFIX}com.example.hello_1.0.0.zip`,
      [MANIFEST_METADATA.bundleSha256]: 'ab'.repeat(32),
    });
    await put(
      s3,
      apps,
      markerKey({ stem: 'com.example.hello_1.0.0', etag: helloEtag, outcome: 'provisioned' }),
      '{}',
    );
    // provisioned long ago, release object since deleted; a manifest written by another tool (no metadata)
    await put(s3, apps, 'manifests/com.example.gone_3.0.0.json', '{}');
    // new: pending
    await put(s3, release, `${PREFIX}com.example.weather_2.0.0.zip`, 'weather bundle');
    // rejected, with its issues in the marker body
    const brokenEtag = await put(s3, release, `${PREFIX}com.example.broken_0.1.0.zip`, 'broken bundle');
    const brokenMarker: MarkerBody = {
      releaseKey: `${PREFIX}com.example.broken_0.1.0.zip`,
      etag: brokenEtag,
      outcome: 'rejected',
      validatorVersion: 1,
      runId: 'run-4',
      at: '2024-01-01T04:00:05.000Z',
      issues: [
        {
          severity: 'error',
          code: 'RUNTIME_BLOCKED',
          path: '$.aws_lambda[0].runtime',
          message: 'go1.x is blocked',
        },
        {
          severity: 'error',
          code: 'FUNCTION_ZIP_MISSING',
          path: '$.aws_lambda[1]',
          message: 'worker.zip is missing',
        },
      ],
    };
    await put(
      s3,
      apps,
      markerKey({ stem: 'com.example.broken_0.1.0', etag: brokenEtag, outcome: 'rejected' }),
      JSON.stringify(brokenMarker),
    );
    // rejected under an older validator: pending again
    const oldEtag = await put(s3, release, `${PREFIX}com.example.old_0.9.0.zip`, 'old bundle');
    await put(
      s3,
      apps,
      markerKey({ stem: 'com.example.old_0.9.0', etag: oldEtag, outcome: 'rejected', validatorVersion: 0 }),
      '{}',
    );
    // conflict
    const clashEtag = await put(s3, release, `${PREFIX}com.example.clash_1.0.0.zip`, 'other bytes');
    await put(s3, apps, 'manifests/com.example.clash_1.0.0.json', '{}');
    await put(
      s3,
      apps,
      markerKey({ stem: 'com.example.clash_1.0.0', etag: clashEtag, outcome: 'conflict' }),
      JSON.stringify({
        releaseKey: `${PREFIX}com.example.clash_1.0.0.zip`,
        etag: clashEtag,
        outcome: 'conflict',
        validatorVersion: 1,
        runId: 'run-6',
        at: '2024-01-01T06:00:01.000Z',
        message: 'other bytes than the provisioned bundle of com.example.clash 1.0.0',
      } satisfies MarkerBody),
    );
    // a non-canonical key, known
    const oddKey = `${PREFIX}My App.zip`;
    const oddEtag = await put(s3, release, oddKey, 'odd');
    await put(
      s3,
      apps,
      markerKey({ stem: nonCanonicalStem(oddKey), etag: oddEtag, outcome: 'rejected' }),
      JSON.stringify({
        releaseKey: oddKey,
        etag: oddEtag,
        outcome: 'rejected',
        validatorVersion: 1,
        runId: 'run-3',
        at: '2024-01-01T03:00:00.000Z',
        message: 'the key is not <prefix><app_id>_<version>.zip',
      } satisfies MarkerBody),
    );
    // run records: 6 good ones and a newest that is not JSON
    for (let i = 1; i <= 6; i++) {
      const r = runRecord(i, i === 4 || i === 3 ? 1 : 0);
      if (i === 3) r.error = { code: 'LOCK_LOST', message: 'this run lost the reconcile lock' };
      await put(
        s3,
        apps,
        `deployer/runs/${r.startedAt.replace(/:/g, '-')}_${r.runId}.json`,
        JSON.stringify(r),
      );
    }
    await put(s3, apps, 'deployer/runs/2024-01-01T07-00-00.000Z_run-7.json', 'not json {');
    // the lock
    await put(
      s3,
      apps,
      'deployer/lock',
      JSON.stringify({
        runId: 'run-8',
        host: 'cron-abc',
        pid: 7,
        startedAt: '2024-01-01T08:00:00.000Z',
        ttlSeconds: 300,
      }),
    );

    // Act
    const ports = testPorts();
    const where = { appsBucket: apps, releaseBucket: release, releasePrefix: PREFIX };
    report = await getStatus(ports.s3, where, { lockTtlSeconds: 300 });
    requests = ports.requests.snapshot();
    for (const appId of ['com.example.hello', 'com.example.broken', 'com.example.clash'])
      detailed[appId] = await getStatus(testPorts().s3, where, { lockTtlSeconds: 300, appId });
  });

  afterAll(() => s3.destroy());

  it('lists provisioned apps from the manifests listing alone: no request per manifest or marker', () => {
    expect(report.provisioned.map((a) => `${a.appId} ${a.version}`)).toEqual([
      'com.example.clash 1.0.0',
      'com.example.gone 3.0.0',
      'com.example.hello 1.0.0',
    ]);
    const listed = report.provisioned.find((a) => a.appId === 'com.example.hello')!;
    expect(Date.parse(listed.deployedAt ?? '')).toBeGreaterThan(Date.now() - 10 * 60_000);
    expect(listed.runId).toBeUndefined();
    expect(report.details).toBe(false);
    // the three listings and the runs listing; the lock, the 5 newest run records and the last verify's
    // summary: nothing per bundle
    expect(requests).toEqual({ 'S3.ListObjectsV2': 4, 'S3.GetObject': 7 });
  });

  it('status APP_ID: that app only, with the metadata of each version', () => {
    const one = detailed['com.example.hello']!;
    expect(one).toMatchObject({ appId: 'com.example.hello', details: true, pending: [], rejected: [] });
    expect(one.provisioned).toHaveLength(1);
    const hello = one.provisioned[0]!;
    expect(hello).toMatchObject({
      manifestKey: 'manifests/com.example.hello_1.0.0.json',
      runId: 'run-5',
      deployerVersion: '0.1.0',
      releaseKey: `${PREFIX}com.example.hello_1.0.0.zip`,
      bundleSha256: 'ab'.repeat(32),
    });
    expect(Date.parse(hello.deployedAt ?? '')).toBeGreaterThan(Date.now() - 10 * 60_000);
  });

  it("shows what the next reconcile will do, with the plan's own rules", () => {
    expect(report.pending.map((p) => [p.releaseKey, p.action])).toEqual([
      [`${PREFIX}com.example.old_0.9.0.zip`, 'recheck-rejected'],
      [`${PREFIX}com.example.weather_2.0.0.zip`, 'provision'],
    ]);
    expect(report.upToDate).toBe(1);
  });

  it('shows rejections and conflicts with the reasons their markers recorded', () => {
    expect(report.rejected.map((r) => r.releaseKey).sort()).toEqual([
      `${PREFIX}My App.zip`,
      `${PREFIX}com.example.broken_0.1.0.zip`,
    ]);
    // from the listings: the verdict and its marker; the marker's body only with `status APP_ID`
    expect(report.rejected.find((r) => r.appId === 'com.example.broken')).toMatchObject({
      markerKey: expect.stringContaining('deployer/seen/com.example.broken_0.1.0/'),
      issues: [],
    });
    const broken = detailed['com.example.broken']!.rejected[0]!;
    expect(broken.runId).toBe('run-4');
    expect(broken.at).toBe('2024-01-01T04:00:05.000Z');
    expect(broken.issues.map((i) => i.path)).toEqual(['$.aws_lambda[0].runtime', '$.aws_lambda[1]']);
    const odd = report.rejected.find((r) => r.appId === undefined)!;
    expect(odd.message).toMatch(/not canonical/);
    expect(report.conflicts).toHaveLength(1);
    expect(report.failed).toEqual([]);
    expect(detailed['com.example.clash']!.conflicts[0]).toMatchObject({
      appId: 'com.example.clash',
      version: '1.0.0',
      runId: 'run-6',
      message: 'other bytes than the provisioned bundle of com.example.clash 1.0.0',
    });
  });

  it('shows the last five run records, newest first, and says which could not be read', () => {
    expect(report.runs.map((r) => r.runId)).toEqual(['run-6', 'run-5', 'run-4', 'run-3']);
    expect(report.runs[2]).toMatchObject({
      exitCode: 1,
      durationMs: 4000,
      requests: 7,
      counts: { provisioned: 4, skipped: 2 },
    });
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toContain('deployer/runs/2024-01-01T07-00-00.000Z_run-7.json');
  });

  it('shows who holds the lock and when it goes stale', () => {
    expect(report.lock).toMatchObject({ held: true, runId: 'run-8', host: 'cron-abc', pid: 7 });
    if (!report.lock.held) throw new Error('lock not held');
    expect(Date.parse(report.lock.staleAfter!) - Date.parse(report.lock.since!)).toBe(300_000);
  });

  it('prints all of it for humans', () => {
    const text = formatStatus(report);
    expect(text).toContain('Lock: held by run run-8 on cron-abc (pid 7)');
    expect(text).toContain('Provisioned apps (3)');
    expect(text).toMatch(/com\.example\.hello +1\.0\.0 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/m);
    expect(text).toContain('Pending (2)');
    expect(text).toMatch(/provision +com\.example\.weather +2\.0\.0/);
    expect(text).toContain('Rejected (2)');
    expect(text).toContain('`apps-deployer status APP_ID`');
    const one = formatStatus(detailed['com.example.broken']!);
    expect(one).toContain('    error  $.aws_lambda[0].runtime: go1.x is blocked');
    expect(formatStatus(detailed['com.example.hello']!)).toMatch(
      /com\.example\.hello +1\.0\.0 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +run-5/,
    );
    expect(text).toContain('Conflicts (1)');
    expect(text).toMatch(/2024-01-01 04:00:00Z +reconcile +4\.0s +1 +7 +4 provisioned · 2 unchanged +run-4/);
    expect(text).toContain('Last runs (4 of 7, newest first; `status --runs N` shows more)');
    expect(text).toMatch(/3 provisioned · 2 unchanged · run failed: LOCK_LOST +run-3/);
    expect(text).toContain('Could not read (1)');
  });
});

describe('getStatus on empty buckets', () => {
  it('reports nothing, a free lock and no runs', async () => {
    const apps = await uniqueBucket('status-empty');
    const report = await getStatus(testPorts().s3, {
      appsBucket: apps,
      releaseBucket: apps,
      releasePrefix: PREFIX,
    });
    expect(report).toMatchObject({
      provisioned: [],
      pending: [],
      rejected: [],
      conflicts: [],
      runs: [],
      upToDate: 0,
      lock: { held: false },
    });
    expect(formatStatus(report)).toContain('Lock: free');
  });

  it('names the bucket that does not exist', async () => {
    await expect(
      getStatus(testPorts({}).s3, {
        appsBucket: 'no-such-bucket-status-test',
        releaseBucket: 'no-such-bucket-status-test',
        releasePrefix: PREFIX,
      }),
    ).rejects.toThrow(/s3:\/\/no-such-bucket-status-test.*(NoSuchBucket|does not exist)/);
  });
});
