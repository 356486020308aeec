/**
 * The reconcile lock against the emulator (moto server): conditional create, expiry by S3's clock,
 * takeover of a stale lock, renewal, loss, release, unlock.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createAwsPorts } from '../../../src/aws/clients';
import { ExitCode } from '../../../src/errors';
import { silentLogger } from '../../../src/log';
import { LockChangedError, LockHeldError, LockLostError } from '../../../src/reconcile/errors';
import { ReconcileLock, readLock, removeLock } from '../../../src/reconcile/lock';
import { testAwsConfig, testClients, testPorts, uniqueBucket } from '../../support/emulator';
import { startFaultProxy } from '../../support/fault-proxy';

jest.setTimeout(30_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let s3: S3Client;
beforeAll(() => {
  s3 = testClients().s3;
});
afterAll(() => s3.destroy());

function newLock(bucket: string, runId: string, ttlSeconds = 60) {
  const ports = testPorts();
  return {
    ports,
    lock: new ReconcileLock({
      s3: ports.lockS3 ?? ports.s3,
      bucket,
      runId,
      ttlSeconds,
      logger: silentLogger(),
      clock: ports.clock,
    }),
  };
}

async function lockBody(bucket: string): Promise<Record<string, unknown>> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'deployer/lock' }));
  return JSON.parse(await res.Body!.transformToString()) as Record<string, unknown>;
}

async function putForeignLock(bucket: string, ttlSeconds: number, runId = 'crashed-run'): Promise<void> {
  const body = { runId, host: 'gone-host', pid: 99, startedAt: new Date().toISOString(), ttlSeconds };
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'deployer/lock', Body: JSON.stringify(body) }));
}

/**
 * A proxy in front of the emulator that forwards every request but drops the answer (resets the
 * connection after the emulator has handled it) of each request `drop` selects.
 */
async function answerDroppingProxy(
  drop: (req: http.IncomingMessage) => boolean,
): Promise<{ url: string; dropped: () => number; close: () => Promise<void> }> {
  const target = new URL(testAwsConfig().endpoint!);
  let dropped = 0;
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (drop(req)) {
          answer.resume();
          answer.on('end', () => {
            dropped++;
            req.socket.destroy(); // the write happened; its answer never arrives
          });
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('reconcile lock (emulator)', () => {
  it('removes its own lock when every answer to the conditional create was lost', async () => {
    // Prepare: the answers to the lock's If-None-Match PUT are dropped after the emulator wrote it
    const bucket = await uniqueBucket('lock-lost-answer');
    const proxy = await answerDroppingProxy(
      (req) =>
        req.method === 'PUT' && req.url?.includes('deployer/lock') === true && 'if-none-match' in req.headers,
    );
    try {
      const ports = createAwsPorts({ ...testAwsConfig(), endpoint: proxy.url });
      const lock = new ReconcileLock({
        s3: ports.lockS3!,
        bucket,
        runId: 'run-lost-answer',
        ttlSeconds: 60,
        logger: silentLogger(),
        clock: ports.clock,
      });

      // Act
      const err = await lock.acquire().catch((e: unknown) => e);

      // Assess: the run could not take the lock; no lock of its own is left for the next runs
      expect(err).toBeInstanceOf(Error);
      expect(proxy.dropped()).toBeGreaterThanOrEqual(1);
      expect(lock.held).toBe(false);
      await expect(
        s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'deployer/lock' })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
      const next = newLock(bucket, 'next-run').lock;
      await next.acquire();
      await next.release();
    } finally {
      await proxy.close();
    }
  });

  it('feeds the S3 clock from response Date headers', async () => {
    const bucket = await uniqueBucket('lock-clock');
    const ports = testPorts();
    expect(ports.clock?.synced).toBe(false);
    await ports.s3.listObjectsV2({ Bucket: bucket });
    const now = ports.clock?.now();
    expect(now).toBeInstanceOf(Date);
    expect(Math.abs(now!.getTime() - Date.now())).toBeLessThan(5_000);
  });

  it('takes a free lock, writes its holder, releases it with If-Match', async () => {
    const bucket = await uniqueBucket('lock-free');
    const { lock } = newLock(bucket, 'run-a');
    await lock.acquire();
    expect(await lockBody(bucket)).toMatchObject({ runId: 'run-a', pid: process.pid, ttlSeconds: 60 });
    await lock.release();
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'deployer/lock' })),
    ).rejects.toMatchObject({
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('refuses a live lock of another run with exit 3 and takes over an expired one', async () => {
    const bucket = await uniqueBucket('lock-stale');
    await putForeignLock(bucket, 30);
    // Act + Assess: live → refused, exit 3, naming the holder
    const live = await newLock(bucket, 'run-b')
      .lock.acquire()
      .catch((e: unknown) => e);
    expect(live).toBeInstanceOf(LockHeldError);
    expect((live as LockHeldError).exitCode).toBe(ExitCode.Locked);
    expect((live as LockHeldError).message).toContain('crashed-run on gone-host (pid 99)');
    // a crashed run's lock with a 1 s TTL...
    await putForeignLock(bucket, 1);
    // ...and expired 2.5 s later: taken over with If-Match on its ETag
    await sleep(2_500);
    const { lock } = newLock(bucket, 'run-b');
    await lock.acquire();
    expect((await lockBody(bucket)).runId).toBe('run-b');
    await lock.release();
  });

  it('lets exactly one of two simultaneous runs take the lock', async () => {
    const bucket = await uniqueBucket('lock-race');
    // AWS decides concurrent conditional creates of one key atomically; moto 5.2.5 checks, then writes,
    // unlocked (two simultaneous creates both answer 200 in up to 2% of tries): the proxy forwards them
    // one at a time, as AWS decides them (test/support/fault-proxy.ts, atomicConditionalWrites)
    const proxy = await startFaultProxy({ target: testAwsConfig().endpoint!, atomicConditionalWrites: true });
    const viaProxy = (runId: string): ReconcileLock => {
      const ports = createAwsPorts({ ...testAwsConfig(), endpoint: proxy.url });
      return new ReconcileLock({
        s3: ports.lockS3 ?? ports.s3,
        bucket,
        runId,
        ttlSeconds: 60,
        logger: silentLogger(),
        clock: ports.clock,
      });
    };
    try {
      const a = viaProxy('run-1');
      const b = viaProxy('run-2');
      const results = await Promise.allSettled([a.acquire(), b.acquire()]);
      const ok = results.filter((r) => r.status === 'fulfilled');
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.reason).toBeInstanceOf(LockHeldError);
      const winner = a.held ? a : b;
      expect((await lockBody(bucket)).runId).toBe(a.held ? 'run-1' : 'run-2');
      await winner.release();
    } finally {
      await proxy.close();
    }
  });

  it('renews on its timer, and stops every write once another run took the lock', async () => {
    // Prepare: TTL 3 s → renewal every second
    const bucket = await uniqueBucket('lock-renew');
    const { lock } = newLock(bucket, 'run-c', 3);
    await lock.acquire();
    const etag0 = lock.currentEtag;
    await sleep(1_500);
    expect(lock.currentEtag).not.toBe(etag0); // renewed (the body carries renewedAt)
    expect(() => lock.assertCanWrite()).not.toThrow();
    // Act: another deployer overwrites the lock (e.g. took it over after a long pause of ours)
    await putForeignLock(bucket, 300, 'intruder');
    await sleep(1_500);
    // Assess
    expect(lock.lost).toBe(true);
    expect(() => lock.assertCanWrite()).toThrow(LockLostError);
    await lock.release(); // does not delete the intruder's lock
    expect((await lockBody(bucket)).runId).toBe('intruder');
  });

  it('reads the lock for unlock and removes it only with its current ETag', async () => {
    const bucket = await uniqueBucket('lock-unlock');
    const ports = testPorts();
    expect(await readLock(ports.s3, bucket, { clock: ports.clock, fallbackTtlSeconds: 300 })).toBeUndefined();
    await putForeignLock(bucket, 300);
    const state = await readLock(ports.s3, bucket, { clock: ports.clock, fallbackTtlSeconds: 300 });
    expect(state).toMatchObject({ expired: false, holder: { runId: 'crashed-run', host: 'gone-host' } });
    // the lock changes after it was shown: removal refused
    await putForeignLock(bucket, 300, 'newer-run');
    await expect(removeLock(ports.s3, bucket, state!.etag)).rejects.toBeInstanceOf(LockChangedError);
    const now = await readLock(ports.s3, bucket, { clock: ports.clock, fallbackTtlSeconds: 300 });
    await removeLock(ports.s3, bucket, now!.etag.replace(/"/g, ''));
    expect(await readLock(ports.s3, bucket, { clock: ports.clock, fallbackTtlSeconds: 300 })).toBeUndefined();
  });
});
