import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { listAll, listState } from '../../../src/reconcile/listing';
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
