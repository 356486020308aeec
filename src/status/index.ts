/**
 * `status`: provisioned apps (manifests/ with their metadata), the release bundles the next run will
 * handle, known rejections (with their issues) and conflicts, the lock, and the last run records.
 *
 * It reuses the reconcile job's own listing and plan, so what `status` calls pending is exactly what
 * the next `reconcile` will do. Unlike a reconcile, it reads one object per manifest, per known
 * rejection or conflict and per shown run record (bounded concurrency): it is an operator's command,
 * not the hourly job's no-op path.
 */
import type { S3Port } from '../aws/ports';
import { DeployerError, errorMessage } from '../errors';
import { MANIFEST_METADATA } from '../provision/types';
import { listAll, listState, type ListingLocation, type Listings } from '../reconcile/listing';
import {
  bareEtag,
  canonicalStem,
  indexMarkers,
  nonCanonicalStem,
  type MarkerIndex,
} from '../reconcile/markers';
import { buildPlan, needsWork } from '../reconcile/plan';
import { isNotFound } from '../aws/errors';
import type { MarkerBody, MarkerOutcome, PlanItem, RunReport } from '../reconcile/types';
import { STATE_KEYS } from '../reconcile/types';
import { MAX_RECORD_BYTES, STATUS_READ_CONCURRENCY, STATUS_RUNS } from './constants';
import { StatusReadError } from './errors';
import { runPool } from '../reconcile/pool';
import { layoutMoves } from './layout';
import {
  STATUS_VERSION,
  type JudgedBundle,
  type LockState,
  type ProvisionedApp,
  type RunSummary,
  type StatusReport,
} from './types';

export * from './types';
export { formatStatus } from './format';
export { StatusReadError } from './errors';

export interface StatusOptions {
  /** run records to show (default STATUS_RUNS) */
  runs?: number;
  /** lock TTL, to say when a held lock becomes stale (config.lockTtlSeconds) */
  lockTtlSeconds?: number;
  now?: Date;
}

/** `fn` over `items`, STATUS_READ_CONCURRENCY at a time, results in the order of `items`. */
async function mapBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  await runPool(items, STATUS_READ_CONCURRENCY, async (item, i) => {
    results[i] = await fn(item);
  });
  return results;
}

/** Reads a small JSON object; undefined when it does not exist. */
async function readJson(s3: S3Port, bucket: string, key: string): Promise<unknown> {
  let res;
  try {
    res = await s3.getObject({ Bucket: bucket, Key: key });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  if ((res.ContentLength ?? 0) > MAX_RECORD_BYTES)
    throw new Error(`s3://${bucket}/${key} is larger than ${MAX_RECORD_BYTES} bytes`);
  const text = (await res.Body?.transformToString('utf8')) ?? '';
  return JSON.parse(text) as unknown;
}

/** `manifests/<app_id>_<version>.json` → app id and version (the stem splits at its last "_"). */
export function parseManifestKey(key: string): { appId: string; version: string } | undefined {
  if (!key.startsWith(STATE_KEYS.manifestsPrefix) || !key.endsWith('.json')) return undefined;
  const stem = key.slice(STATE_KEYS.manifestsPrefix.length, -'.json'.length);
  const cut = stem.lastIndexOf('_');
  if (cut <= 0 || cut === stem.length - 1 || stem.includes('/')) return undefined;
  return { appId: stem.slice(0, cut), version: stem.slice(cut + 1) };
}

/** Wraps a read failure into a StatusReadError naming what could not be read. */
async function reading<T>(resource: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DeployerError) throw err;
    throw new StatusReadError(resource, errorMessage(err), err);
  }
}

async function readProvisioned(s3: S3Port, bucket: string, listings: Listings): Promise<ProvisionedApp[]> {
  const manifests = listings.manifests
    .map((o) => ({ key: o.key, parsed: parseManifestKey(o.key) }))
    .filter((m): m is { key: string; parsed: { appId: string; version: string } } => m.parsed !== undefined);
  const apps = await mapBounded(manifests, async ({ key, parsed }): Promise<ProvisionedApp | undefined> => {
    let head;
    try {
      head = await s3.headObject({ Bucket: bucket, Key: key });
    } catch (err) {
      if (isNotFound(err)) return undefined; // removed since the listing
      throw new StatusReadError(`s3://${bucket}/${key}`, errorMessage(err), err);
    }
    const meta = head.Metadata ?? {};
    return {
      appId: parsed.appId,
      version: parsed.version,
      manifestKey: key,
      deployedAt: head.LastModified?.toISOString(),
      runId: meta[MANIFEST_METADATA.runId],
      deployerVersion: meta[MANIFEST_METADATA.deployerVersion],
      releaseKey: meta[MANIFEST_METADATA.releaseKey],
      bundleSha256: meta[MANIFEST_METADATA.bundleSha256],
    };
  });
  return apps
    .filter((a): a is ProvisionedApp => a !== undefined)
    .sort((a, b) => a.appId.localeCompare(b.appId) || a.version.localeCompare(b.version));
}

/** The marker that holds the verdict of a known item (newest validator version first). */
function verdictMarker(
  index: MarkerIndex,
  item: PlanItem,
  outcomes: readonly MarkerOutcome[],
): string | undefined {
  const stem =
    item.appId !== undefined && item.version !== undefined
      ? canonicalStem(item.appId, item.version)
      : nonCanonicalStem(item.releaseKey);
  const markers = (index.get(stem)?.get(bareEtag(item.etag)) ?? [])
    .filter((m) => outcomes.includes(m.outcome))
    .sort((a, b) => b.validatorVersion - a.validatorVersion);
  return markers[0]?.key;
}

async function readJudged(
  s3: S3Port,
  bucket: string,
  index: MarkerIndex,
  items: PlanItem[],
  outcomes: readonly MarkerOutcome[],
  problems: string[],
): Promise<JudgedBundle[]> {
  return mapBounded(items, async (item): Promise<JudgedBundle> => {
    const markerKey = verdictMarker(index, item, outcomes);
    const judged: JudgedBundle = {
      releaseKey: item.releaseKey,
      appId: item.appId,
      version: item.version,
      etag: bareEtag(item.etag),
      markerKey,
      issues: [],
      message: item.reason,
    };
    if (markerKey === undefined) return judged;
    let body: Partial<MarkerBody> | undefined;
    try {
      body = (await readJson(s3, bucket, markerKey)) as Partial<MarkerBody> | undefined;
    } catch (err) {
      problems.push(`marker s3://${bucket}/${markerKey} could not be read: ${errorMessage(err)}`);
      return judged;
    }
    if (body === undefined) {
      problems.push(`marker s3://${bucket}/${markerKey} disappeared while status was reading it`);
      return judged;
    }
    return {
      ...judged,
      at: body.at,
      runId: body.runId,
      issues: Array.isArray(body.issues) ? body.issues : [],
      message: body.message ?? judged.message,
    };
  });
}

function summarizeRun(key: string, r: Partial<RunReport>): RunSummary {
  return {
    key,
    runId: String(r.runId ?? ''),
    startedAt: String(r.startedAt ?? ''),
    durationMs: Number(r.durationMs ?? 0),
    exitCode: Number(r.exitCode ?? -1),
    dryRun: Boolean(r.dryRun),
    counts: r.counts ?? {},
    requests: Object.values(r.requests ?? {}).reduce((a, b) => a + Number(b), 0),
    ...(r.error ? { error: r.error } : {}),
  };
}

async function readRuns(
  s3: S3Port,
  bucket: string,
  count: number,
  problems: string[],
): Promise<RunSummary[]> {
  if (count <= 0) return [];
  const records = await reading(`s3://${bucket}/${STATE_KEYS.runsPrefix}`, () =>
    listAll(s3, bucket, STATE_KEYS.runsPrefix),
  );
  // keys start with the start time (ISO, ':' → '-'): their order is the runs' order
  const newest = records
    .map((o) => o.key)
    .filter((k) => k.endsWith('.json'))
    .sort()
    .reverse()
    .slice(0, count);
  const runs = await mapBounded(newest, async (key): Promise<RunSummary | undefined> => {
    try {
      const body = await readJson(s3, bucket, key);
      if (typeof body !== 'object' || body === null) throw new Error('not a JSON object');
      return summarizeRun(key, body as Partial<RunReport>);
    } catch (err) {
      problems.push(`run record s3://${bucket}/${key} could not be read: ${errorMessage(err)}`);
      return undefined;
    }
  });
  return runs.filter((r): r is RunSummary => r !== undefined);
}

async function readLock(s3: S3Port, bucket: string, ttlSeconds: number | undefined): Promise<LockState> {
  let res;
  try {
    res = await s3.getObject({ Bucket: bucket, Key: STATE_KEYS.lock });
  } catch (err) {
    if (isNotFound(err)) return { held: false };
    throw new StatusReadError(`s3://${bucket}/${STATE_KEYS.lock}`, errorMessage(err), err);
  }
  const since = res.LastModified;
  const lock: LockState = {
    held: true,
    etag: res.ETag,
    since: since?.toISOString(),
    staleAfter:
      since && ttlSeconds !== undefined
        ? new Date(since.getTime() + ttlSeconds * 1000).toISOString()
        : undefined,
  };
  try {
    const holder = JSON.parse((await res.Body?.transformToString('utf8')) ?? '') as Record<string, unknown>;
    if (typeof holder.runId === 'string') lock.runId = holder.runId;
    if (typeof holder.host === 'string') lock.host = holder.host;
    if (typeof holder.pid === 'number') lock.pid = holder.pid;
    if (typeof holder.startedAt === 'string') lock.startedAt = holder.startedAt;
  } catch {
    // a lock body that is not JSON still is a lock: shown without its holder
  }
  return lock;
}

export async function getStatus(
  s3: S3Port,
  where: ListingLocation,
  options: StatusOptions = {},
): Promise<StatusReport> {
  const now = options.now ?? new Date();
  const problems: string[] = [];

  const listings = await reading(
    `the listings of s3://${where.releaseBucket}/${where.releasePrefix} and s3://${where.appsBucket}`,
    () => listState(s3, where),
  );
  const plan = buildPlan({ runId: 'status', createdAt: now, location: where, listings });
  const index = indexMarkers(listings.markers.map((o) => o.key));
  const byAction = (...actions: PlanItem['action'][]): PlanItem[] =>
    plan.items.filter((i) => actions.includes(i.action));

  // Sequential groups, each bounded: never more than STATUS_READ_CONCURRENCY reads at once.
  const lock = await readLock(s3, where.appsBucket, options.lockTtlSeconds);
  const provisioned = await readProvisioned(s3, where.appsBucket, listings);
  const rejected = await readJudged(
    s3,
    where.appsBucket,
    index,
    byAction('known-rejection', 'known-non-canonical'),
    ['rejected'],
    problems,
  );
  const conflicts = await readJudged(
    s3,
    where.appsBucket,
    index,
    byAction('known-conflict'),
    ['conflict', 'collision'],
    problems,
  );
  const failed = await readJudged(
    s3,
    where.appsBucket,
    index,
    byAction('known-failure'),
    ['failed'],
    problems,
  );
  const runs = await readRuns(s3, where.appsBucket, options.runs ?? STATUS_RUNS, problems);

  return {
    statusVersion: STATUS_VERSION,
    generatedAt: now.toISOString(),
    appsBucket: where.appsBucket,
    releaseBucket: where.releaseBucket,
    releasePrefix: where.releasePrefix,
    releaseLayout: where.releaseLayout ?? 'flat',
    layoutMoves: layoutMoves(
      listings.release.map((o) => o.key),
      where.releasePrefix,
      where.releaseLayout ?? 'flat',
    ),
    lock,
    provisioned,
    pending: plan.items.filter(needsWork).map((i) => ({
      releaseKey: i.releaseKey,
      appId: i.appId,
      version: i.version,
      action: i.action,
      reason: i.reason,
      size: i.size,
    })),
    rejected,
    conflicts,
    failed,
    upToDate: byAction('up-to-date').length,
    runs,
    problems,
  };
}
