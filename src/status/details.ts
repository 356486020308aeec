/**
 * What `status` reads beyond the listings: the lock, the last run records, and — for one app only
 * (`status APP_ID`) — each version's manifest metadata (HeadObject) and its verdict markers' bodies.
 * Every group is bounded (STATUS_READ_CONCURRENCY reads at once).
 */
import type { S3Port } from '../aws/ports';
import { isNotFound } from '../aws/errors';
import { DeployerError, errorMessage } from '../errors';
import { MANIFEST_METADATA } from '../provision/types';
import { listAll } from '../reconcile/listing';
import { runPool } from '../reconcile/pool';
import type { MarkerBody, ProvisionRunInfo, RunReport } from '../reconcile/types';
import { STATE_KEYS } from '../reconcile/types';
import { MAX_RECORD_BYTES, STATUS_READ_CONCURRENCY } from './constants';
import { StatusReadError } from './errors';
import type { JudgedBundle, LockState, ProvisionedApp, RunSummary } from './types';
import { readBodyText } from '../aws/body';
import { MAX_LOCK_BODY_BYTES } from '../reconcile/lock';

/** `fn` over `items`, STATUS_READ_CONCURRENCY at a time, results in the order of `items`. */
export async function mapBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  await runPool(items, STATUS_READ_CONCURRENCY, async (item, i) => {
    results[i] = await fn(item);
  });
  return results;
}

/** Reads a small JSON object; undefined when it does not exist. */
export async function readJson(s3: S3Port, bucket: string, key: string): Promise<unknown> {
  let res;
  try {
    res = await s3.getObject({ Bucket: bucket, Key: key });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const text = await readBodyText(res, MAX_RECORD_BYTES);
  if (text === undefined) throw new Error(`s3://${bucket}/${key} is larger than ${MAX_RECORD_BYTES} bytes`);
  return JSON.parse(text) as unknown;
}

/** Wraps a read failure into a StatusReadError naming what could not be read. */
export async function reading<T>(resource: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DeployerError) throw err;
    throw new StatusReadError(resource, errorMessage(err), err);
  }
}

/** Each version's manifest metadata (one HeadObject per version of one app). */
export async function withManifestDetails(
  s3: S3Port,
  bucket: string,
  apps: ProvisionedApp[],
): Promise<ProvisionedApp[]> {
  const detailed = await mapBounded(apps, async (app): Promise<ProvisionedApp | undefined> => {
    let head;
    try {
      head = await s3.headObject({ Bucket: bucket, Key: app.manifestKey });
    } catch (err) {
      if (isNotFound(err)) return undefined; // removed since the listing
      throw new StatusReadError(`s3://${bucket}/${app.manifestKey}`, errorMessage(err), err);
    }
    const meta = head.Metadata ?? {};
    return {
      ...app,
      deployedAt: head.LastModified?.toISOString() ?? app.deployedAt,
      runId: meta[MANIFEST_METADATA.runId],
      deployerVersion: meta[MANIFEST_METADATA.deployerVersion],
      releaseKey: meta[MANIFEST_METADATA.releaseKey],
      releaseEtag: meta[MANIFEST_METADATA.releaseEtag],
      bundleSha256: meta[MANIFEST_METADATA.bundleSha256],
    };
  });
  return detailed.filter((a): a is ProvisionedApp => a !== undefined);
}

/** Each verdict's marker body: when, by which run, the issues (one GetObject per judged bundle). */
export async function withMarkerDetails(
  s3: S3Port,
  bucket: string,
  judged: JudgedBundle[],
  problems: string[],
): Promise<JudgedBundle[]> {
  return mapBounded(judged, async (j): Promise<JudgedBundle> => {
    if (j.markerKey === undefined) return j;
    let body: Partial<MarkerBody> | undefined;
    try {
      body = (await readJson(s3, bucket, j.markerKey)) as Partial<MarkerBody> | undefined;
    } catch (err) {
      problems.push(`marker s3://${bucket}/${j.markerKey} could not be read: ${errorMessage(err)}`);
      return j;
    }
    if (body === undefined) {
      problems.push(`marker s3://${bucket}/${j.markerKey} disappeared while status was reading it`);
      return j;
    }
    return {
      ...j,
      at: body.at,
      runId: body.runId,
      issues: Array.isArray(body.issues) ? body.issues : [],
      message: body.message ?? j.message,
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
    ...(r.error ? { error: { code: String(r.error.code), message: String(r.error.message) } } : {}),
    kind: r.kind === 'provision' ? 'provision' : 'reconcile',
    ...(r.kind === 'provision' && r.provision ? { provision: provisionInfo(r.provision) } : {}),
  };
}

/** A run record lives under deployer/, which others may write: every field shown is a string. */
function provisionInfo(p: Partial<ProvisionRunInfo>): ProvisionRunInfo {
  return {
    file: String(p.file ?? ''),
    appId: String(p.appId ?? ''),
    version: String(p.version ?? ''),
    bundleSha256: String(p.bundleSha256 ?? ''),
    update: p.update === true,
  };
}

/** The newest `count` run records (their keys start with the start time: their order is the runs'),
 * and how many there are in all (so that `status` can say the list is capped). */
export async function readRuns(
  s3: S3Port,
  bucket: string,
  count: number,
  problems: string[],
): Promise<{ runs: RunSummary[]; total: number }> {
  const records = await reading(`s3://${bucket}/${STATE_KEYS.runsPrefix}`, () =>
    listAll(s3, bucket, STATE_KEYS.runsPrefix),
  );
  const all = records.map((o) => o.key).filter((k) => k.endsWith('.json'));
  const newest = all.sort().reverse().slice(0, Math.max(0, count));
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
  return { runs: runs.filter((r): r is RunSummary => r !== undefined), total: all.length };
}

export async function readLockState(
  s3: S3Port,
  bucket: string,
  ttlSeconds: number | undefined,
): Promise<LockState> {
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
    // a body over the lock's cap is not read: the lock is shown without its holder
    const holder = JSON.parse((await readBodyText(res, MAX_LOCK_BODY_BYTES)) ?? '') as Record<
      string,
      unknown
    >;
    if (typeof holder.runId === 'string') lock.runId = holder.runId;
    if (typeof holder.host === 'string') lock.host = holder.host;
    if (typeof holder.pid === 'number') lock.pid = holder.pid;
    if (typeof holder.startedAt === 'string') lock.startedAt = holder.startedAt;
  } catch {
    // a lock body that is not JSON still is a lock: shown without its holder
  }
  return lock;
}
