/**
 * The plan: a pure function from the three listings to what a run does with each release object.
 * No request is made here; an object already judged is recognized from the marker listing alone.
 *
 * Rules (DESIGN.md "Reconcile: the contract"), per release object (key + ETag):
 *  - key not canonical for the layout (flat <prefix><app_id>_<version>.zip, per-app
 *    <prefix><app_id>/<app_id>_<version>.zip) → reject-non-canonical, or known-non-canonical once marked;
 *  - an app id with no manifest whose Lambda names could be those of another app that has one
 *    (names.ts namesClash: com.x vs com-x) → reject-name-taken (marked rejected: known-rejection after);
 *  - marked provisioned / identical → up-to-date while the manifest exists, else provision again;
 *  - marked collision (a conflict found with no manifest) → known-conflict (--replace: judged again);
 *  - marked conflict → known-conflict (with --replace: check-reupload, which then redeploys), or
 *    provision when the manifest is gone (the version is no longer published);
 *  - marked failed (AWS refused its content) → known-failure; with --retry-failed, or under an older
 *    validator version, judged again;
 *  - marked rejected → known-rejection under the current validator version, recheck-rejected under an
 *    older one;
 *  - listed larger than the bundle size limit and not judged yet → reject-oversized (no download);
 *  - never judged → check-reupload when the version's manifest exists, else provision;
 *  - a version retired by `prune` (a `retired` or `pruned` marker under ANY ETag of its stem) →
 *    known-retired, before every rule above: neither the old object nor a new upload under its key is
 *    provisioned again (versions are immutable; a new upload with other bytes stays known, like a
 *    conflict). Deleting the version's retired and pruned markers un-retires it.
 */
import { MAX_BUNDLE_BYTES } from '../bundle/limits';
import { parseReleaseKey } from '../bundle/names';
import { staleFingerprint } from '../settings/fingerprint';
import { squattedApp } from './squatting';
import type { Listings, ListingLocation } from './listing';
import { bareEtag, canonicalStem, indexMarkers, nonCanonicalStem, type ParsedMarker } from './markers';
import {
  PLAN_VERSION,
  STATE_KEYS,
  VALIDATOR_VERSION,
  type Plan,
  type PlanAction,
  type PlanItem,
} from './types';

export interface PlanInput {
  runId: string;
  createdAt: Date;
  location: ListingLocation;
  listings: Listings;
  replace?: boolean;
  /** limit the plan to one app id (non-canonical keys have none: left out) */
  only?: string;
  /** defaults to VALIDATOR_VERSION (tests pass others) */
  validatorVersion?: number;
  /** judge objects marked failed again (`reconcile --retry-failed`) */
  retryFailed?: boolean;
  /** objects listed larger than this are rejected without a download (default MAX_BUNDLE_BYTES) */
  maxBundleBytes?: number;
  /** the fingerprint each app's function settings must have (settings/fingerprint.ts); when given,
   * an up-to-date item of an app whose recorded fingerprint differs becomes converge-settings */
  settingsFingerprint?: (appId: string) => string;
}

/** Actions that make the run download (or mark) the object. */
export const WORK_ACTIONS: ReadonlySet<PlanAction> = new Set<PlanAction>([
  'provision',
  'check-reupload',
  'recheck-rejected',
  'reject-non-canonical',
  'reject-name-taken',
  'reject-oversized',
  'converge-settings',
]);

/** Actions that download the object. */
const DOWNLOAD_ACTIONS: ReadonlySet<PlanAction> = new Set<PlanAction>([
  'provision',
  'check-reupload',
  'recheck-rejected',
]);

export function needsWork(item: PlanItem): boolean {
  return WORK_ACTIONS.has(item.action);
}

/** Stems (<app_id>_<version>) that have a manifest. */
export function manifestStems(manifestKeys: Iterable<string>): Set<string> {
  const stems = new Set<string>();
  for (const key of manifestKeys) {
    if (!key.startsWith(STATE_KEYS.manifestsPrefix) || !key.endsWith('.json')) continue;
    stems.add(key.slice(STATE_KEYS.manifestsPrefix.length, -'.json'.length));
  }
  return stems;
}

/** A "folder" placeholder (the prefix itself, or a key ending in "/") is not a release object. */
function isFolderPlaceholder(key: string, prefix: string): boolean {
  return key === prefix || key.endsWith('/');
}

type Decision = Pick<PlanItem, 'action' | 'reason'>;

interface DecideOptions {
  replace: boolean;
  retryFailed: boolean;
  validatorVersion: number;
}

/** The retired verdict of a stem (any ETag), or undefined when the version was never retired. */
function retiredDecision(
  byEtag: Map<string, ParsedMarker[]> | undefined,
  etag: string,
): Decision | undefined {
  let retiredEtag: string | undefined;
  for (const [e, list] of byEtag ?? []) {
    if (list.some((m) => m.outcome === 'retired' || m.outcome === 'pruned')) retiredEtag = e;
  }
  if (retiredEtag === undefined) return undefined;
  const same = byEtag?.get(etag)?.some((m) => m.outcome === 'retired' || m.outcome === 'pruned');
  return same
    ? { action: 'known-retired', reason: 'retired by prune' }
    : {
        action: 'known-retired',
        reason:
          'this version was retired by prune; an object uploaded under its key is not provisioned ' +
          '(versions are immutable: publish a new version)',
      };
}

function decideCanonical(markers: ParsedMarker[], hasManifest: boolean, options: DecideOptions): Decision {
  const { replace, validatorVersion } = options;
  const has = (...outcomes: ParsedMarker['outcome'][]) => markers.find((m) => outcomes.includes(m.outcome));
  const done = has('provisioned', 'identical');
  if (done) {
    return hasManifest
      ? { action: 'up-to-date', reason: `judged ${done.outcome}` }
      : { action: 'provision', reason: `judged ${done.outcome}, but its manifest is gone` };
  }
  if (has('collision')) {
    // judged without a manifest (a name taken by another app): whether or not a manifest appeared
    // since, this object stays known; a new upload (new ETag) or --replace judges it again
    return replace
      ? {
          action: hasManifest ? 'check-reupload' : 'provision',
          reason: 'known conflict, retried with --replace',
        }
      : { action: 'known-conflict', reason: 'a function name of this version belongs to another app' };
  }
  if (has('conflict')) {
    if (!hasManifest) return { action: 'provision', reason: 'conflict marked, but the manifest is gone' };
    return replace
      ? { action: 'check-reupload', reason: 'known conflict, redeployed with --replace' }
      : { action: 'known-conflict', reason: 'other bytes than the provisioned bundle of this version' };
  }
  const failures = markers.filter((m) => m.outcome === 'failed');
  if (failures.length > 0) {
    const newest = Math.max(...failures.map((m) => m.validatorVersion));
    const again = hasManifest ? 'check-reupload' : 'provision';
    if (options.retryFailed) return { action: again, reason: 'marked failed; retried with --retry-failed' };
    return newest >= validatorVersion
      ? {
          action: 'known-failure',
          reason:
            'AWS refused its content (marked failed); `reconcile --retry-failed --only <app_id>` retries it',
        }
      : {
          action: again,
          reason: `failed under validator v${newest}; the rules are now v${validatorVersion}`,
        };
  }
  const rejections = markers.filter((m) => m.outcome === 'rejected');
  if (rejections.length > 0) {
    const newest = Math.max(...rejections.map((m) => m.validatorVersion));
    return newest >= validatorVersion
      ? { action: 'known-rejection', reason: `rejected (validator v${newest})` }
      : {
          action: 'recheck-rejected',
          reason: `rejected under validator v${newest}; the rules are now v${validatorVersion}`,
        };
  }
  return hasManifest
    ? { action: 'check-reupload', reason: 'the manifest exists; this object (ETag) was never judged' }
    : { action: 'provision', reason: 'not provisioned yet' };
}

export function buildPlan(input: PlanInput): Plan {
  const { location, listings } = input;
  const replace = input.replace ?? false;
  const validatorVersion = input.validatorVersion ?? VALIDATOR_VERSION;
  const maxBundleBytes = input.maxBundleBytes ?? MAX_BUNDLE_BYTES;
  const decide: DecideOptions = { replace, retryFailed: input.retryFailed ?? false, validatorVersion };
  const markers = indexMarkers(listings.markers.map((o) => o.key));
  const manifests = manifestStems(listings.manifests.map((o) => o.key));
  const layout = location.releaseLayout ?? 'flat';
  const squatted = squattedApp(manifests);
  const settingsStale = staleFingerprint(
    listings.markers.map((o) => o.key),
    input.settingsFingerprint,
  );

  const items: PlanItem[] = [];
  const sorted = [...listings.release].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const obj of sorted) {
    if (isFolderPlaceholder(obj.key, location.releasePrefix)) continue;
    const base = { releaseKey: obj.key, etag: obj.etag, size: obj.size };
    const etag = bareEtag(obj.etag);
    const parsed = parseReleaseKey(location.releasePrefix, obj.key, layout);
    if (!parsed) {
      if (input.only !== undefined) continue;
      const marked = markers.get(nonCanonicalStem(obj.key))?.get(etag) ?? [];
      items.push(
        marked.some((m) => m.outcome === 'rejected')
          ? { ...base, action: 'known-non-canonical', reason: `key is not canonical (layout ${layout})` }
          : { ...base, action: 'reject-non-canonical', reason: `key is not canonical (layout ${layout})` },
      );
      continue;
    }
    if (input.only !== undefined && parsed.appId !== input.only) continue;
    const stem = canonicalStem(parsed.appId, parsed.version);
    let decision =
      retiredDecision(markers.get(stem), etag) ??
      decideCanonical(markers.get(stem)?.get(etag) ?? [], manifests.has(stem), decide);
    const stale = decision.action === 'up-to-date' ? settingsStale(parsed.appId) : undefined;
    if (stale !== undefined)
      decision = { action: 'converge-settings', reason: `function settings changed (fingerprint ${stale})` };
    if (DOWNLOAD_ACTIONS.has(decision.action) && obj.size > maxBundleBytes)
      decision = {
        action: 'reject-oversized',
        reason: `listed at ${obj.size} bytes, over the bundle limit of ${maxBundleBytes}`,
      };
    const owner =
      decision.action === 'provision' || decision.action === 'recheck-rejected'
        ? squatted(parsed.appId)
        : undefined;
    items.push({
      ...base,
      appId: parsed.appId,
      version: parsed.version,
      ...(owner === undefined
        ? decision
        : { action: 'reject-name-taken', reason: `its function names may be those of app ${owner}` }),
    });
  }

  const counts: Partial<Record<PlanAction, number>> = {};
  for (const item of items) counts[item.action] = (counts[item.action] ?? 0) + 1;
  return {
    planVersion: PLAN_VERSION,
    runId: input.runId,
    createdAt: input.createdAt.toISOString(),
    releaseBucket: location.releaseBucket,
    releasePrefix: location.releasePrefix,
    appsBucket: location.appsBucket,
    replace,
    ...(input.only !== undefined ? { only: input.only } : {}),
    items,
    counts,
  };
}
