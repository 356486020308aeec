/**
 * The fault proxy itself (test/support/fault-proxy.ts), with real SDK clients through it to the
 * emulator: how it names services and operations, each action (error, drop, delay, drop after
 * forwarding, hold), `times` / `skip`, that a seeded probability picks the same requests every time,
 * and that it can forward the conditional writes of one key one at a time (atomicConditionalWrites).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { testAwsConfig, uniqueBucket } from '../../support/emulator';
import { seededRandom, startFaultProxy, type FaultProxy } from '../../support/fault-proxy';

jest.setTimeout(60_000);

let proxy: FaultProxy;
let s3: S3Client;
let lambda: LambdaClient;
let iam: IAMClient;
let bucket: string;

beforeAll(async () => {
  proxy = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL ?? '', seed: 3 });
  const { region, credentials } = testAwsConfig();
  const common = { region, credentials, endpoint: proxy.url, maxAttempts: 1 };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  lambda = new LambdaClient(common);
  iam = new IAMClient(common);
  bucket = await uniqueBucket('proxy');
});
afterAll(async () => {
  s3.destroy();
  lambda.destroy();
  iam.destroy();
  await proxy.close();
});
afterEach(() => proxy.clearRules());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const errorOf = (p: Promise<unknown>) =>
  p
    .then(() => undefined)
    .catch((e: unknown) => e as Error & { name: string; $metadata?: { httpStatusCode?: number } });

describe('fault proxy', () => {
  it('forwards untouched requests and names their service and operation', async () => {
    const from = proxy.requests.length;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'a/b.txt', Body: 'x' }));
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'a/b.txt' }));
    await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/' }));
    await errorOf(lambda.send(new GetFunctionCommand({ FunctionName: 'no-such-fn' })));
    await errorOf(iam.send(new GetRoleCommand({ RoleName: 'no-such-role' })));
    expect(proxy.requests.slice(from).map((r) => [r.service, r.operation, r.key ?? ''])).toEqual([
      ['s3', 'PutObject', 'a/b.txt'],
      ['s3', 'HeadObject', 'a/b.txt'],
      ['s3', 'ListObjectsV2', ''],
      ['lambda', 'GetFunction', ''],
      ['iam', 'GetRole', ''],
    ]);
    expect(proxy.count({ service: 's3', bucket })).toBeGreaterThanOrEqual(3);
  });

  it('answers canned errors in each protocol, as the SDK parses them', async () => {
    proxy.addRule({
      match: { service: 's3', operation: 'GetObject' },
      action: { kind: 'error', status: 403, code: 'AccessDenied', message: 'no' },
    });
    proxy.addRule({
      match: { service: 'lambda' },
      action: { kind: 'error', status: 429, code: 'TooManyRequestsException' },
    });
    proxy.addRule({
      match: { service: 'iam' },
      action: { kind: 'error', status: 409, code: 'LimitExceeded' },
    });
    const s = await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'a/b.txt' })));
    expect([s?.name, s?.message, s?.$metadata?.httpStatusCode]).toEqual(['AccessDenied', 'no', 403]);
    const l = await errorOf(lambda.send(new GetFunctionCommand({ FunctionName: 'x' })));
    expect([l?.name, l?.$metadata?.httpStatusCode]).toEqual(['TooManyRequestsException', 429]);
    const i = await errorOf(iam.send(new GetRoleCommand({ RoleName: 'x' })));
    expect(i?.name).toBe('LimitExceededException'); // the SDK's class for IAM's LimitExceeded
  });

  it('honours times and skip: the first request passes, the second fails, the third passes', async () => {
    proxy.addRule({
      match: { operation: 'GetObject', key: 'k' },
      action: { kind: 'error', status: 503, code: 'SlowDown' },
      skip: 1,
      times: 1,
    });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'x' }));
    const results = [];
    for (let n = 0; n < 3; n++)
      results.push(
        (await errorOf(s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }))))?.name ?? 'ok',
      );
    expect(results).toEqual(['ok', 'SlowDown', 'ok']);
    // a HEAD answer has no body: the SDK can only name the error by its status, as with AWS
  });

  it('drops the connection, or forwards the write and drops the answer', async () => {
    proxy.addRule({ match: { operation: 'PutObject', key: 'dropped' }, action: { kind: 'drop' }, times: 1 });
    proxy.addRule({
      match: { operation: 'PutObject', key: 'written' },
      action: { kind: 'drop-after-forward' },
      times: 1,
    });
    expect(
      await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dropped', Body: 'x' }))),
    ).toBeDefined();
    expect(
      await errorOf(s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'written', Body: 'y' }))),
    ).toBeDefined();
    // the first never reached the emulator, the second did
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'dropped' }))))?.name).toBe(
      'NotFound',
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'written' }));
    expect(await got.Body?.transformToString()).toBe('y');
  });

  it('adds latency', async () => {
    proxy.addRule({ match: { operation: 'ListObjectsV2' }, action: { kind: 'delay', ms: 300 } });
    const t0 = Date.now();
    await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('holds a request until its gate opens, then forwards it', async () => {
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    proxy.addRule({ match: { operation: 'PutObject', key: 'gated' }, action: { kind: 'hold', until: gate } });
    const from = proxy.requests.length;
    const put = s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'gated', Body: 'g' }));
    while (!proxy.requests.slice(from).some((r) => r.key === 'gated')) await sleep(10);
    await sleep(200);
    // arrived, not forwarded
    expect((await errorOf(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'gated' }))))?.name).toBe(
      'NotFound',
    );
    open();
    await put;
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'gated' }));
    expect(await got.Body?.transformToString()).toBe('g');
  });

  it('forwards the conditional writes of one key one at a time with atomicConditionalWrites', async () => {
    // a stub upstream that answers each request after 200 ms and records how many of a path overlap
    const inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const upstream = http.createServer((req, res) => {
      const path = req.url ?? '';
      inFlight.set(path, (inFlight.get(path) ?? 0) + 1);
      most.set(path, Math.max(most.get(path) ?? 0, inFlight.get(path) ?? 0));
      req.resume();
      setTimeout(() => {
        inFlight.set(path, (inFlight.get(path) ?? 1) - 1);
        res.writeHead(200, { etag: '"e"' });
        res.end();
      }, 200);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const overlaps = async (atomicConditionalWrites: boolean) => {
      most.clear();
      const own = await startFaultProxy({ target, atomicConditionalWrites });
      const put = (path: string, headers: http.OutgoingHttpHeaders) =>
        new Promise<void>((resolve, reject) => {
          const req = http.request(`${own.url}${path}`, { method: 'PUT', headers }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end('body');
        });
      await Promise.all([
        ...[1, 2, 3].map(() => put('/b/deployer/lock', { 'if-none-match': '*' })),
        put('/b/deployer/lock', { 'if-match': '"e"' }),
        ...[1, 2].map(() => put('/b/other', { 'if-none-match': '*' })),
        ...[1, 2].map(() => put('/b/plain', {})),
      ]);
      await own.close();
      return Object.fromEntries(most);
    };
    try {
      expect(await overlaps(true)).toEqual({ '/b/deployer/lock': 1, '/b/other': 1, '/b/plain': 2 });
      expect(await overlaps(false)).toEqual({ '/b/deployer/lock': 4, '/b/other': 2, '/b/plain': 2 });
    } finally {
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  it("moves S3's Date header by setS3ClockOffset (the crash suite's stale lock)", async () => {
    const dateOf = async (): Promise<number> => {
      let date: string | undefined;
      const probe = new S3Client({ ...testAwsConfig(), endpoint: proxy.url, forcePathStyle: true });
      probe.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args);
          date = (out.response as { headers: Record<string, string> }).headers.date;
          return out;
        },
        { step: 'deserialize', priority: 'low' },
      );
      await probe.send(new ListObjectsV2Command({ Bucket: bucket }));
      probe.destroy();
      return Date.parse(date ?? '');
    };
    const before = await dateOf();
    proxy.setS3ClockOffset(120_000);
    const ahead = await dateOf();
    proxy.setS3ClockOffset(0);
    expect(ahead - before).toBeGreaterThanOrEqual(118_000);
    expect(ahead - before).toBeLessThan(130_000);
    expect((await dateOf()) - before).toBeLessThan(10_000);
  });

  it('reports every request to onRequest as it arrives, with its index', async () => {
    const seen: [number, string][] = [];
    const own = await startFaultProxy({
      target: process.env.AWS_ENDPOINT_URL ?? '',
      onRequest: (r, i) => seen.push([i, r.operation]),
    });
    const client = new S3Client({ ...testAwsConfig(), endpoint: own.url, forcePathStyle: true });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'hook.txt', Body: 'x' }));
    await client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'hook.txt' }));
    client.destroy();
    await own.close();
    expect(seen).toEqual([
      [0, 'PutObject'],
      [1, 'HeadObject'],
    ]);
  });

  it('a seeded probability faults the same requests on every run', () => {
    const draw = (seed: number) => {
      const r = seededRandom(seed);
      return Array.from({ length: 50 }, () => r() < 0.2);
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    const share = draw(42).filter(Boolean).length / 50;
    expect(share).toBeGreaterThan(0.05);
    expect(share).toBeLessThan(0.4);
  });
});
