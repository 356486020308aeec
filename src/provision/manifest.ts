/**
 * The manifest: written last, as a conditional create (If-None-Match: *), with metadata (bundle sha256,
 * release key and ETag, deployer version, run id, the sha256 of the body for `verify`). Its existence is what publishes a version
 * (invariant I1), so nothing may come after it. A conditional write retried after a 5xx or a reset can
 * answer 412 for our own success: on a 412 the object is read back before concluding.
 * Replace (--update): the manifest is deleted first with If-Match on the ETag that was read, the bundle
 * is converged, and the manifest is created again.
 */
import { deleteIfMatch } from '../aws/conditional-delete';
import { isConditionalConflict, isNotFound, isPreconditionFailed } from '../aws/errors';
import type { Bundle } from '../bundle/types';
import { VERSION } from '../version';
import type { StepContext } from './context';
import { ConcurrentWriteError, ConflictError } from './errors';
import { sha256Hex } from './record';
import { MANIFEST_METADATA, type ProvisionOptions } from './types';

export type ManifestState =
  { exists: false } | { exists: true; etag: string; metadata: Record<string, string> };

/** Metadata values must be printable ASCII in S3 headers. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

export function manifestBody(bundle: Bundle): string {
  return bundle.storedManifestJson;
}

export function manifestMetadata(bundle: Bundle, options: ProvisionOptions): Record<string, string> {
  const meta: Record<string, string> = {
    [MANIFEST_METADATA.bundleSha256]: bundle.sha256Hex,
    [MANIFEST_METADATA.deployerVersion]: VERSION,
    [MANIFEST_METADATA.runId]: headerSafe(options.runId),
    [MANIFEST_METADATA.manifestSha256]: sha256Hex(manifestBody(bundle)),
  };
  if (options.releaseKey) meta[MANIFEST_METADATA.releaseKey] = headerSafe(options.releaseKey);
  if (options.releaseEtag) meta[MANIFEST_METADATA.releaseEtag] = headerSafe(options.releaseEtag);
  return meta;
}

export async function readManifestState(ctx: StepContext, key: string): Promise<ManifestState> {
  return ctx.retry('manifest', key, async () => {
    try {
      const head = await ctx.ports.s3.headObject({ Bucket: ctx.config.appsBucket, Key: key });
      return { exists: true, etag: head.ETag ?? '', metadata: head.Metadata ?? {} };
    } catch (err) {
      if (isNotFound(err)) return { exists: false };
      throw err;
    }
  });
}

function conflictWithOtherBundle(
  ctx: StepContext,
  bundle: Bundle,
  state: Extract<ManifestState, { exists: true }>,
): ConflictError {
  const other = state.metadata[MANIFEST_METADATA.bundleSha256];
  return new ConflictError(
    `bundle ${ctx.bundle}: ${bundle.appId} ${bundle.version} is already provisioned from ` +
      `${other ? `another bundle (sha256 ${other})` : 'a bundle this deployer did not record'}; versions are immutable`,
    {
      bundle: ctx.bundle,
      resource: bundle.manifestKey,
      hint: 'publish the change under a new version, or redeploy this version with `provision --update` (reconcile --replace)',
    },
  );
}

/** Is the existing manifest this bundle's? */
export function isSameBundle(bundle: Bundle, state: ManifestState): boolean {
  return state.exists && state.metadata[MANIFEST_METADATA.bundleSha256] === bundle.sha256Hex;
}

/** Throws the conflict for a manifest written from another bundle (when not replacing). */
export function assertNotOtherBundle(ctx: StepContext, bundle: Bundle, state: ManifestState): void {
  if (state.exists && !isSameBundle(bundle, state)) throw conflictWithOtherBundle(ctx, bundle, state);
}

/**
 * Creates the manifest. 'created': written by this run (also when a retried write answered 412 and the
 * read-back shows our run id); 'existing': another run wrote it from the same bundle meanwhile.
 */
export async function createManifest(
  ctx: StepContext,
  bundle: Bundle,
  options: ProvisionOptions,
): Promise<'created' | 'existing'> {
  const key = bundle.manifestKey;
  const written = await ctx.retry('manifest', key, async () => {
    try {
      await ctx.ports.s3.putObject({
        Bucket: ctx.config.appsBucket,
        Key: key,
        Body: manifestBody(bundle),
        ContentType: 'application/json',
        Metadata: manifestMetadata(bundle, options),
        IfNoneMatch: '*',
      });
      return true;
    } catch (err) {
      if (isPreconditionFailed(err) || isConditionalConflict(err)) return false;
      throw err;
    }
  });
  if (written) {
    ctx.emit({ type: 'step', step: 'manifest', resource: key, outcome: 'created' });
    return 'created';
  }
  const state = await readManifestState(ctx, key);
  if (!state.exists) {
    // a 409 for a concurrent write that then failed: nothing there; the next run writes it
    throw new ConcurrentWriteError(
      `bundle ${ctx.bundle}: a concurrent write to ${key} was refused and left nothing`,
      {
        bundle: ctx.bundle,
        resource: key,
        hint: 'another run is writing this version at the same time; run again',
      },
    );
  }
  if (state.metadata[MANIFEST_METADATA.runId] === headerSafe(options.runId)) {
    ctx.emit({ type: 'step', step: 'manifest', resource: key, outcome: 'created' });
    return 'created';
  }
  if (isSameBundle(bundle, state)) {
    ctx.emit({ type: 'step', step: 'manifest', resource: key, outcome: 'unchanged' });
    return 'existing';
  }
  throw conflictWithOtherBundle(ctx, bundle, state);
}

/** Replace: deletes the manifest read earlier, only if it is still that object (If-Match). */
export async function deleteManifest(ctx: StepContext, bundle: Bundle, etag: string): Promise<void> {
  const key = bundle.manifestKey;
  await ctx.retry('manifest', key, async () => {
    try {
      await deleteIfMatch(
        ctx.ports.s3,
        { Bucket: ctx.config.appsBucket, Key: key, IfMatch: etag },
        ctx.logger,
      );
    } catch (err) {
      if (isNotFound(err)) return; // already gone (a retried delete)
      if (isPreconditionFailed(err)) {
        // a retried delete of our own success may answer 412 on a key that no longer exists
        if (!(await readManifestState(ctx, key)).exists) return;
        throw new ConcurrentWriteError(`bundle ${ctx.bundle}: ${key} changed while it was being replaced`, {
          bundle: ctx.bundle,
          resource: key,
          hint: 'another run wrote this version meanwhile; run again to see the current state',
        });
      }
      throw err;
    }
  });
  ctx.emit({ type: 'step', step: 'manifest', resource: key, outcome: 'updated' });
}
