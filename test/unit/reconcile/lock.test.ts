import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ServerClock } from '../../../src/aws/server-clock';
import { ExitCode } from '../../../src/errors';
import { silentLogger } from '../../../src/log';
import { LockHeldError, LockLostError } from '../../../src/reconcile/errors';
import { ReconcileLock, readLock } from '../../../src/reconcile/lock';
import { s3Error, stubbedPorts } from './stubbed';

const s3Mock = mockClient(S3Client);
const ports = stubbedPorts;

function lockObject(body: object, etag: string, lastModified: Date) {
  const text = JSON.stringify(body);
  return {
    Body: { transformToString: async () => text } as never,
    ETag: etag,
    LastModified: lastModified,
  };
}
const other = (ttlSeconds = 300) => ({
  runId: 'other-run',
  host: 'node-7',
  pid: 42,
  startedAt: '2025-01-01T10:00:00.000Z',
  ttlSeconds,
});

/** A fake monotonic clock and S3 clock that says 10:05:00 at local 0. */
function clocks() {
  let local = 0;
  const clock = new ServerClock(() => local);
  clock.observe('Wed, 01 Jan 2025 10:05:00 GMT');
  return { clock, advance: (ms: number) => (local += ms), localNow: () => local };
}

function newLock(c: ReturnType<typeof clocks>, ttlSeconds = 300) {
  return new ReconcileLock({
    s3: ports().s3,
    bucket: 'apps',
    runId: 'my-run',
    ttlSeconds,
    logger: silentLogger(),
    clock: c.clock,
    localNow: c.localNow,
    host: 'me',
    pid: 1,
    startedAt: '2025-01-01T10:05:00.000Z',
  });
}

beforeEach(() => s3Mock.reset());
afterAll(() => s3Mock.restore());

describe('ServerClock', () => {
  it('is S3 Date + local elapsed, undefined before any response', () => {
    let local = 1000;
    const clock = new ServerClock(() => local);
    expect(clock.now()).toBeUndefined();
    clock.observe('Wed, 01 Jan 2025 10:00:00 GMT');
    local += 2500;
    expect(clock.now()?.toISOString()).toBe('2025-01-01T10:00:02.500Z');
    clock.observe('not a date');
    expect(clock.now()?.toISOString()).toBe('2025-01-01T10:00:02.500Z');
  });
});

describe('ReconcileLock', () => {
  it('takes a free lock with If-None-Match and writes who holds it', async () => {
    // Prepare
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"l1"' });
    const lock = newLock(clocks());
    // Act
    await lock.acquire();
    // Assess
    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'apps', Key: 'deployer/lock', IfNoneMatch: '*' });
    expect(JSON.parse(put.Body as string)).toEqual({
      runId: 'my-run',
      host: 'me',
      pid: 1,
      startedAt: '2025-01-01T10:05:00.000Z',
      ttlSeconds: 300,
    });
    expect(lock.held).toBe(true);
    expect(() => lock.assertCanWrite()).not.toThrow();
    await lock.release();
  });

  it('refuses a live lock held by another run: LockHeldError, exit 3, naming the holder', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error(412, 'PreconditionFailed'));
    // modified 2 minutes before S3's now, TTL 5 minutes: live
    s3Mock.on(GetObjectCommand).resolves(lockObject(other(), '"o1"', new Date('2025-01-01T10:03:00Z')));
    const lock = newLock(clocks());
    const err = await lock.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).exitCode).toBe(ExitCode.Locked);
    expect((err as LockHeldError).message).toContain(
      'run other-run on node-7 (pid 42) since 2025-01-01T10:00:00.000Z',
    );
    expect((err as LockHeldError).message).toContain('2025-01-01T10:08:00.000Z');
    expect((err as LockHeldError).describe()).toContain('apps-deployer unlock');
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
    expect(lock.held).toBe(false);
  });

  it('takes over a lock expired by S3 clock with If-Match on its ETag', async () => {
    s3Mock
      .on(PutObjectCommand, { IfNoneMatch: '*' })
      .rejects(s3Error(412, 'PreconditionFailed'))
      .on(PutObjectCommand, { IfMatch: '"o1"' })
      .resolves({ ETag: '"l2"' });
    // modified 6 minutes before S3's now, TTL 5 minutes: expired
    s3Mock.on(GetObjectCommand).resolves(lockObject(other(), '"o1"', new Date('2025-01-01T09:59:00Z')));
    const lock = newLock(clocks());
    await lock.acquire();
    expect(lock.held).toBe(true);
    expect(lock.currentEtag).toBe('"l2"');
    s3Mock.on(DeleteObjectCommand).resolves({});
    await lock.release();
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toMatchObject({
      Key: 'deployer/lock',
      IfMatch: '"l2"',
    });
  });

  it('judges expiry by the holder TTL and S3 clock, not by the local clock', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error(412, 'PreconditionFailed'));
    // 4 minutes old by S3's clock; holder TTL 10 minutes; the local wall clock is irrelevant
    s3Mock.on(GetObjectCommand).resolves(lockObject(other(600), '"o1"', new Date('2025-01-01T10:01:00Z')));
    const state = await readLock(ports().s3, 'apps', { clock: clocks().clock, fallbackTtlSeconds: 300 });
    expect(state).toMatchObject({ expired: false, etag: '"o1"', holder: { runId: 'other-run' } });
    expect(state?.expiresAt?.toISOString()).toBe('2025-01-01T10:11:00.000Z');
    await expect(newLock(clocks()).acquire()).rejects.toBeInstanceOf(LockHeldError);
  });

  it('recognizes its own create answered 412 after an SDK retry (run id read back)', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error(412, 'PreconditionFailed'));
    s3Mock
      .on(GetObjectCommand)
      .resolves(lockObject({ ...other(), runId: 'my-run' }, '"mine"', new Date('2025-01-01T10:05:00Z')));
    const lock = newLock(clocks());
    await lock.acquire();
    expect(lock.held).toBe(true);
    expect(lock.currentEtag).toBe('"mine"');
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
    await lock.release();
  });

  it('loses the race for a stale lock to another run: LockHeldError', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error(412, 'PreconditionFailed'));
    s3Mock
      .on(GetObjectCommand)
      .resolvesOnce(lockObject(other(), '"o1"', new Date('2025-01-01T09:00:00Z')))
      .resolves(lockObject({ ...other(), runId: 'third-run' }, '"o2"', new Date('2025-01-01T10:05:00Z')));
    const err = await newLock(clocks())
      .acquire()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as Error).message).toContain('third-run');
  });

  it('renews with If-Match on its ETag and follows the new ETag', async () => {
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).resolves({ ETag: '"l1"' });
    s3Mock.on(PutObjectCommand, { IfMatch: '"l1"' }).resolves({ ETag: '"l2"' });
    const c = clocks();
    const lock = newLock(c);
    await lock.acquire();
    c.advance(100_000);
    await lock.renew();
    expect(lock.currentEtag).toBe('"l2"');
    const body = JSON.parse(s3Mock.commandCalls(PutObjectCommand)[1]!.args[0].input.Body as string);
    expect(body).toMatchObject({ runId: 'my-run', renewedAt: expect.any(String) });
    // a renewal confirmed 100 s later keeps the lock alive past 0.75 × TTL after the start
    c.advance(150_000);
    expect(() => lock.assertCanWrite()).not.toThrow();
    await lock.release();
  });

  it('stops every write once a renewal fails', async () => {
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).resolves({ ETag: '"l1"' });
    s3Mock.on(PutObjectCommand, { IfMatch: '"l1"' }).rejects(s3Error(503, 'ServiceUnavailable'));
    const lock = newLock(clocks());
    await lock.acquire();
    await lock.renew();
    expect(lock.lost).toBe(true);
    expect(() => lock.assertCanWrite()).toThrow(LockLostError);
    await lock.release();
  });

  it('loses the lock when a renewal finds another run holding it', async () => {
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).resolves({ ETag: '"l1"' });
    s3Mock.on(PutObjectCommand, { IfMatch: '"l1"' }).rejects(s3Error(412, 'PreconditionFailed'));
    s3Mock.on(GetObjectCommand).resolves(lockObject(other(), '"o9"', new Date('2025-01-01T10:06:00Z')));
    const lock = newLock(clocks());
    await lock.acquire();
    await lock.renew();
    expect(() => lock.assertCanWrite()).toThrow(/taken over by run other-run/);
    s3Mock.on(DeleteObjectCommand).rejects(s3Error(412, 'PreconditionFailed'));
    await expect(lock.release()).resolves.toBeUndefined();
  });

  it('keeps the lock when a renewal answered 412 for its own retried write', async () => {
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).resolves({ ETag: '"l1"' });
    s3Mock.on(PutObjectCommand, { IfMatch: '"l1"' }).rejects(s3Error(412, 'PreconditionFailed'));
    s3Mock
      .on(GetObjectCommand)
      .resolves(lockObject({ ...other(), runId: 'my-run' }, '"l3"', new Date('2025-01-01T10:06:00Z')));
    const lock = newLock(clocks());
    await lock.acquire();
    await lock.renew();
    expect(lock.held).toBe(true);
    expect(lock.currentEtag).toBe('"l3"');
    await lock.release();
  });

  it('counts the lock lost when no renewal succeeded for 3/4 of the TTL', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"l1"' });
    const c = clocks();
    const lock = newLock(c, 100);
    await lock.acquire();
    c.advance(74_000);
    expect(() => lock.assertCanWrite()).not.toThrow();
    c.advance(2_000);
    expect(() => lock.assertCanWrite()).toThrow(/no renewal succeeded/);
    await lock.release();
  });

  it('rejects writes after release', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"l1"' });
    s3Mock.on(DeleteObjectCommand).resolves({});
    const lock = newLock(clocks());
    await lock.acquire();
    await lock.release();
    expect(() => lock.assertCanWrite()).toThrow(LockLostError);
  });
});
