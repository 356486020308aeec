import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { getHeapStatistics } from 'node:v8';
import { ExitCode } from '../../../src/errors';
import {
  HEAP_BYTES_PER_KEY_CHARACTER,
  HEAP_BYTES_PER_LISTED_OBJECT,
  ListingBudget,
  listAll,
  listState,
  listedObjectCost,
} from '../../../src/reconcile/listing';
import { stubbedPorts } from './stubbed';

const s3Mock = mockClient(S3Client);
const ports = stubbedPorts;

beforeEach(() => s3Mock.reset());
afterAll(() => s3Mock.restore());

describe('listAll', () => {
  it('follows continuation tokens until the listing is complete', async () => {
    // Prepare: three pages
    s3Mock
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        IsTruncated: true,
        NextContinuationToken: 't1',
        Contents: [{ Key: 'p/a', ETag: '"1"', Size: 1 }],
      })
      .on(ListObjectsV2Command, { ContinuationToken: 't1' })
      .resolves({
        IsTruncated: true,
        NextContinuationToken: 't2',
        Contents: [{ Key: 'p/b', ETag: '"2"', Size: 2 }],
      })
      .on(ListObjectsV2Command, { ContinuationToken: 't2' })
      .resolves({ IsTruncated: false, Contents: [{ Key: 'p/c', ETag: '"3"', Size: 3 }] });
    // Act
    const out = await listAll(ports().s3, 'b', 'p/', 1);
    // Assess
    expect(out).toEqual([
      { key: 'p/a', etag: '"1"', size: 1 },
      { key: 'p/b', etag: '"2"', size: 2 },
      { key: 'p/c', etag: '"3"', size: 3 },
    ]);
    const calls = s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(calls.map((c) => c.ContinuationToken)).toEqual([undefined, 't1', 't2']);
    expect(calls.every((c) => c.Bucket === 'b' && c.Prefix === 'p/' && c.MaxKeys === 1)).toBe(true);
  });

  it('fails on a truncated page without a continuation token', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: true, Contents: [] });
    await expect(listAll(ports().s3, 'b', 'p/')).rejects.toMatchObject({ code: 'LIST_FAILED' });
  });

  it('lists the release prefix, manifests/ and deployer/seen/ in their buckets', async () => {
    s3Mock.on(ListObjectsV2Command).callsFake((input: { Bucket: string; Prefix: string }) => ({
      IsTruncated: false,
      Contents: [{ Key: `${input.Bucket}:${input.Prefix}x`, ETag: '"e"', Size: 0 }],
    }));
    const l = await listState(ports().s3, {
      appsBucket: 'apps',
      releaseBucket: 'rel',
      releasePrefix: 'bundles/',
    });
    expect(l.release.map((o) => o.key)).toEqual(['rel:bundles/x']);
    expect(l.manifests.map((o) => o.key)).toEqual(['apps:manifests/x']);
    expect(l.markers.map((o) => o.key)).toEqual(['apps:deployer/seen/x']);
  });
});

describe('the listings are bounded by the heap', () => {
  const page = (prefix: string, n: number, keyLength = 0) =>
    Array.from({ length: n }, (_, i) => ({
      Key: `${prefix}k${i}`.padEnd(keyLength, 'x'),
      ETag: '"e"',
      Size: 1,
    }));
  const cost = (objects: { Key: string }[]) => objects.reduce((a, o) => a + listedObjectCost(o.Key), 0);

  it("by default, V8's heap limit; each object charged a fixed part and its key", () => {
    expect(new ListingBudget().maxBytes).toBe(getHeapStatistics().heap_size_limit);
    expect(listedObjectCost('')).toBe(HEAP_BYTES_PER_LISTED_OBJECT);
    expect(listedObjectCost('k'.repeat(1000)) - listedObjectCost('')).toBe(
      1000 * HEAP_BYTES_PER_KEY_CHARACTER,
    );
  });

  it('a listing past the budget stops with exit 2, naming where, the counts and the fix, before holding it all', async () => {
    // Prepare: pages of 3 under p/, forever truncated; a budget for 10 such objects
    let pages = 0;
    s3Mock.on(ListObjectsV2Command).callsFake(() => {
      pages++;
      return { IsTruncated: true, NextContinuationToken: `t${pages}`, Contents: page('p/', 3) };
    });
    // Act
    const listed = listAll(ports().s3, 'b', 'p/', 3, new ListingBudget(cost(page('p/', 10))));
    // Assess: the 4th page (objects 10-12) passes it; nothing past it is requested
    await expect(listed).rejects.toMatchObject({
      code: 'LISTING_TOO_LARGE',
      exitCode: ExitCode.Usage,
      resource: 's3://b/p/',
      message: expect.stringMatching(
        /heap \(\d+ MB\) can plan \(objects listed so far: s3:\/\/b\/p\/ 12; .*s3:\/\/b\/p\/\)/,
      ),
      hint: expect.stringMatching(/release prefix.*--max-old-space-size/),
    });
    expect(pages).toBe(4);
  });

  it('a budget exactly met is not passed', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: false, Contents: page('p/', 10) });
    await expect(
      listAll(ports().s3, 'b', 'p/', 10, new ListingBudget(cost(page('p/', 10)))),
    ).resolves.toHaveLength(10);
  });

  it('long keys cost more: the same number of objects with 1,000-character keys passes it', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: false, Contents: page('p/', 10, 1000) });
    await expect(
      listAll(ports().s3, 'b', 'p/', 10, new ListingBudget(cost(page('p/', 10)) * 2)),
    ).rejects.toMatchObject({ code: 'LISTING_TOO_LARGE' });
  });

  it("a run's three listings share one budget: each under it, together over it", async () => {
    s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      IsTruncated: false,
      Contents: page(input.Prefix, 4),
    }));
    const where = { appsBucket: 'apps', releaseBucket: 'rel', releasePrefix: 'bundles/' };
    const all = cost([...page('bundles/', 4), ...page('manifests/', 4), ...page('deployer/seen/', 4)]);
    await expect(listState(ports().s3, where, undefined, new ListingBudget(all))).resolves.toMatchObject({
      release: expect.any(Array),
    });
    await expect(listState(ports().s3, where, undefined, new ListingBudget(all - 1))).rejects.toMatchObject({
      code: 'LISTING_TOO_LARGE',
      message: expect.stringMatching(/s3:\/\/rel\/bundles\/ 4/),
    });
  });
});
