/**
 * The three listings a run diffs: release bundles (release bucket, release prefix), manifests/ and
 * the deployer's markers deployer/seen/ (apps bucket). Paginated; nothing else is read per object.
 */
import { getHeapStatistics } from 'node:v8';
import type { S3Port } from '../aws/ports';
import type { ReleaseLayout } from '../config';
import { DeployerError, ExitCode } from '../errors';
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

/**
 * Heap a listed object may cost a command, everything built from it included (the listings, the plan,
 * the reports, the printed output): a fixed part and its key, which is copied into each of those.
 * `bench/listing-heap-bench.js` measured the peak heap per object at ~0.85 KB with ~60-character keys
 * (`plan` of 200,000 release objects: 346.5 MB) and ~7.4 KB with 1,000-character keys (`--shape
 * longjunk`, an uploader's choice: keys reach 1,024 bytes; `plan` of 50,000: 369.2 MB), i.e. about
 * 400 bytes + 7 per key character. Each object is charged twice that.
 */
export const HEAP_BYTES_PER_LISTED_OBJECT = 800;
export const HEAP_BYTES_PER_KEY_CHARACTER = 14;

/** What one listed object is charged (bytes). */
export const listedObjectCost = (key: string): number =>
  HEAP_BYTES_PER_LISTED_OBJECT + HEAP_BYTES_PER_KEY_CHARACTER * key.length;

/**
 * What the listings of one command may hold: V8's heap limit (the CLI's first line sets it, README
 * "Memory: V8's heap"), each object charged `listedObjectCost`: ~200,000-330,000 objects with the
 * keys of a fleet (35-90 characters), ~30,000 with 1,000-character ones under 384 MB of old space.
 * Past it the command stops with a clear error (exit 2) instead of V8 aborting mid-run.
 */
export class ListingBudget {
  private left: number;
  private readonly counts = new Map<string, number>();

  constructor(readonly maxBytes: number = getHeapStatistics().heap_size_limit) {
    this.left = maxBytes;
  }

  /** Charges one page of `where`; throws once the listings cost more than `maxBytes`. */
  take(page: readonly { Key?: string }[], where: string): void {
    for (const o of page) this.left -= listedObjectCost(o.Key ?? '');
    this.counts.set(where, (this.counts.get(where) ?? 0) + page.length);
    if (this.left >= 0) return;
    const heapMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
    const counts = [...this.counts].map(([w, n]) => `${w} ${n}`).join(', ');
    throw new DeployerError(
      `the listings hold more than this process's heap (${heapMb} MB) can plan (objects listed so far: ` +
        `${counts}; the limit was passed listing ${where})`,
      {
        code: 'LISTING_TOO_LARGE',
        resource: where,
        exitCode: ExitCode.Usage,
        hint:
          "remove what is not a release bundle from the release prefix (an uploader's flood, or keys " +
          'of up to 1 KB each), or give node a larger heap: node --max-old-space-size=MB ' +
          'dist/cli/main.js (README, "Memory: V8\'s heap")',
      },
    );
  }
}

/** Every object under `prefix`, following continuation tokens; counted against `budget` (by default
 * one of its own). */
export async function listAll(
  s3: S3Port,
  bucket: string,
  prefix: string,
  pageSize?: number,
  budget: ListingBudget = new ListingBudget(),
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
    budget.take(res.Contents ?? [], `s3://${bucket}/${prefix}`);
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
export async function listState(
  s3: S3Port,
  where: ListingLocation,
  pageSize?: number,
  budget: ListingBudget = new ListingBudget(),
): Promise<Listings> {
  // one budget for the three: the run holds them together
  const [release, manifests, markers] = await Promise.all([
    listAll(s3, where.releaseBucket, where.releasePrefix, pageSize, budget),
    listAll(s3, where.appsBucket, STATE_KEYS.manifestsPrefix, pageSize, budget),
    listAll(s3, where.appsBucket, STATE_KEYS.seenPrefix, pageSize, budget),
  ]);
  return { release, manifests, markers };
}
