/**
 * Conditional DeleteObject on the test backend, for the lock (release, `unlock --etag`).
 * moto implements If-Match on DeleteObject like AWS; LocalStack 4.14 answers 501 NotImplemented
 * (localstack#13894), and the deployer falls back to read, compare the ETag, delete (an endpoint is
 * configured). Each test first asks the backend which of the two it does and says so.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { run as unlockCommand } from '../../../src/cli/commands/unlock';
import { ExitCode } from '../../../src/errors';
import type { Logger } from '../../../src/log';
import { silentLogger } from '../../../src/log';
import { LockChangedError } from '../../../src/reconcile/errors';
import { ReconcileLock, readLock } from '../../../src/reconcile/lock';
import {
  backendName,
  conditionalDeleteMode,
  testClients,
  testPorts,
  uniqueBucket,
} from '../../support/emulator';

jest.setTimeout(30_000);

let s3: S3Client;
beforeAll(() => {
  s3 = testClients().s3;
});
afterAll(() => s3.destroy());

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = silentLogger();
  logger.warn = ((obj: unknown, msg?: string) =>
    warnings.push(typeof obj === 'string' ? obj : (msg ?? ''))) as Logger['warn'];
  return { logger, warnings };
}

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

describe(`conditional delete of the lock (${backendName()})`, () => {
  it('a run releases its lock, whichever conditional delete the backend has', async () => {
    const bucket = await uniqueBucket('cdel-release');
    const mode = await conditionalDeleteMode();
    console.log(`lock release on ${backendName()}: conditional DeleteObject ${mode}`);
    const ports = testPorts();
    const { logger, warnings } = recordingLogger();
    const lock = new ReconcileLock({
      s3: ports.s3,
      bucket,
      runId: 'run-x',
      ttlSeconds: 60,
      logger,
      clock: ports.clock,
    });
    await lock.acquire();
    expect(await exists(bucket, 'deployer/lock')).toBe(true);
    await lock.release();
    expect(await exists(bucket, 'deployer/lock')).toBe(false);
    const fallbackWarnings = warnings.filter((w) => /does not implement conditional DeleteObject/.test(w));
    expect(fallbackWarnings).toHaveLength(mode === 'fallback' ? 1 : 0);
    expect(warnings.filter((w) => /not released/.test(w))).toEqual([]);
  });

  it('`unlock --etag` removes the lock only with its current ETag', async () => {
    const bucket = await uniqueBucket('cdel-unlock');
    const mode = await conditionalDeleteMode();
    console.log(`unlock --etag on ${backendName()}: conditional DeleteObject ${mode}`);
    const body = (runId: string) =>
      JSON.stringify({
        runId,
        host: 'gone-host',
        pid: 7,
        startedAt: new Date().toISOString(),
        ttlSeconds: 300,
      });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'deployer/lock', Body: body('old-run') }));
    const ports = testPorts();
    const shown = await readLock(ports.s3, bucket, { fallbackTtlSeconds: 300 });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'deployer/lock', Body: body('newer-run') }));
    const current = await readLock(ports.s3, bucket, { fallbackTtlSeconds: 300 });
    expect(current!.etag).not.toBe(shown!.etag);

    const saved = process.env.MM_APPS_S3_BUCKET;
    const out: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      process.env.MM_APPS_S3_BUCKET = bucket;
      // the ETag shown before the lock changed: refused, the lock stays
      await expect(unlockCommand({ etag: shown!.etag.replace(/"/g, '') })).rejects.toBeInstanceOf(
        LockChangedError,
      );
      expect(await exists(bucket, 'deployer/lock')).toBe(true);
      // its current ETag: removed
      expect(await unlockCommand({ etag: current!.etag.replace(/"/g, '') })).toBe(ExitCode.Ok);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
      if (saved === undefined) delete process.env.MM_APPS_S3_BUCKET;
      else process.env.MM_APPS_S3_BUCKET = saved;
    }
    expect(out.join('')).toMatch(/lock removed \(ETag /);
    expect(await exists(bucket, 'deployer/lock')).toBe(false);
  });
});
