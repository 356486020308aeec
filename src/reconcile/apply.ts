/**
 * Judges one release object of the plan and records the judgement (DESIGN.md "Reconcile"):
 *
 *  provision / recheck-rejected / check-reupload:
 *    download (If-Match the listed ETag, hashed) →
 *    [a manifest exists] compare with its bundle-sha256: same bytes → identical (converged too, as
 *      for converge-settings, when the app's settings fingerprint is stale); other bytes →
 *      conflict (or, with --replace, redeploy) →
 *    validate fully (no AWS write before) → rejected, with every issue →
 *    provision (IAM once per run, then functions, assets, manifest last) → provisioned
 *  reject-non-canonical, reject-name-taken, reject-oversized: rejected without a download.
 *
 * Every judgement (provisioned, identical, conflict, rejected) is written as a marker keyed by the
 * object's ETag, so the next runs recognize it from a listing. A failure is judged by the one
 * classifier (aws/failure-class.ts): transient writes nothing (the next run retries); configuration
 * writes nothing and stops the run (exit 2); permanent (AWS refused the bundle's content) is marked
 * `failed`. Downloads wait for room in the run's disk budget; the temp file is always removed.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { S3Port } from '../aws/ports';
import type { ReleaseLayout } from '../config';
import { manifestKey, releaseFolder, releaseKey } from '../bundle/names';
import type { Bundle, Issue, ValidationResult } from '../bundle/types';
import { DeployerError, errorMessage } from '../errors';
import type { Logger } from '../log';
import {
  MANIFEST_METADATA,
  type ProvisionOptions,
  type ProvisionResult,
  type UploadProgress,
} from '../provision/types';
import { downloadRelease } from './download';
import { reservationFor, type DiskBudget } from './disk-budget';
import { bareEtag, canonicalStem, type MarkerIndex } from './markers';
import { failure, mark, rejectNameTaken, rejectNonCanonical, rejectOversized } from './verdicts';
import { isNotFound, type AwsConfigurationError } from '../aws/errors';
import type { BundleOutcome, PlanItem } from './types';

/** Error code of the provisioner's ConflictError (provision/errors.ts). */
export const CONFLICT_CODE = 'CONFLICT';

export interface ApplyContext {
  s3: S3Port;
  appsBucket: string;
  releaseBucket: string;
  releasePrefix: string;
  /** how release keys are shaped (default flat) */
  releaseLayout?: ReleaseLayout;
  runId: string;
  replace: boolean;
  /** a private directory of this run for downloads */
  tmpDir: string;
  /** bytes of a release bundle downloaded so far (progress on a terminal) */
  onBytes?: (item: PlanItem, bytes: number) => void;
  /** bytes of the bundle's uploads (function code, assets) while it is provisioned (same purpose) */
  onUploadBytes?: (item: PlanItem, progress: UploadProgress) => void;
  /** the markers listed at plan time */
  markers: MarkerIndex;
  /** throws (LockLostError, RunAbortedError) when this run must not write any more */
  assertCanWrite: () => void;
  validate: (file: string) => Promise<ValidationResult>;
  /** provisions one validated bundle; IAM is ensured once per run before the first */
  provision: (bundle: Bundle, options: ProvisionOptions, logger: Logger) => Promise<ProvisionResult>;
  now: () => Date;
  /** the run's temp-file budget: a worker reserves before it downloads */
  disk: DiskBudget;
  /** the bundle size limit the plan applied (for the message of reject-oversized) */
  maxBundleBytes: number;
  /** a configuration failure: the run starts no new bundle and exits 2 */
  stopRun: (err: AwsConfigurationError) => void;
  /** whether the app's current settings fingerprint is missing from the listing (reconcile/settings.ts);
   * absent: never */
  settingsStale?: (appId: string) => boolean;
}

/** What a worker does with one plan item. Never throws: a failure is an outcome. */
export async function applyItem(
  item: PlanItem,
  ctx: ApplyContext,
  logger: Logger,
  slot: number,
): Promise<BundleOutcome> {
  const file = path.join(ctx.tmpDir, `bundle-${slot}.zip`);
  let release: (() => void) | undefined;
  try {
    ctx.assertCanWrite();
    if (item.action === 'reject-non-canonical') return await rejectNonCanonical(item, ctx, logger);
    if (item.action === 'reject-name-taken') return await rejectNameTaken(item, ctx, logger);
    if (item.action === 'reject-oversized') return await rejectOversized(item, ctx, logger);
    if (ctx.disk.available < reservationFor(item.size))
      logger.info({ step: 'download', bytes: item.size }, 'waiting for room in the temp-file budget');
    release = await ctx.disk.reserve(reservationFor(item.size));
    ctx.assertCanWrite();
    return await judge(item, ctx, logger, file);
  } catch (err) {
    return await failure(item, ctx, logger, err);
  } finally {
    await rm(file, { force: true }).catch((err: unknown) =>
      logger.warn({ file, err: { message: (err as Error).message } }, 'temp file not removed'),
    );
    release?.();
  }
}

async function judge(
  item: PlanItem,
  ctx: ApplyContext,
  logger: Logger,
  file: string,
): Promise<BundleOutcome> {
  if (item.appId === undefined || item.version === undefined) {
    throw new DeployerError(`plan item ${item.releaseKey} (${item.action}) has no app id`, {
      code: 'INTERNAL',
      bundle: item.releaseKey,
    });
  }
  const { appId, version } = item;
  const stem = canonicalStem(appId, version);

  logger.debug({ step: 'download' }, 'downloading');
  const dl = await downloadRelease(
    ctx.s3,
    { bucket: ctx.releaseBucket, key: item.releaseKey, etag: item.etag },
    file,
    ctx.onBytes && ((bytes) => ctx.onBytes?.(item, bytes)),
  );
  logger.debug({ step: 'download', bytes: dl.size, sha256: dl.sha256Hex }, 'downloaded');

  let replace = false;
  // converge-settings: a bundle already judged provisioned, provisioned again so that its functions
  // take the new settings (the provisioner converges an existing version without rewriting it)
  let converge = item.action === 'converge-settings';
  if (item.action !== 'provision' && !converge) {
    const provisioned = await provisionedSha256(ctx, appId, version);
    if (provisioned.exists) {
      if (provisioned.sha256 === dl.sha256Hex) {
        await mark(ctx, logger, stem, item, 'identical', { bundleSha256: dl.sha256Hex });
        // the version is live, but its app's settings were never recorded as converged (a run killed
        // between this manifest and its marker, before the fingerprints): converge it now, so that the
        // fingerprint is recorded by this run and the next one has nothing to do
        if (ctx.settingsStale?.(appId) !== true) return { status: 'identical' };
        converge = true;
      } else if (provisioned.sha256 !== undefined) {
        if (!ctx.replace) {
          const message =
            `release object ${item.releaseKey} (ETag ${item.etag}, sha256 ${dl.sha256Hex}) has other bytes ` +
            `than the provisioned bundle of ${appId} ${version} (sha256 ${provisioned.sha256}); versions are ` +
            `immutable: nothing was overwritten. Upload it as a new version, or run reconcile --replace to redeploy ${version}`;
          await mark(ctx, logger, stem, item, 'conflict', { bundleSha256: dl.sha256Hex, message });
          return { status: 'conflict', message };
        }
        replace = true;
      }
      // a manifest without our metadata (written by another tool): the provisioner compares the code
    }
  }

  logger.debug({ step: 'validate' }, 'validating');
  const validation = await ctx.validate(dl.file);
  if (!validation.ok) {
    const issues = [...validation.errors, ...validation.warnings];
    await mark(ctx, logger, stem, item, 'rejected', { bundleSha256: dl.sha256Hex, issues });
    return { status: 'rejected', issues };
  }
  const bundle = validation.bundle;
  if (bundle.appId !== appId || bundle.version !== version) {
    const issues: Issue[] = [keyMismatch(ctx, item, bundle), ...validation.warnings];
    await mark(ctx, logger, stem, item, 'rejected', { bundleSha256: dl.sha256Hex, issues });
    return { status: 'rejected', issues };
  }

  logger.info({ step: 'provision', replace }, 'provisioning');
  let result: ProvisionResult;
  try {
    result = await ctx.provision(
      bundle,
      {
        runId: ctx.runId,
        replace,
        releaseKey: item.releaseKey,
        releaseEtag: item.etag,
        assertCanWrite: ctx.assertCanWrite,
        onBytes: ctx.onUploadBytes && ((p) => ctx.onUploadBytes?.(item, p)),
      },
      logger,
    );
  } catch (err) {
    if (!(err instanceof DeployerError) || err.code !== CONFLICT_CODE) throw err;
    const message = err.describe();
    // without a manifest at plan time, a conflict is a name collision: marked apart, so that the plan
    // keeps it known instead of provisioning the version again every run
    const outcome = item.action === 'check-reupload' ? 'conflict' : 'collision';
    await mark(ctx, logger, stem, item, outcome, { bundleSha256: dl.sha256Hex, message });
    return { status: 'conflict', message };
  }
  if (!converge) await mark(ctx, logger, stem, item, 'provisioned', { bundleSha256: bundle.sha256Hex });
  await forgetOtherBytes(ctx, logger, stem, item, result.status === 'provisioned');
  logger.info({ step: 'provision', status: result.status, durationMs: result.durationMs }, 'provisioned');
  return { status: 'provisioned', result };
}

/** The bundle-sha256 recorded on this version's manifest; exists:false when there is no manifest. */
async function provisionedSha256(
  ctx: ApplyContext,
  appId: string,
  version: string,
): Promise<{ exists: boolean; sha256?: string }> {
  try {
    const head = await ctx.s3.headObject({ Bucket: ctx.appsBucket, Key: manifestKey(appId, version) });
    return { exists: true, sha256: head.Metadata?.[MANIFEST_METADATA.bundleSha256] };
  } catch (err) {
    if (isNotFound(err)) return { exists: false };
    throw err;
  }
}

/** The bundle's manifest names another app or version than its release key: under per-app, a bundle
 * in another app's folder (an uploader allowed to write folder A/ publishing app B). */
function keyMismatch(ctx: ApplyContext, item: PlanItem, bundle: Bundle): Issue {
  const layout = ctx.releaseLayout ?? 'flat';
  const target = releaseKey(ctx.releasePrefix, bundle.appId, bundle.version, layout);
  const folder = layout === 'per-app' ? releaseFolder(ctx.releasePrefix, item.releaseKey) : undefined;
  const message =
    folder !== undefined && bundle.appId !== folder
      ? `the bundle's manifest says app_id ${bundle.appId} but it sits in the folder of app ${folder} ` +
        `(${item.releaseKey}); a folder holds its own app's bundles only. Upload it under ${target} ` +
        '(`apps-deployer upload` does, with the uploader policy of that app)'
      : `the bundle is ${bundle.appId} ${bundle.version} but its release key ${item.releaseKey} names ` +
        `${item.appId ?? '?'} ${item.version ?? '?'}; upload it under ${target} (\`apps-deployer upload\` does)`;
  return { severity: 'error', code: 'RELEASE_KEY_MISMATCH', path: '$.app_id', message };
}

/**
 * After this run wrote a version's manifest, markers saying that OTHER objects of the same key were
 * provisioned or identical no longer describe what is deployed (the manifest was gone, or --replace
 * redeployed): remove them, so that a re-upload of those old bytes is compared again. A failed marker
 * of this object (retried with --retry-failed) is settled by its success: removed too.
 */
async function forgetOtherBytes(
  ctx: ApplyContext,
  logger: Logger,
  stem: string,
  item: PlanItem,
  manifestWritten: boolean,
): Promise<void> {
  const current = bareEtag(item.etag);
  for (const [etag, markers] of ctx.markers.get(stem) ?? []) {
    for (const m of markers) {
      // this object's own failed marker (retried with --retry-failed) is settled too
      const stale =
        etag === current
          ? m.outcome === 'failed'
          : manifestWritten && (m.outcome === 'provisioned' || m.outcome === 'identical');
      if (!stale) continue;
      try {
        ctx.assertCanWrite();
        await ctx.s3.deleteObject({ Bucket: ctx.appsBucket, Key: m.key });
      } catch (err) {
        logger.warn(
          { step: 'mark', marker: m.key, err: { message: errorMessage(err) } },
          'stale marker not removed',
        );
      }
    }
  }
}
