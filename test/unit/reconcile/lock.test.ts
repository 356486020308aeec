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
  const slept: number[] = [];
  return {
    clock,
    slept,
    advance: (ms: number) => (local += ms),
    localNow: () => local,
    /** the lock's backoff waits: advance the local clock */
    sleep: async (ms: number) => {
      slept.push(ms);
      local += ms;
    },
  };
}

function newLock(c: ReturnType<typeof clocks>, ttlSeconds = 300, acquireRounds?: number) {
  return new ReconcileLock({
    ...(acquireRounds ? { acquireRounds } : {}),
    s3: ports().s3,
    bucket: 'apps',
    runId: 'my-run',
    ttlSeconds,
    logger: silentLogger(),
    clock: c.clock,
    localNow: c.localNow,
    sleep: c.sleep,
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

  it('retries a renewal throttled or failing until the loss deadline, then stops every write', async () => {
    // Prepare: TTL 60 s (the shortest allowed): loss deadline 45 s after the last confirmed write
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).resolves({ ETag: '"l1"' });
    s3Mock.on(PutObjectCommand, { IfMatch: '"l1"' }).rejects(s3Error(503, 'SlowDown'));
    const c = clocks();
    const lock = newLock(c, 60);
    await lock.acquire();
    c.advance(20_000); // the timer's first renewal

    // Act
    await lock.renew();

    // Assess: retried with backoff, never past 45 s, then lost
    const renewals = s3Mock.commandCalls(PutObjectCommand, { IfMatch: '"l1"' });
    expect(renewals.length).toBeGreaterThan(3);
    expect(c.localNow()).toBeLessThanOrEqual(45_000);
    expect(lock.lost).toBe(true);
    expect(() => lock.assertCanWrite()).toThrow(LockLostError);
    await lock.release();
  });

  it('keeps the lock when a renewal succeeds after throttling, within the deadline', async () => {
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).resolves({ ETag: '"l1"' });
    s3Mock
      .on(PutObjectCommand, { IfMatch: '"l1"' })
      .rejectsOnce(s3Error(503, 'SlowDown'))
      .rejectsOnce(s3Error(500, 'InternalError'))
      .resolves({ ETag: '"l2"' });
    const c = clocks();
    const lock = newLock(c, 60);
    await lock.acquire();
    c.advance(20_000);
    await lock.renew();
    expect(lock.held).toBe(true);
    expect(lock.currentEtag).toBe('"l2"');
    expect(c.slept).toEqual([500, 1000]);
    // confirmed at ~21.5 s: writes allowed until ~66.5 s
    c.advance(40_000);
    expect(() => lock.assertCanWrite()).not.toThrow();
    s3Mock.on(DeleteObjectCommand).resolves({});
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

  it('removes its own lock when the create failed for good but had landed (answer lost)', async () => {
    // Prepare: the create's answers are lost (5xx after the retries), yet the write landed
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).rejects(s3Error(500, 'InternalError'));
    s3Mock
      .on(GetObjectCommand)
      .resolves(lockObject({ ...other(), runId: 'my-run' }, '"mine"', new Date('2025-01-01T10:05:00Z')));
    s3Mock.on(DeleteObjectCommand).rejectsOnce(s3Error(503, 'SlowDown')).resolves({});
    const lock = newLock(clocks());

    // Act
    const err = await lock.acquire().catch((e: unknown) => e);

    // Assess: the run fails (transient), and the lock holding its run id is removed with If-Match
    expect(err).toBeInstanceOf(Error);
    expect(lock.held).toBe(false);
    const deletes = s3Mock.commandCalls(DeleteObjectCommand);
    expect(deletes).toHaveLength(2);
    expect(deletes[1]!.args[0].input).toMatchObject({ Key: 'deployer/lock', IfMatch: '"mine"' });
  });

  // found by the fault suite (bench/fault-suite.js, RELIABILITY.md): at 50% faults, runs exited 4 when
  // the create (3 attempts of the lock's client) or the read-back after its 412 failed
  it('tries again after a transient failure of the create or its read-back, and takes the lock', async () => {
    s3Mock
      .on(PutObjectCommand, { IfNoneMatch: '*' })
      .rejectsOnce(s3Error(503, 'SlowDown'))
      .rejectsOnce(s3Error(412, 'PreconditionFailed'))
      .resolves({ ETag: '"l2"' });
    s3Mock.on(GetObjectCommand).rejectsOnce(s3Error(500, 'InternalError')).rejects(s3Error(404, 'NoSuchKey'));
    s3Mock.on(DeleteObjectCommand).resolves({});
    const lock = newLock(clocks(), 300, 3);

    await lock.acquire();

    expect(lock.held).toBe(true);
    expect(lock.currentEtag).toBe('"l2"');
    await lock.release();
  });

  it('does not try again when access is denied, nor past its rounds', async () => {
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).rejects(s3Error(403, 'AccessDenied'));
    const lock = newLock(clocks(), 300, 3);
    await expect(lock.acquire()).rejects.toThrow(/AccessDenied/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
    s3Mock.reset();
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).rejects(s3Error(503, 'SlowDown'));
    s3Mock.on(GetObjectCommand).rejects(s3Error(404, 'NoSuchKey'));
    await expect(newLock(clocks(), 300, 3).acquire()).rejects.toThrow(/SlowDown/);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(3);
  });

  it("leaves another run's lock alone after a failed create", async () => {
    s3Mock.on(PutObjectCommand, { IfNoneMatch: '*' }).rejects(s3Error(500, 'InternalError'));
    s3Mock.on(GetObjectCommand).resolves(lockObject(other(), '"o1"', new Date('2025-01-01T10:05:00Z')));
    const lock = newLock(clocks());
    await expect(lock.acquire()).rejects.toBeInstanceOf(Error);
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('does not look for a lock of its own after a refusal such as AccessDenied (no write landed)', async () => {
    s3Mock.on(PutObjectCommand).rejects(s3Error(403, 'AccessDenied'));
    const c = clocks();
    await expect(newLock(c).acquire()).rejects.toBeInstanceOf(Error);
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(c.slept).toEqual([]);
  });

  it('retries a release failing transiently within its deadline', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"l1"' });
    s3Mock
      .on(DeleteObjectCommand)
      .rejectsOnce(s3Error(503, 'SlowDown'))
      .rejectsOnce(s3Error(500, 'InternalError'))
      .resolves({});
    const c = clocks();
    const lock = newLock(c);
    await lock.acquire();
    await lock.release();
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(3);
    expect(c.slept).toEqual([500, 1000]);
  });

  it('gives a release up at its deadline, without throwing', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"l1"' });
    s3Mock.on(DeleteObjectCommand).rejects(s3Error(503, 'SlowDown'));
    const c = clocks();
    const lock = newLock(c);
    await lock.acquire();
    await expect(lock.release()).resolves.toBeUndefined();
    expect(c.localNow()).toBeLessThanOrEqual(20_000);
    expect(s3Mock.commandCalls(DeleteObjectCommand).length).toBeGreaterThan(3);
  });

  it('releases its lock under the ETag of a renewal whose answer was lost', async () => {
    s3Mock.on(PutObjectCommand).resolves({ ETag: '"l1"' });
    s3Mock
      .on(DeleteObjectCommand, { IfMatch: '"l1"' })
      .rejects(s3Error(412, 'PreconditionFailed'))
      .on(DeleteObjectCommand, { IfMatch: '"l7"' })
      .resolves({});
    s3Mock
      .on(GetObjectCommand)
      .resolves(lockObject({ ...other(), runId: 'my-run' }, '"l7"', new Date('2025-01-01T10:05:00Z')));
    const lock = newLock(clocks());
    await lock.acquire();
    await lock.release();
    expect(s3Mock.commandCalls(DeleteObjectCommand, { IfMatch: '"l7"' })).toHaveLength(1);
  });
});
