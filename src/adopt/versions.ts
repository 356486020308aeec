/**
 * The provisioned versions `adopt` can match functions against: every manifest under manifests/ (of
 * one app with --only) and its release bundle under the canonical key. A manifest that carries the
 * deployer's metadata (bundle sha256) is the deployer's already: nothing is downloaded for it. For the
 * others the release bundle is downloaded with If-Match on its listed ETag (reconcile's safe reader),
 * fully validated, and compared with the stored manifest (app id, version, and every function's name,
 * handler and runtime); the bundle is kept (without its temp file) only when both agree.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { S3Port } from '../aws/ports';
import { isNotFound } from '../aws/errors';
import { manifestFunctions as lambdaSection } from '../bundle/manifest';
import { isValidAppId, isValidVersion, lambdaFunctionName, releaseKey } from '../bundle/names';
import { MAX_STORED_MANIFEST_BYTES } from '../bundle/stored-manifest';
import { parseStrictJson } from '../bundle/strict-json';
import type { Bundle, ValidationResult } from '../bundle/types';
import type { ReleaseLayout } from '../config';
import { mapBounded } from '../provision/concurrency';
import { MANIFEST_METADATA } from '../provision/types';
import { downloadRelease } from '../reconcile/download';
import { DownloadError, s3AccessError } from '../reconcile/errors';
import { listAll, type ListedObject } from '../reconcile/listing';
import { bareEtag, canonicalStem, indexMarkers } from '../reconcile/markers';
import { STATE_KEYS } from '../reconcile/types';
import { ADOPT_DOWNLOADS } from './constants';
import { manifestDifferences } from './manifest-match';
import { tempDirPrefix } from '../temp-dirs';
import { readBodyText } from '../aws/body';

export interface ManifestFunction {
  name: string;
  handler?: unknown;
  runtime?: unknown;
}

export interface ProvisionedVersion {
  appId: string;
  version: string;
  manifestKey: string;
  /** the manifest's ETag, as listed (the manifest rewrite is conditional on it) */
  manifestEtag: string;
  /** the manifest carries the deployer's metadata: provisioned (or adopted) by the deployer */
  ours: boolean;
  /** ours, from this very release object (its ETag in the manifest metadata), but the release object
   * has no provisioned/identical marker: an adopt interrupted between the manifest and the marker.
   * Holds the bundle sha256 the marker records. */
  markerMissing?: string;
  /** Lambda names of the functions the stored manifest names */
  lambdaNames: string[];
  release?: ListedObject;
  /** the validated release bundle, when it matches the stored manifest */
  bundle?: Bundle;
  /** why no bundle can be matched against (no release object, invalid, another manifest) */
  problem?: { reason: 'no-release-bundle' | 'bundle-mismatch'; detail: string };
}

export interface VersionSources {
  s3: S3Port;
  appsBucket: string;
  releaseBucket: string;
  releasePrefix: string;
  releaseLayout: ReleaseLayout;
  validate: (file: string) => Promise<ValidationResult>;
  tmpRoot?: string;
}

/** manifests/<app_id>_<version>.json → app id and version (split at the last "_", as upstream). */
export function parseManifestKey(key: string): { appId: string; version: string } | undefined {
  const prefix = STATE_KEYS.manifestsPrefix;
  if (!key.startsWith(prefix) || !key.endsWith('.json')) return undefined;
  const stem = key.slice(prefix.length, -'.json'.length);
  const cut = stem.lastIndexOf('_');
  const appId = stem.slice(0, cut);
  const version = stem.slice(cut + 1);
  return cut > 0 && isValidAppId(appId) && isValidVersion(version) ? { appId, version } : undefined;
}

/** The functions a stored manifest names (either aws_lambda shape); [] when it names none. */
export function manifestFunctions(manifest: Record<string, unknown>): ManifestFunction[] {
  return lambdaSection(manifest)
    .list.filter((f): f is Record<string, unknown> => !!f && typeof f === 'object')
    .filter((f) => typeof f.name === 'string')
    .map((f) => ({ name: f.name as string, handler: f.handler, runtime: f.runtime }));
}

async function readManifest(
  s3: S3Port,
  bucket: string,
  key: string,
): Promise<{ value?: Record<string, unknown>; metadata: Record<string, string>; problem?: string }> {
  let res;
  try {
    res = await s3.getObject({ Bucket: bucket, Key: key });
  } catch (err) {
    if (isNotFound(err)) return { metadata: {}, problem: 'it was deleted since it was listed' };
    throw s3AccessError('read', `s3://${bucket}/${key}`, err);
  }
  const metadata = res.Metadata ?? {};
  const text = await readBodyText(res, MAX_STORED_MANIFEST_BYTES);
  if (text === undefined)
    return { metadata, problem: `it is larger than ${MAX_STORED_MANIFEST_BYTES} bytes` };
  const parsed = parseStrictJson(text);
  if (!parsed.ok || parsed.problems.length > 0 || !parsed.value || typeof parsed.value !== 'object')
    return { metadata, problem: 'it is not a JSON object read the same way by every reader' };
  return { value: parsed.value as Record<string, unknown>, metadata };
}

function lambdaNamesOf(appId: string, version: string, fns: ManifestFunction[]): string[] {
  const names: string[] = [];
  for (const f of fns) {
    try {
      names.push(lambdaFunctionName(appId, version, f.name).name);
    } catch {
      // a name no bundle could have: no function of the deployer's shape to match
    }
  }
  return names;
}

/** Does the stored manifest say what the bundle's says (manifest-match.ts)? A reason when not. */
function manifestMismatch(stored: Record<string, unknown>, bundle: Bundle): string | undefined {
  const differences = manifestDifferences(stored, bundle.manifest);
  return differences.length > 0
    ? `the stored manifest and the release bundle's differ in ${differences.join(', ')}`
    : undefined;
}

/** The sha256 hex of a stored object, streamed (never held in memory); undefined when it is absent. */
async function storedSha256(s3: S3Port, bucket: string, key: string): Promise<string | undefined> {
  let res;
  try {
    res = await s3.getObject({ Bucket: bucket, Key: key });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw s3AccessError('read', `s3://${bucket}/${key}`, err);
  }
  const hash = createHash('sha256');
  const body = res.Body as AsyncIterable<Uint8Array> | undefined;
  if (body) for await (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

/** A release bundle uploaded for a version upstream provisioned must not bring other static assets:
 * once adopted, provisioning (verify --repair) would overwrite the stored ones with its bytes. A
 * reason when one of the stored assets differs from the bundle's. */
async function storedAssetDiffers(src: VersionSources, bundle: Bundle): Promise<string | undefined> {
  for (const asset of bundle.assets) {
    const stored = await storedSha256(src.s3, src.appsBucket, asset.key);
    if (stored !== undefined && stored !== asset.sha256Hex)
      return `the stored static asset ${asset.key} differs from the release bundle's ${asset.entry}`;
  }
  return undefined;
}

async function matchBundle(
  src: VersionSources,
  v: ProvisionedVersion,
  stored: Record<string, unknown>,
  tmpDir: string,
  index: number,
): Promise<void> {
  const release = v.release;
  if (!release) return;
  const file = path.join(tmpDir, `bundle-${index}.zip`);
  try {
    try {
      await downloadRelease(
        src.s3,
        { bucket: src.releaseBucket, key: release.key, etag: release.etag },
        file,
      );
    } catch (err) {
      if (!(err instanceof DownloadError && err.changed)) throw err;
      v.problem = { reason: 'bundle-mismatch', detail: `${err.message}; run adopt again` };
      return;
    }
    const result = await src.validate(file);
    if (!result.ok) {
      const first = result.errors[0];
      v.problem = {
        reason: 'bundle-mismatch',
        detail: `the release bundle ${release.key} is invalid (${result.errors.length} errors${first ? `, first: ${first.path}: ${first.message}` : ''})`,
      };
      return;
    }
    const bundle = result.bundle;
    const mismatch =
      bundle.appId !== v.appId || bundle.version !== v.version
        ? `the release bundle ${release.key} is of ${bundle.appId} ${bundle.version}`
        : manifestMismatch(stored, bundle);
    const differs = mismatch ?? (await storedAssetDiffers(src, bundle));
    if (differs) v.problem = { reason: 'bundle-mismatch', detail: differs };
    else v.bundle = bundle;
  } finally {
    await rm(file, { force: true });
  }
}

/** Every provisioned version (of `only`, when given), with its release bundle where one matches. */
export async function provisionedVersions(src: VersionSources, only?: string): Promise<ProvisionedVersion[]> {
  const [manifests, releases, markers] = await Promise.all([
    listAll(src.s3, src.appsBucket, STATE_KEYS.manifestsPrefix),
    listAll(src.s3, src.releaseBucket, src.releasePrefix),
    listAll(src.s3, src.appsBucket, STATE_KEYS.seenPrefix),
  ]);
  const judged = indexMarkers(markers.map((m) => m.key));
  const byKey = new Map(releases.map((o) => [o.key, o]));
  const found = manifests
    .map((m) => ({ listed: m, parsed: parseManifestKey(m.key) }))
    .filter((m) => m.parsed !== undefined && (only === undefined || m.parsed.appId === only));
  const tmpDir = await mkdtemp(path.join(src.tmpRoot ?? os.tmpdir(), tempDirPrefix('run')));
  try {
    return await mapBounded(found, ADOPT_DOWNLOADS, async ({ listed, parsed }, index) => {
      const { appId, version } = parsed as { appId: string; version: string };
      const manifest = await readManifest(src.s3, src.appsBucket, listed.key);
      const v: ProvisionedVersion = {
        appId,
        version,
        manifestKey: listed.key,
        manifestEtag: listed.etag,
        ours: manifest.metadata[MANIFEST_METADATA.bundleSha256] !== undefined,
        lambdaNames: lambdaNamesOf(appId, version, manifestFunctions(manifest.value ?? {})),
        release: byKey.get(releaseKey(src.releasePrefix, appId, version, src.releaseLayout)),
      };
      if (v.ours) {
        const sha = manifest.metadata[MANIFEST_METADATA.bundleSha256];
        const recordedEtag = manifest.metadata[MANIFEST_METADATA.releaseEtag];
        const release = v.release;
        const marked = (
          release ? judged.get(canonicalStem(appId, version))?.get(bareEtag(release.etag)) : []
        )?.some((m) => m.outcome === 'provisioned' || m.outcome === 'identical');
        if (release && sha && recordedEtag && bareEtag(recordedEtag) === bareEtag(release.etag) && !marked)
          v.markerMissing = sha;
        return v;
      }
      if (!manifest.value) {
        v.problem = { reason: 'bundle-mismatch', detail: `the manifest ${listed.key}: ${manifest.problem}` };
      } else if (!v.release) {
        v.problem = {
          reason: 'no-release-bundle',
          detail: `no release bundle ${releaseKey(src.releasePrefix, appId, version, src.releaseLayout)} in s3://${src.releaseBucket}`,
        };
      } else {
        await matchBundle(src, v, manifest.value, tmpDir, index);
      }
      return v;
    });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}
