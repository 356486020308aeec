/**
 * The release object's drift, read with `status APP_ID`: a provisioned version whose manifest names a
 * bundle (sha256 in its metadata) other than the release object now listed under the version's
 * canonical key. It happens after `provision --update` from disk (the manifest then names no release
 * key), or when a run provisioned another object than the one listed now. Reconcile does not see it:
 * the listed object was judged already (its marker says so), so the plan calls it up to date.
 *
 * The release object's bundle sha256 is the one its marker recorded (provisioned, identical or
 * conflict); an object no run has judged yet is pending, and the next reconcile compares it.
 * One GetObject per version of the app, bounded (mapBounded), in details mode only.
 */
import type { S3Port } from '../aws/ports';
import { releaseKey as canonicalReleaseKey } from '../bundle/names';
import { errorMessage } from '../errors';
import { escapeTerminal as t } from '../text/escape';
import type { Listings, ListingLocation } from '../reconcile/listing';
import { bareEtag, canonicalStem, type MarkerIndex } from '../reconcile/markers';
import type { MarkerBody, MarkerOutcome } from '../reconcile/types';
import { mapBounded, readJson } from './details';
import type { ProvisionedApp, ReleaseDrift } from './types';

/** Markers that record the bundle sha256 of the object they judged. */
const HASHED: ReadonlySet<MarkerOutcome> = new Set<MarkerOutcome>(['provisioned', 'identical', 'conflict']);

async function driftOf(
  s3: S3Port,
  where: ListingLocation,
  release: ReadonlyMap<string, string>,
  markers: MarkerIndex,
  app: ProvisionedApp,
  problems: string[],
): Promise<ReleaseDrift | undefined> {
  const provisionedSha256 = app.bundleSha256;
  if (provisionedSha256 === undefined) return undefined; // a manifest this deployer did not write
  const key = canonicalReleaseKey(where.releasePrefix, app.appId, app.version, where.releaseLayout);
  const etag = release.get(key);
  if (etag === undefined) return undefined; // no release object: nothing to compare with
  // the manifest was written from this very object
  if (app.releaseKey === key && app.releaseEtag !== undefined && bareEtag(app.releaseEtag) === etag)
    return undefined;
  const marker = (markers.get(canonicalStem(app.appId, app.version))?.get(etag) ?? []).find((m) =>
    HASHED.has(m.outcome),
  );
  if (marker === undefined) return undefined; // not judged yet: pending, the next run compares it
  let body: Partial<MarkerBody> | undefined;
  try {
    body = (await readJson(s3, where.appsBucket, marker.key)) as Partial<MarkerBody> | undefined;
  } catch (err) {
    problems.push(`marker s3://${where.appsBucket}/${marker.key} could not be read: ${errorMessage(err)}`);
    return undefined;
  }
  const releaseSha256 = body?.bundleSha256;
  // a marker body is forgeable (deployer/ may be writable by others): only a string is shown
  if (typeof releaseSha256 !== 'string' || releaseSha256 === provisionedSha256) return undefined;
  return {
    releaseKey: key,
    releaseEtag: etag,
    releaseSha256,
    provisionedSha256,
    provisionedFrom: app.releaseKey === undefined ? 'disk' : 'release',
  };
}

/** Each version with its release object's drift, when there is one (`status APP_ID`). */
export async function withReleaseDrift(
  s3: S3Port,
  where: ListingLocation,
  listings: Listings,
  markers: MarkerIndex,
  apps: ProvisionedApp[],
  problems: string[],
): Promise<ProvisionedApp[]> {
  const release = new Map(listings.release.map((o) => [o.key, bareEtag(o.etag)]));
  return mapBounded(apps, async (app) => {
    const releaseDrift = await driftOf(s3, where, release, markers, app, problems);
    return releaseDrift ? { ...app, releaseDrift } : app;
  });
}

/** The status section: empty when no version drifts. */
export function formatReleaseDrift(apps: readonly ProvisionedApp[]): string[] {
  const drifting = apps.filter((a) => a.releaseDrift !== undefined);
  if (drifting.length === 0) return [];
  const lines = [
    '',
    `Release drift (${drifting.length}): the release object is not the bundle that runs; ` +
      'reconcile leaves it (that object was judged already)',
  ];
  for (const a of drifting) {
    const d = a.releaseDrift as ReleaseDrift;
    const from = d.provisionedFrom === 'disk' ? 'provisioned from disk (provision --update)' : 'provisioned';
    lines.push(
      `  ${t(a.appId)} ${t(a.version)}: runs bundle sha256 ${t(d.provisionedSha256)}, ${from}`,
      `    release object ${t(d.releaseKey)} (ETag ${t(d.releaseEtag)}) is bundle sha256 ${t(d.releaseSha256)}`,
    );
  }
  lines.push(
    '  To run the released bytes: `provision --update` with that object; to keep what runs, upload it as a new version.',
  );
  return lines;
}
