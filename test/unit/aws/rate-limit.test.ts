/**
 * The token bucket of the Lambda control plane, with a fake clock: bursts up to the bucket size, then
 * one request per 1/rate seconds, in arrival order.
 */
import { QuotaPools, quotaPoolOf, type QuotaPool } from '../../../src/aws/rate-limit';
import { TokenBucket } from '../../../src/aws/rate-limit';

function fakeTime() {
  const t = { now: 0, sleeps: [] as number[] };
  return {
    t,
    now: () => t.now,
    sleep: async (ms: number) => {
      t.sleeps.push(ms);
      t.now += ms;
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst through, then spaces requests at the rate', async () => {
    // Prepare
    const time = fakeTime();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 3, now: time.now, sleep: time.sleep });
    const granted: number[] = [];

    // Act: 7 concurrent takers
    await Promise.all(Array.from({ length: 7 }, () => bucket.take().then(() => granted.push(time.t.now))));

    // Assess: 3 at once, then one every 100 ms
    expect(granted).toEqual([0, 0, 0, 100, 200, 300, 400]);
  });

  it('refills while idle, never above the burst', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 2, now: time.now, sleep: time.sleep });
    await bucket.take();
    await bucket.take();
    time.t.now += 60_000; // a long idle time refills to the burst only
    const granted: number[] = [];
    for (let i = 0; i < 3; i++) {
      await bucket.take();
      granted.push(time.t.now - 60_000);
    }
    expect(granted).toEqual([0, 0, 500]);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
  });
});

describe('quotaPoolOf: each call counted in the pool AWS counts it in', () => {
  // Lambda's quotas: GetFunction 100/s and GetPolicy 15/s have pools of their own; Invoke is limited by
  // concurrency; every other control-plane call shares one pool of 15/s per account
  const table: [service: string, operation: string, pool: QuotaPool][] = [
    ['Lambda', 'GetFunction', 'lambdaGetFunction'],
    ['Lambda', 'GetPolicy', 'lambdaGetPolicy'],
    ['Lambda', 'Invoke', 'unlimited'],
    ['Lambda', 'CreateFunction', 'lambdaControl'],
    ['Lambda', 'UpdateFunctionCode', 'lambdaControl'],
    ['Lambda', 'UpdateFunctionConfiguration', 'lambdaControl'],
    ['Lambda', 'GetFunctionConfiguration', 'lambdaControl'],
    ['Lambda', 'TagResource', 'lambdaControl'],
    ['Lambda', 'UntagResource', 'lambdaControl'],
    ['Lambda', 'ListTags', 'lambdaControl'],
    ['Lambda', 'PutFunctionConcurrency', 'lambdaControl'],
    ['Lambda', 'DeleteFunction', 'lambdaControl'],
    ['Lambda', 'SomeFutureOperation', 'lambdaControl'],
    ['IAM', 'GetRole', 'iam'],
    ['IAM', 'CreatePolicyVersion', 'iam'],
    ['S3', 'PutObject', 'unlimited'],
  ];
  it.each(table)('%s.%s → %s', (service, operation, pool) => {
    expect(quotaPoolOf(service, operation)).toBe(pool);
  });
});

describe('QuotaPools', () => {
  function fakeClock() {
    const t = { now: 0 };
    return { t, now: () => t.now, sleep: async (ms: number) => void (t.now += ms) };
  }

  afterEach(() => jest.useRealTimers());

  it('spaces the shared pool at its rate while GetFunction polls pass at their own', async () => {
    // Prepare: the shared pool at 15/s (burst 15), GetFunction at 100/s (burst 100), on fake timers
    jest.useFakeTimers();
    const pools = new QuotaPools({ lambdaControl: 15 });
    let control = 0;
    let polls = 0;

    // Act: 30 control-plane takes, then 90 GetFunction takes (a waiter's polls)
    const all = Promise.all([
      ...Array.from({ length: 30 }, () => pools.take('lambdaControl').then(() => control++)),
      ...Array.from({ length: 90 }, () => pools.take('lambdaGetFunction').then(() => polls++)),
    ]);
    await jest.advanceTimersByTimeAsync(0);
    const atStart = { control, polls };
    await jest.advanceTimersByTimeAsync(500);
    const atHalf = control;
    await jest.advanceTimersByTimeAsync(600);
    await all;

    // Assess: the burst of 15, then 1/15 s apart; the polls never wait behind the shared pool
    expect(atStart).toEqual({ control: 15, polls: 90 });
    expect(atHalf).toBeGreaterThanOrEqual(21);
    expect(atHalf).toBeLessThanOrEqual(23);
    expect(control).toBe(30);
  });

  it('lets unlimited calls through at once', async () => {
    const clock = fakeClock();
    const pools = new QuotaPools({ lambdaControl: 1 }, clock);
    await Promise.all(Array.from({ length: 50 }, () => pools.take('unlimited')));
    expect(clock.t.now).toBe(0);
  });
});
