/**
 * The token bucket of the Lambda control plane, with a fake clock: bursts up to the bucket size, then
 * one request per 1/rate seconds, in arrival order.
 */
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
