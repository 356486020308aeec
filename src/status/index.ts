/**
 * `status`: provisioned apps, the release bundles the next run will handle, known rejections,
 * conflicts and failures, the lock, and the last run records.
 *
 * Built from the three listings a reconcile run makes (release prefix, manifests/, deployer/ markers)
 * and its own plan, so what `status` calls pending is exactly what the next `reconcile` will do, at
 * the cost of a `plan` plus the lock and a few run records: no request per bundle. `status APP_ID`
 * narrows the document to one app and reads each version's details (manifest metadata, the bodies of
 * its verdict markers: issues, when, which run).
 */
import type { LambdaPort, S3Port } from '../aws/ports';
import { listState, type ListingLocation, type Listings } from '../reconcile/listing';
import {
  bareEtag,
  canonicalStem,
  indexMarkers,
  nonCanonicalStem,
  type MarkerIndex,
} from '../reconcile/markers';
import { buildPlan, needsWork } from '../reconcile/plan';
import type { PlanAction, PlanItem } from '../reconcile/types';
import { STATE_KEYS } from '../reconcile/types';
import { retiredStems, splitStem } from '../prune/select';
import { STATUS_RUNS } from './constants';
import { layoutMoves } from './layout';
import { withReleaseDrift } from './drift';
import { lastVerifyOf } from './last-verify';
import { reading, readLockState, readRuns, withManifestDetails, withMarkerDetails } from './details';
import { readStorage } from './storage';
import {
  STATUS_VERSION,
  type JudgedBundle,
  type ProvisionedApp,
  type RetiredVersion,
  type StatusReport,
} from './types';

export * from './types';
export { formatStatus } from './format';
export { StatusReadError } from './errors';

export interface StatusOptions {
  /** one app only, with the details of each of its versions */
  appId?: string;
  /** run records to show (default STATUS_RUNS) */
  runs?: number;
  /** lock TTL, to say when a held lock becomes stale (config.lockTtlSeconds) */
  lockTtlSeconds?: number;
  /** with `appId`: also the storage of its versions (functions' code size, staged code) */
  lambda?: LambdaPort;
  now?: Date;
}

/** Plan actions of the known verdicts `status` shows in their own sections. */
const REJECTED: ReadonlySet<PlanAction> = new Set<PlanAction>(['known-rejection', 'known-non-canonical']);
const CONFLICTS: ReadonlySet<PlanAction> = new Set<PlanAction>(['known-conflict']);

/** `manifests/<app_id>_<version>.json` → app id and version (the stem splits at its last "_"). */
export function parseManifestKey(key: string): { appId: string; version: string } | undefined {
  if (!key.startsWith(STATE_KEYS.manifestsPrefix) || !key.endsWith('.json')) return undefined;
  const stem = key.slice(STATE_KEYS.manifestsPrefix.length, -'.json'.length);
  const cut = stem.lastIndexOf('_');
  if (cut <= 0 || cut === stem.length - 1 || stem.includes('/')) return undefined;
  return { appId: stem.slice(0, cut), version: stem.slice(cut + 1) };
}

/** Provisioned versions from the manifests listing alone (LastModified = when it went live). */
function provisionedFromListing(listings: Listings, appId: string | undefined): ProvisionedApp[] {
  const apps: ProvisionedApp[] = [];
  for (const o of listings.manifests) {
    const parsed = parseManifestKey(o.key);
    if (!parsed || (appId !== undefined && parsed.appId !== appId)) continue;
    apps.push({ ...parsed, manifestKey: o.key, deployedAt: o.lastModified?.toISOString() });
  }
  return apps.sort((a, b) => a.appId.localeCompare(b.appId) || a.version.localeCompare(b.version));
}

/** Versions retired by prune, from the marker listing alone. */
function retiredFromListing(listings: Listings, appId: string | undefined): RetiredVersion[] {
  const { retired, pruned } = retiredStems(listings.markers.map((o) => o.key));
  const out: RetiredVersion[] = [];
  for (const stem of new Set([...retired, ...pruned])) {
    const parts = splitStem(stem);
    if (!parts || (appId !== undefined && parts.appId !== appId)) continue;
    out.push({ ...parts, complete: pruned.has(stem) });
  }
  return out.sort((a, b) => a.appId.localeCompare(b.appId) || a.version.localeCompare(b.version));
}

/** A known verdict from the plan and the marker listing (the newest validator version's marker). */
function judgedFromListing(index: MarkerIndex, item: PlanItem): JudgedBundle {
  const stem =
    item.appId !== undefined && item.version !== undefined
      ? canonicalStem(item.appId, item.version)
      : nonCanonicalStem(item.releaseKey);
  const markers = [...(index.get(stem)?.get(bareEtag(item.etag)) ?? [])].sort(
    (a, b) => b.validatorVersion - a.validatorVersion,
  );
  const verdict = markers.find((m) => m.outcome !== 'provisioned' && m.outcome !== 'identical');
  return {
    releaseKey: item.releaseKey,
    appId: item.appId,
    version: item.version,
    etag: bareEtag(item.etag),
    markerKey: verdict?.key,
    issues: [],
    message: item.reason,
  };
}

export async function getStatus(
  s3: S3Port,
  where: ListingLocation,
  options: StatusOptions = {},
): Promise<StatusReport> {
  const now = options.now ?? new Date();
  const problems: string[] = [];
  const { appId } = options;

  const listings = await reading(
    `the listings of s3://${where.releaseBucket}/${where.releasePrefix} and s3://${where.appsBucket}`,
    () => listState(s3, where),
  );
  const plan = buildPlan({ runId: 'status', createdAt: now, location: where, listings, only: appId });
  const index = indexMarkers(listings.markers.map((o) => o.key));
  const pending: PlanItem[] = [];
  const rejectedItems: PlanItem[] = [];
  const conflictItems: PlanItem[] = [];
  const failedItems: PlanItem[] = [];
  let upToDate = 0;
  for (const item of plan.items) {
    if (needsWork(item)) pending.push(item);
    else if (item.action === 'up-to-date') upToDate++;
    else if (REJECTED.has(item.action)) rejectedItems.push(item);
    else if (CONFLICTS.has(item.action)) conflictItems.push(item);
    else if (item.action === 'known-retired')
      continue; // listed with the retired versions
    else failedItems.push(item); // any other known verdict: a failure marked for good
  }

  const lock = await readLockState(s3, where.appsBucket, options.lockTtlSeconds);
  let provisioned = provisionedFromListing(listings, appId);
  let rejected = rejectedItems.map((i) => judgedFromListing(index, i));
  let conflicts = conflictItems.map((i) => judgedFromListing(index, i));
  let failed = failedItems.map((i) => judgedFromListing(index, i));
  const details = appId !== undefined;
  if (details) {
    // one app: its versions' details (sequential groups, each bounded)
    provisioned = await withManifestDetails(s3, where.appsBucket, provisioned);
    provisioned = await withReleaseDrift(s3, where, listings, index, provisioned, problems);
    rejected = await withMarkerDetails(s3, where.appsBucket, rejected, problems);
    conflicts = await withMarkerDetails(s3, where.appsBucket, conflicts, problems);
    failed = await withMarkerDetails(s3, where.appsBucket, failed, problems);
  }
  const storage =
    details && options.lambda
      ? await readStorage({ s3, lambda: options.lambda }, where.appsBucket, provisioned, problems)
      : undefined;
  const { runs, total: runsTotal } = await readRuns(
    s3,
    where.appsBucket,
    options.runs ?? STATUS_RUNS,
    problems,
  );
  const lastVerify = await lastVerifyOf(s3, where.appsBucket, appId, problems);

  return {
    statusVersion: STATUS_VERSION,
    generatedAt: now.toISOString(),
    ...(appId !== undefined ? { appId } : {}),
    details,
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
    pending: pending.map((i) => ({
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
    upToDate,
    retired: retiredFromListing(listings, appId),
    runs,
    runsTotal,
    ...(lastVerify ? { lastVerify } : {}),
    problems,
    ...(storage ? { storage } : {}),
  };
}
