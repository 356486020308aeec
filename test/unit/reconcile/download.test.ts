/**
 * downloadRelease: a download is started again when AWS fails or does not answer (found by the fault
 * suite, bench/fault-suite.js: at 50% faults most bundles failed on their first download error, since
 * the SDK stops retrying once its client's retry quota is spent), never when the object changed.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';
import type { S3Port } from '../../../src/aws/ports';
import { DOWNLOAD_ATTEMPTS, downloadRelease } from '../../../src/reconcile/download';
import { DownloadError } from '../../../src/reconcile/errors';
import { s3Error } from './stubbed';

const bytes = Buffer.from('a release bundle');
const object = { bucket: 'rel', key: 'bundles/a_1.0.0.zip', etag: '"e1"' };
const reset = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' });

/** An S3 port whose getObject fails with `errors` in turn, then answers the bytes. */
function port(errors: Error[]): { s3: S3Port; calls: () => number } {
  let n = 0;
  const s3 = {
    getObject: async () => {
      const e = errors[n++];
      if (e) throw e;
      return { Body: Readable.from([bytes]), $metadata: {} } as unknown as GetObjectCommandOutput;
    },
  } as unknown as S3Port;
  return { s3, calls: () => n };
}

describe('downloadRelease', () => {
  let dir: string;
  const sleeps: number[] = [];
  const sleep = async (ms: number) => void sleeps.push(ms);
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'download-test-'));
    sleeps.length = 0;
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('starts again after a 5xx, throttling or a reset, and hashes the bytes it finally got', async () => {
    const p = port([s3Error(500, 'InternalError'), s3Error(503, 'SlowDown'), reset()]);
    const file = path.join(dir, 'b.zip');
    const got = await downloadRelease(p.s3, object, file, undefined, sleep);
    expect(got.sha256Hex).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await readFile(file)).toEqual(bytes);
    expect(p.calls()).toBe(4);
    expect(sleeps).toEqual([500, 1_000, 2_000]);
  });

  it(`gives up after ${DOWNLOAD_ATTEMPTS} attempts with a transient DownloadError`, async () => {
    const p = port(Array.from({ length: DOWNLOAD_ATTEMPTS + 1 }, () => s3Error(500, 'InternalError')));
    const err = await downloadRelease(p.s3, object, path.join(dir, 'b.zip'), undefined, sleep).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).code).toBe('DOWNLOAD_FAILED');
    expect(p.calls()).toBe(DOWNLOAD_ATTEMPTS);
  });

  it('does not start again when the object changed or access is denied', async () => {
    const changed = port([s3Error(412, 'PreconditionFailed')]);
    const e1 = await downloadRelease(changed.s3, object, path.join(dir, 'b.zip'), undefined, sleep).catch(
      (e: unknown) => e,
    );
    expect((e1 as DownloadError).code).toBe('RELEASE_CHANGED');
    expect(changed.calls()).toBe(1);
    const denied = port([s3Error(403, 'AccessDenied')]);
    await expect(
      downloadRelease(denied.s3, object, path.join(dir, 'c.zip'), undefined, sleep),
    ).rejects.toThrow(/AccessDenied|Access/);
    expect(denied.calls()).toBe(1);
  });
});
