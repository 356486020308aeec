/**
 * The pooled SDK clients (src/aws/client-pool.ts) against the emulator: many requests of the same
 * command classes at once, on two buckets. Each client caches its resolved middleware, whose context
 * (the resolved endpoint, which names the bucket) is written per request: every object must land in its
 * own bucket, with its own body, every read must return its own object, and each request is counted once.
 */
import { testPorts, uniqueBucket } from '../../support/emulator';

jest.setTimeout(60_000);

const N = 40;

describe('pooled S3 clients under concurrency', () => {
  it('sends each of many concurrent requests to its own bucket and key', async () => {
    const [a, b] = [await uniqueBucket('pool-a'), await uniqueBucket('pool-b')];
    const ports = testPorts();
    const bucketOf = (i: number): string => (i % 2 === 0 ? a : b);
    await Promise.all(
      Array.from({ length: N }, (_, i) =>
        ports.s3.putObject({ Bucket: bucketOf(i), Key: `k/${i}`, Body: `body ${i} of ${bucketOf(i)}` }),
      ),
    );
    const read = await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const out = await ports.s3.getObject({ Bucket: bucketOf(i), Key: `k/${i}` });
        return out.Body?.transformToString();
      }),
    );
    read.forEach((body, i) => expect(body).toBe(`body ${i} of ${bucketOf(i)}`));
    // and nothing landed in the other bucket
    const [listA, listB] = await Promise.all([
      ports.s3.listObjectsV2({ Bucket: a }),
      ports.s3.listObjectsV2({ Bucket: b }),
    ]);
    expect((listA.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      Array.from({ length: N / 2 }, (_, j) => `k/${2 * j}`).sort(),
    );
    expect((listB.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      Array.from({ length: N / 2 }, (_, j) => `k/${2 * j + 1}`).sort(),
    );
    expect(ports.requests.snapshot()).toMatchObject({ 'S3.PutObject': N, 'S3.GetObject': N });
  });
});
