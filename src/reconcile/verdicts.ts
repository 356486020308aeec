/**
 * The verdicts a worker records (apply.ts judges): markers, rejections without a download
 * (non-canonical key, listed over the size limit), and failures judged by the one classifier
 * (aws/failure-class.ts): permanent → marked `failed`; configuration → the run stops (exit 2);
 * transient or of no known class → nothing marked, logged with the error's class name.
 */
import { AwsConfigurationError } from '../aws/errors';
import { classifyFailure, type Classification } from '../aws/failure-class';
import { nonCanonicalReason } from '../bundle/names';
import type { Issue } from '../bundle/types';
import { DeployerError, errorMessage } from '../errors';
import type { Logger } from '../log';
import type { ApplyContext } from './apply';
import { bareEtag, canonicalStem, nonCanonicalStem, writeMarker } from './markers';
import {
  VALIDATOR_VERSION,
  type BundleOutcome,
  type MarkerBody,
  type MarkerOutcome,
  type PlanItem,
} from './types';

/** A failed bundle, judged by the classifier: permanent → marked failed; configuration → the run
 * stops; transient (or of no known class) → nothing marked, the next run retries. */
export async function failure(
  item: PlanItem,
  ctx: ApplyContext,
  logger: Logger,
  err: unknown,
): Promise<BundleOutcome> {
  const c = classifyFailure(err);
  const code = err instanceof DeployerError ? err.code : c.name;
  const message = errorMessage(err);
  const logged = { code, name: c.name, class: c.failureClass, rule: c.rule, message };
  const outcome: BundleOutcome = {
    status: 'failed',
    code,
    message,
    failureClass: c.failureClass,
    errorName: c.name,
  };
  if (c.failureClass === 'permanent' && item.appId !== undefined && item.version !== undefined) {
    logger.error(
      { err: logged, step: c.step ?? 'bundle' },
      `${c.fix ?? 'AWS refused the bundle'}: marked failed, not retried until reconcile --retry-failed`,
    );
    await mark(ctx, logger, canonicalStem(item.appId, item.version), item, 'failed', {
      message,
      errorName: c.name,
      failureRule: c.rule,
    });
    return outcome;
  }
  if (c.failureClass === 'configuration') {
    logger.error({ err: logged, step: c.step ?? 'bundle' }, 'configuration error: the run stops');
    ctx.stopRun(configurationError(item, c, err));
    return outcome;
  }
  logger.error(
    { err: logged, step: c.step ?? 'bundle' },
    c.rule === 'unknown'
      ? `bundle failed with an error of no known class (${c.name}): treated as transient, the next run retries it`
      : 'bundle failed; the next run retries it',
  );
  return outcome;
}

function configurationError(item: PlanItem, c: Classification, err: unknown): AwsConfigurationError {
  if (err instanceof AwsConfigurationError) return err;
  const where = c.step ? ` (${c.step} of ${item.releaseKey})` : ` (${item.releaseKey})`;
  return new AwsConfigurationError(`configuration error${where}: ${c.name}: ${c.detail}`, {
    bundle: item.releaseKey,
    resource: err instanceof DeployerError ? err.resource : undefined,
    fix: c.fix ?? (err instanceof DeployerError && err.hint ? err.hint : 'check the configuration'),
    awsName: c.name,
    cause: err,
  });
}

export async function rejectNonCanonical(
  item: PlanItem,
  ctx: ApplyContext,
  logger: Logger,
): Promise<BundleOutcome> {
  const issues: Issue[] = [
    {
      severity: 'error',
      code: 'NON_CANONICAL_KEY',
      path: item.releaseKey,
      message: nonCanonicalReason(ctx.releasePrefix, item.releaseKey, ctx.releaseLayout ?? 'flat'),
    },
  ];
  await mark(ctx, logger, nonCanonicalStem(item.releaseKey), item, 'rejected', { issues });
  return { status: 'rejected', issues };
}

/** Squatting (reconcile/squatting.ts): judged from the listing, marked without a download. */
export async function rejectNameTaken(
  item: PlanItem,
  ctx: ApplyContext,
  logger: Logger,
): Promise<BundleOutcome> {
  if (item.appId === undefined || item.version === undefined) {
    throw new DeployerError(`plan item ${item.releaseKey} (${item.action}) has no app id`, {
      code: 'INTERNAL',
      bundle: item.releaseKey,
    });
  }
  const issues: Issue[] = [
    {
      severity: 'error',
      code: 'APP_ID_NAMES_TAKEN',
      path: '$.app_id',
      message:
        `app id ${item.appId} is new, and ${item.reason ?? 'its function names may be those of a provisioned app'}: ` +
        'Lambda names replace "." with "-", so one team could take the function names of another. ' +
        'Publish the app under an app id of its own',
    },
  ];
  await mark(ctx, logger, canonicalStem(item.appId, item.version), item, 'rejected', { issues });
  return { status: 'rejected', issues };
}

/** Listed over the bundle size limit: rejected and marked from the listing, never downloaded. */
export async function rejectOversized(
  item: PlanItem,
  ctx: ApplyContext,
  logger: Logger,
): Promise<BundleOutcome> {
  const stem =
    item.appId !== undefined && item.version !== undefined
      ? canonicalStem(item.appId, item.version)
      : nonCanonicalStem(item.releaseKey);
  const issues: Issue[] = [
    {
      severity: 'error',
      code: 'BUNDLE_TOO_LARGE',
      path: item.releaseKey,
      message:
        `release object ${item.releaseKey} is ${item.size} bytes, over the bundle limit of ` +
        `${ctx.maxBundleBytes} bytes; it was not downloaded. Make the bundle smaller and upload it again`,
    },
  ];
  await mark(ctx, logger, stem, item, 'rejected', { issues });
  return { status: 'rejected', issues };
}

/** Writes the marker of a judgement. A failure is logged, not fatal: the judgement stands for this
 * run, and the next run judges the object again. */
export async function mark(
  ctx: ApplyContext,
  logger: Logger,
  stem: string,
  item: PlanItem,
  outcome: MarkerOutcome,
  extra: Pick<MarkerBody, 'bundleSha256' | 'issues' | 'message' | 'errorName' | 'failureRule'>,
): Promise<void> {
  const body: MarkerBody = {
    releaseKey: item.releaseKey,
    etag: bareEtag(item.etag),
    outcome,
    validatorVersion: VALIDATOR_VERSION,
    runId: ctx.runId,
    at: ctx.now().toISOString(),
    ...extra,
  };
  try {
    ctx.assertCanWrite();
    const key = await writeMarker(ctx.s3, ctx.appsBucket, stem, body);
    logger.debug({ step: 'mark', marker: key }, 'marked');
  } catch (err) {
    logger.error(
      { step: 'mark', outcome, err: { message: errorMessage(err) } },
      'judgement not recorded; the next run judges this object again',
    );
  }
}
