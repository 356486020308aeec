/**
 * The static assets a retirement removes: only the keys the provisioned release bundle named, read
 * from the bundle itself (downloaded with If-Match on the release ETag recorded in the manifest's
 * metadata, its sha256 checked against the recorded bundle sha256). When the bundle cannot be read,
 * no asset is named (never a foreign object under the version's static prefix): they are reported.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { staticAssetKey } from '../bundle/names';
import { openBundleReader } from '../bundle/reader';
import { errorMessage } from '../errors';
import { MANIFEST_METADATA } from '../provision/types';
import { downloadRelease } from '../reconcile/download';
import { bareEtag, canonicalStem } from '../reconcile/markers';
import type { RetireContext } from './retire';
import type { VersionDecision } from './types';

export function decoded(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Keys of the static assets the provisioned release bundle named, read from the bundle itself (its
 * sha256 checked against the manifest's metadata), or why they cannot be known. */
export async function bundleAssetKeys(
  ctx: RetireContext,
  d: VersionDecision,
  metadata: Record<string, string>,
): Promise<{ assets?: string[]; assetsNote?: string }> {
  const releaseKey = decoded(metadata[MANIFEST_METADATA.releaseKey]);
  const releaseEtag = decoded(metadata[MANIFEST_METADATA.releaseEtag]);
  const sha = metadata[MANIFEST_METADATA.bundleSha256];
  if (!releaseKey || !releaseEtag || !sha)
    return { assetsNote: 'the manifest names no release bundle (not written by apps-deployer): assets left' };
  const file = path.join(ctx.tmpDir, `${canonicalStem(d.appId, d.version).replace(/[^\w.-]/g, '_')}.zip`);
  try {
    const got = await downloadRelease(
      ctx.ports.s3,
      { bucket: ctx.releaseBucket, key: releaseKey, etag: `"${bareEtag(releaseEtag)}"` },
      file,
    );
    if (got.sha256Hex !== sha)
      return {
        assetsNote: `release bundle ${releaseKey} is not the bundle provisioned (sha256 differs): assets left`,
      };
    const reader = await openBundleReader(file);
    const keys = new Set<string>();
    for (const entry of reader.entries) {
      if (!entry.startsWith('static/') || entry.endsWith('/')) continue;
      try {
        keys.add(staticAssetKey(d.appId, d.version, entry.slice('static/'.length)));
      } catch {
        // an unsafe path: never uploaded
      }
    }
    return { assets: [...keys].sort() };
  } catch (err) {
    return { assetsNote: `release bundle ${releaseKey} cannot be read (${errorMessage(err)}): assets left` };
  } finally {
    await rm(file, { force: true }).catch(() => undefined);
  }
}
