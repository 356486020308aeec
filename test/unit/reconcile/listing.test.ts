import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { getHeapStatistics } from 'node:v8';
import { ExitCode } from '../../../src/errors';
import {
  HEAP_BYTES_PER_LISTED_OBJECT,
  ListingBudget,
  listAll,
  listState,
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
  const page = (prefix: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ Key: `${prefix}k${i}`, ETag: '"e"', Size: 1 }));

  it('by default, as many objects as the heap limit holds at HEAP_BYTES_PER_LISTED_OBJECT each', () => {
    const expected = Math.floor(getHeapStatistics().heap_size_limit / HEAP_BYTES_PER_LISTED_OBJECT);
    expect(new ListingBudget().max).toBe(expected);
    // the CLI's 384 MB of old space (plus the young generation) holds ~290,000: far more than a fleet
    expect(Math.floor(((384 + 48) * 2 ** 20) / HEAP_BYTES_PER_LISTED_OBJECT)).toBeGreaterThan(250_000);
  });

  it('a listing past the budget stops with exit 2, naming where and the fix, before holding it all', async () => {
    // Prepare: pages of 3 under p/, forever truncated
    let pages = 0;
    s3Mock.on(ListObjectsV2Command).callsFake(() => {
      pages++;
      return { IsTruncated: true, NextContinuationToken: `t${pages}`, Contents: page('p/', 3) };
    });
    // Act
    const listed = listAll(ports().s3, 'b', 'p/', 3, new ListingBudget(10));
    // Assess: the 4th page (objects 10-12) passes 10; nothing past it is requested
    await expect(listed).rejects.toMatchObject({
      code: 'LISTING_TOO_LARGE',
      exitCode: ExitCode.Usage,
      resource: 's3://b/p/',
      message: expect.stringMatching(/more than 10 objects .*s3:\/\/b\/p\/.*heap \(\d+ MB\)/),
      hint: expect.stringMatching(/release prefix.*--max-old-space-size/),
    });
    expect(pages).toBe(4);
  });

  it('a budget exactly met is not passed', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ IsTruncated: false, Contents: page('p/', 10) });
    await expect(listAll(ports().s3, 'b', 'p/', 10, new ListingBudget(10))).resolves.toHaveLength(10);
  });

  it("a run's three listings share one budget: each under it, together over it", async () => {
    s3Mock.on(ListObjectsV2Command).callsFake((input: { Prefix: string }) => ({
      IsTruncated: false,
      Contents: page(input.Prefix, 4),
    }));
    const where = { appsBucket: 'apps', releaseBucket: 'rel', releasePrefix: 'bundles/' };
    await expect(listState(ports().s3, where, undefined, new ListingBudget(12))).resolves.toMatchObject({
      release: expect.any(Array),
    });
    await expect(listState(ports().s3, where, undefined, new ListingBudget(11))).rejects.toMatchObject({
      code: 'LISTING_TOO_LARGE',
    });
  });
});
