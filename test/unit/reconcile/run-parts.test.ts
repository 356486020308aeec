import { UPLOAD_PART_SIZE, UPLOAD_QUEUE_SIZE } from '../../../src/aws/clients';
import { AwsConfigurationError, AwsUnavailableError } from '../../../src/aws/errors';
import { ExitCode } from '../../../src/errors';
import { silentLogger } from '../../../src/log';
import { LockLostError, RunAbortedError } from '../../../src/reconcile/errors';
import { ObserverDispatch } from '../../../src/reconcile/observe';
import { runPool } from '../../../src/reconcile/pool';
import {
  exitCodeOf,
  newReport,
  requestsSince,
  runRecordKey,
  writeRunRecord,
} from '../../../src/reconcile/report';
import type { S3Port } from '../../../src/aws/ports';
import { newRunId } from '../../../src/reconcile/run';
import { Semaphore, UPLOAD_BUFFER_BUDGET_BYTES, UPLOAD_SLOTS } from '../../../src/reconcile/upload-budget';
import type { BundleOutcome, BundleReport, RunObserver } from '../../../src/reconcile/types';

describe('runPool', () => {
  it('never runs more than `concurrency` at once and runs every item', async () => {
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    await runPool(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (n) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 1 + (n % 4)));
        active--;
        done.push(n);
      },
    );
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('starts no new item once told to stop, and says which were not started', async () => {
    let stop = false;
    const started: number[] = [];
    const { notStarted } = await runPool(
      [0, 1, 2, 3, 4],
      1,
      async (n) => {
        started.push(n);
        if (n === 1) stop = true;
      },
      () => stop,
    );
    expect(started).toEqual([0, 1]);
    expect(notStarted).toEqual([2, 3, 4]);
  });
});

describe('run report', () => {
  it('counts unchanged bundles and lists only what the run judged: its record does not grow with the fleet', async () => {
    // Prepare: 10,000 unchanged bundles (a few known) and one provisioned, one failed
    const unchanged = (i: number, action: BundleReport['action']): BundleReport => ({
      releaseKey: `bundles/app${i}_1.0.zip`,
      etag: '"0123456789abcdef0123456789abcdef"',
      appId: `app${i}`,
      version: '1.0',
      action,
      outcome: { status: 'skipped' },
      durationMs: 0,
    });
    const fleet = Array.from({ length: 10_000 }, (_, i) =>
      unchanged(i, i % 1000 === 0 ? 'known-rejection' : 'up-to-date'),
    );
    const failedOne: BundleReport = {
      ...unchanged(10_001, 'provision'),
      outcome: { status: 'failed', code: 'AWS_THROTTLED', message: 'Rate exceeded' },
    };
    const fields = {
      runId: 'r1',
      deployerVersion: '0',
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:00:01.000Z',
      durationMs: 1000,
      dryRun: false,
      requests: { 'S3.ListObjectsV2': 30 },
    };

    // Act
    const noop = newReport({ ...fields, bundles: fleet });
    const withWork = newReport({ ...fields, bundles: [...fleet, failedOne] });
    let written = '';
    const s3 = {
      putObject: async (input: { Body?: unknown }) => {
        written = String(input.Body);
        return {};
      },
    } as unknown as S3Port;
    await writeRunRecord(s3, 'apps', noop);

    // Assess
    expect(noop).toMatchObject({
      reportVersion: 2,
      exitCode: 0,
      counts: { skipped: 10_000 },
      unchanged: { 'up-to-date': 9_990, 'known-rejection': 10 },
      bundles: [],
    });
    expect(withWork.bundles).toEqual([failedOne]);
    expect(withWork.exitCode).toBe(1);
    expect(Buffer.byteLength(written)).toBeLessThan(1024);
  });

  const b = (outcome: BundleOutcome): BundleReport => ({
    releaseKey: 'k',
    etag: 'e',
    action: 'provision',
    outcome,
    durationMs: 1,
  });
  it('exits 1 only for failures, rejections and conflicts found in this run', () => {
    expect(exitCodeOf([b({ status: 'skipped' }), b({ status: 'identical' })], undefined)).toBe(0);
    expect(exitCodeOf([b({ status: 'rejected', issues: [] })], undefined)).toBe(1);
    expect(exitCodeOf([b({ status: 'conflict', message: 'm' })], undefined)).toBe(1);
    expect(exitCodeOf([b({ status: 'failed', code: 'X', message: 'm' })], undefined)).toBe(1);
    expect(exitCodeOf([], new Error('listing failed'))).toBe(1);
  });
  it('keeps the exit code of a run error that has one: 2 configuration, 4 unavailable, 143 SIGTERM', () => {
    const failed = [b({ status: 'failed', code: 'X', message: 'm' })];
    const config = new AwsConfigurationError('no bucket', {
      fix: 'set MM_APPS_S3_BUCKET',
      awsName: 'NoSuchBucket',
    });
    expect(exitCodeOf(failed, config)).toBe(ExitCode.Usage);
    expect(exitCodeOf([], new AwsUnavailableError('down', { awsName: 'ECONNREFUSED' }))).toBe(
      ExitCode.Unavailable,
    );
    expect(exitCodeOf(failed, new RunAbortedError('the run'))).toBe(ExitCode.Terminated);
    expect(exitCodeOf([], new LockLostError('deployer/lock', 'taken over'))).toBe(ExitCode.Failed);
  });
  it('counts only the requests of this run', () => {
    expect(requestsSince({ 'S3.PutObject': 2 }, { 'S3.PutObject': 5, 'S3.ListObjectsV2': 3 })).toEqual({
      'S3.PutObject': 3,
      'S3.ListObjectsV2': 3,
    });
  });
  it('names run records so that they sort by time', () => {
    expect(runRecordKey('2025-01-02T03:04:05.678Z', 'r1')).toBe(
      'deployer/runs/2025-01-02T03-04-05.678Z_r1.json',
    );
    expect(newRunId(new Date('2025-01-02T03:04:05.678Z'))).toMatch(/^20250102T030405Z-[0-9a-f]{6}$/);
  });
});

describe('ObserverDispatch', () => {
  it('delivers events in order per observer, and survives observers that throw or reject', async () => {
    const got: string[] = [];
    const slow: RunObserver = {
      planned: async () => {
        await new Promise((r) => setTimeout(r, 20));
        got.push('planned');
      },
      runDone: () => void got.push('runDone'),
    };
    const broken: RunObserver = {
      planned: () => {
        throw new Error('sync bug');
      },
      runDone: () => Promise.reject(new Error('async bug')),
    };
    const d = new ObserverDispatch([broken, slow], silentLogger());
    d.emit('planned', {} as never);
    d.emit('runDone', {} as never);
    expect(got).toEqual([]); // the caller never waits
    await d.drain();
    expect(got).toEqual(['planned', 'runDone']);
  });
});

describe('upload budget', () => {
  it('lets at most `slots` uploads run at once across workers, in order', async () => {
    const gate = new Semaphore(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        gate.use(async () => {
          active++;
          peak = Math.max(peak, active);
          order.push(i);
          await new Promise((r) => setTimeout(r, 5));
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps the part buffers of a run within its budget', () => {
    expect(UPLOAD_SLOTS).toBeGreaterThanOrEqual(1);
    expect(UPLOAD_SLOTS * (UPLOAD_QUEUE_SIZE + 1) * UPLOAD_PART_SIZE).toBeLessThanOrEqual(
      Math.max(UPLOAD_BUFFER_BUDGET_BYTES, (UPLOAD_QUEUE_SIZE + 1) * UPLOAD_PART_SIZE),
    );
  });
});
