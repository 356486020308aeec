/**
 * The three listings a run diffs: release bundles (release bucket, release prefix), manifests/ and
 * the deployer's markers deployer/seen/ (apps bucket). Paginated; nothing else is read per object.
 */
import type { S3Port } from '../aws/ports';
import type { ReleaseLayout } from '../config';
import { DeployerError } from '../errors';
import { s3AccessError } from './errors';
import { STATE_KEYS } from './types';

export interface ListedObject {
  key: string;
  /** as S3 lists it, with its quotes ("\"9b2c…\"") */
  etag: string;
  size: number;
  /** as S3 lists it (status shows when a manifest went live; the plan never uses it) */
  lastModified?: Date;
}

export interface Listings {
  release: ListedObject[];
  manifests: ListedObject[];
  markers: ListedObject[];
}

export interface ListingLocation {
  appsBucket: string;
  releaseBucket: string;
  releasePrefix: string;
  /** how release keys are shaped (default flat) */
  releaseLayout?: ReleaseLayout;
}

/** Safety net against a server that keeps answering "truncated" (an emulator bug, a proxy loop). */
export const MAX_LIST_PAGES = 100_000;

/** Every object under `prefix`, following continuation tokens. */
export async function listAll(
  s3: S3Port,
  bucket: string,
  prefix: string,
  pageSize?: number,
): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    let res;
    try {
      res = await s3.listObjectsV2({
        Bucket: bucket,
        Prefix: prefix,
        ContinuationToken: token,
        MaxKeys: pageSize,
      });
    } catch (err) {
      throw s3AccessError('list', `s3://${bucket}/${prefix}`, err);
    }
    for (const o of res.Contents ?? []) {
      if (o.Key === undefined) continue;
      out.push({ key: o.Key, etag: o.ETag ?? '', size: o.Size ?? 0, lastModified: o.LastModified });
    }
    if (!res.IsTruncated) return out;
    token = res.NextContinuationToken;
    if (!token) {
      throw new DeployerError(`listing s3://${bucket}/${prefix} is truncated but has no continuation token`, {
        code: 'LIST_FAILED',
        resource: `s3://${bucket}/${prefix}`,
        hint: 'the S3 endpoint answered an invalid listing; retry, or check AWS_ENDPOINT_URL',
      });
    }
  }
  throw new DeployerError(`listing s3://${bucket}/${prefix} has more than ${MAX_LIST_PAGES} pages`, {
    code: 'LIST_FAILED',
    resource: `s3://${bucket}/${prefix}`,
    hint: 'clean up the prefix, or check AWS_ENDPOINT_URL',
  });
}

/** The three listings of a run (three paginated requests in parallel: a fixed, small number). */
export async function listState(s3: S3Port, where: ListingLocation, pageSize?: number): Promise<Listings> {
  const [release, manifests, markers] = await Promise.all([
    listAll(s3, where.releaseBucket, where.releasePrefix, pageSize),
    listAll(s3, where.appsBucket, STATE_KEYS.manifestsPrefix, pageSize),
    listAll(s3, where.appsBucket, STATE_KEYS.seenPrefix, pageSize),
  ]);
  return { release, manifests, markers };
}
