import { Readable } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { HttpResponse } from '@smithy/core/protocols';
import { ClientPool, poolLike, sharedPartsOf, type PoolableClient } from '../../../src/aws/client-pool';

/** A client that records how many requests it serves at once. */
class FakeClient {
  inFlight = 0;
  maxInFlight = 0;
  served = 0;
  async send(ms: number): Promise<FakeClient> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.inFlight -= 1;
    this.served += 1;
    return this;
  }
}

function fakePool(max: number): { pool: ClientPool<FakeClient>; made: FakeClient[]; overflow: FakeClient } {
  const made: FakeClient[] = [];
  const overflow = new FakeClient();
  const pool = new ClientPool(
    async () => {
      const c = new FakeClient();
      made.push(c);
      return c;
    },
    max,
    overflow,
  );
  return { pool, made, overflow };
}

describe('ClientPool', () => {
  it('never gives a pooled client two requests at once, and grows only to the requests in flight', async () => {
    const { pool, made, overflow } = fakePool(16);
    for (let wave = 0; wave < 3; wave += 1) {
      await Promise.all(Array.from({ length: 5 }, (_, i) => pool.use((c) => c.send(1 + i))));
    }
    expect(pool.size).toBe(5);
    expect(made).toHaveLength(5);
    for (const c of made) {
      expect(c.maxInFlight).toBe(1);
      expect(c.served).toBe(3);
    }
    expect(overflow.served).toBe(0);
  });

  it('makes at most `max` clients; the overflow client serves the rest', async () => {
    const { pool, made, overflow } = fakePool(3);
    await Promise.all(Array.from({ length: 8 }, () => pool.use((c) => c.send(5))));
    expect(pool.size).toBe(3);
    expect(made).toHaveLength(3);
    for (const c of made) expect(c.maxInFlight).toBe(1);
    expect(overflow.served).toBe(5);
    expect(overflow.maxInFlight).toBe(5);
  });

  it('reuses an idle client for sequential requests', async () => {
    const { pool } = fakePool(16);
    const first = await pool.use((c) => c.send(0));
    const second = await pool.use((c) => c.send(0));
    expect(second).toBe(first);
    expect(pool.size).toBe(1);
  });

  it('takes a client back when its request fails, and passes the error on', async () => {
    const { pool } = fakePool(16);
    await expect(
      pool.use(async () => {
        throw new Error('AccessDenied');
      }),
    ).rejects.toThrow('AccessDenied');
    await pool.use((c) => c.send(0));
    expect(pool.size).toBe(1);
  });

  it('passes on a failure to make a client, and makes one on the next request', async () => {
    let calls = 0;
    const pool = new ClientPool(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error('no credentials');
        return new FakeClient();
      },
      1,
      new FakeClient(),
    );
    await expect(pool.use((c) => c.send(0))).rejects.toThrow('no credentials');
    await expect(pool.use((c) => c.send(0))).resolves.toBeInstanceOf(FakeClient);
    expect(pool.size).toBe(1);
  });
});

describe('sharedPartsOf', () => {
  const template = (retryStrategy: () => Promise<unknown>): PoolableClient => ({
    config: {
      requestHandler: { id: 'sockets' },
      retryStrategy,
      credentials: 'provider',
      systemClockOffset: 0,
    },
  });

  it("resolves the template's retry strategy once and shares its handler and credentials", async () => {
    const strategy = { mode: 'adaptive' };
    const retryStrategy = jest.fn(async () => strategy);
    const shared = sharedPartsOf(template(retryStrategy));
    const [a, b] = await Promise.all([shared(), shared()]);
    expect(a).toBe(b);
    expect(a).toEqual({
      requestHandler: { id: 'sockets' },
      retryStrategy: strategy,
      credentials: 'provider',
    });
    expect(retryStrategy).toHaveBeenCalledTimes(1);
  });

  it('tries again after the retry strategy failed to resolve', async () => {
    const retryStrategy = jest
      .fn<Promise<unknown>, []>()
      .mockRejectedValueOnce(new Error('bad max attempts'))
      .mockResolvedValue('standard');
    const shared = sharedPartsOf(template(retryStrategy));
    await expect(shared()).rejects.toThrow('bad max attempts');
    await expect(shared()).resolves.toMatchObject({ retryStrategy: 'standard' });
  });
});

/**
 * Real SDK clients on a stub HTTP handler whose server clock is an hour ahead of the host's: S3 refuses
 * a request signed more than 15 minutes off (RequestTimeTooSkewed, with its Date), and the SDK corrects
 * its clock offset from that answer and retries.
 */
describe('poolLike, with real S3 clients', () => {
  const SKEW_MS = 3_600_000;
  function skewedServer() {
    const seen = { attempts: 0, skewRejected: 0 };
    const handler = {
      metadata: { handlerProtocol: 'http/1.1' },
      async handle(request: { headers: Record<string, string> }) {
        seen.attempts += 1;
        const amzDate = request.headers['x-amz-date'] ?? '';
        const signedAt = Date.parse(
          amzDate.replace(/(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/, '$1-$2-$3T$4:$5:$6Z'),
        );
        const now = Date.now() + SKEW_MS;
        const date = new Date(now).toUTCString();
        if (Math.abs(now - signedAt) > 15 * 60_000) {
          seen.skewRejected += 1;
          const body = `<Error><Code>RequestTimeTooSkewed</Code><Message>skewed</Message><ServerTime>${new Date(now).toISOString()}</ServerTime></Error>`;
          return {
            response: new HttpResponse({
              statusCode: 403,
              headers: { date, 'content-type': 'application/xml' },
              body: Readable.from([Buffer.from(body)]),
            }),
          };
        }
        return {
          response: new HttpResponse({
            statusCode: 200,
            headers: { date, 'content-length': '0' },
            body: Readable.from([]),
          }),
        };
      },
      updateHttpClientConfig: () => undefined,
      httpHandlerConfigs: () => ({}),
      destroy: () => undefined,
    };
    return { seen, handler };
  }

  function pooled(
    handler: unknown,
    credentials: () => Promise<{ accessKeyId: string; secretAccessKey: string }>,
  ) {
    const common = { region: 'us-east-1', maxAttempts: 3, retryMode: 'adaptive' };
    const template = new S3Client({
      ...common,
      credentials,
      requestHandler: handler as S3Client['config']['requestHandler'],
    });
    const made: S3Client[] = [];
    const pool = poolLike(
      template,
      (shared) => {
        const client = new S3Client({ ...common, ...shared, cacheMiddleware: true });
        made.push(client);
        return client;
      },
      4,
    );
    return { template, pool, made };
  }
  const head = (key: string) => (c: S3Client) => c.send(new HeadObjectCommand({ Bucket: 'b', Key: key }));

  it('learns a skewed clock once for every client of the pool', async () => {
    const { seen, handler } = skewedServer();
    const { template, pool, made } = pooled(handler, async () => ({
      accessKeyId: 'a',
      secretAccessKey: 'b',
    }));
    await pool.use(head('warm-up')); // refused once, corrected, retried
    expect(seen.skewRejected).toBe(1);
    for (let wave = 0; wave < 3; wave += 1)
      await Promise.all(Array.from({ length: 6 }, (_, i) => pool.use(head(`k${i}`))));
    // 4 pooled clients and the template (overflow) all signed with the corrected clock
    expect(made).toHaveLength(4);
    expect(seen.skewRejected).toBe(1);
    expect(Math.abs(template.config.systemClockOffset - SKEW_MS)).toBeLessThan(5_000);
    for (const c of made) expect(c.config.systemClockOffset).toBe(template.config.systemClockOffset);
  });

  it("calls the template's credentials provider once for all the pool's clients", async () => {
    const { handler } = skewedServer();
    const credentials = jest.fn(async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }));
    const { pool, made } = pooled(handler, credentials);
    await Promise.all(Array.from({ length: 10 }, (_, i) => pool.use(head(`k${i}`))));
    expect(made).toHaveLength(4);
    expect(credentials).toHaveBeenCalledTimes(1);
  });
});
