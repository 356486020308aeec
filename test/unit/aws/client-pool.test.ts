import { ClientPool, sharedPartsOf } from '../../../src/aws/client-pool';

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

describe('ClientPool', () => {
  it('never gives one client two requests at once, and grows only to the requests in flight', async () => {
    const made: FakeClient[] = [];
    const pool = new ClientPool(async () => {
      const c = new FakeClient();
      made.push(c);
      return c;
    });
    // 3 waves of 5 concurrent requests
    for (let wave = 0; wave < 3; wave += 1) {
      await Promise.all(Array.from({ length: 5 }, (_, i) => pool.use((c) => c.send(1 + i))));
    }
    expect(pool.size).toBe(5);
    expect(made).toHaveLength(5);
    for (const c of made) {
      expect(c.maxInFlight).toBe(1);
      expect(c.served).toBe(3);
    }
  });

  it('reuses an idle client for sequential requests', async () => {
    const pool = new ClientPool(async () => new FakeClient());
    const first = await pool.use((c) => c.send(0));
    const second = await pool.use((c) => c.send(0));
    expect(second).toBe(first);
    expect(pool.size).toBe(1);
  });

  it('takes a client back when its request fails, and passes the error on', async () => {
    const pool = new ClientPool(async () => new FakeClient());
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
    const pool = new ClientPool(async () => {
      calls += 1;
      if (calls === 1) throw new Error('no credentials');
      return new FakeClient();
    });
    await expect(pool.use((c) => c.send(0))).rejects.toThrow('no credentials');
    await expect(pool.use((c) => c.send(0))).resolves.toBeInstanceOf(FakeClient);
    expect(pool.size).toBe(1);
  });
});

describe('sharedPartsOf', () => {
  it("resolves the template's retry strategy once and shares its handler and credentials", async () => {
    const strategy = { mode: 'adaptive' };
    const retryStrategy = jest.fn(async () => strategy);
    const template = {
      config: { requestHandler: { id: 'sockets' }, retryStrategy, credentials: 'provider' },
    };
    const shared = sharedPartsOf(template);
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
      .fn<Promise<string>, []>()
      .mockRejectedValueOnce(new Error('bad max attempts'))
      .mockResolvedValue('standard');
    const shared = sharedPartsOf({ config: { requestHandler: 1, retryStrategy, credentials: 2 } });
    await expect(shared()).rejects.toThrow('bad max attempts');
    await expect(shared()).resolves.toEqual({ requestHandler: 1, retryStrategy: 'standard', credentials: 2 });
  });
});
