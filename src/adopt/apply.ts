/**
 * The writes of `adopt --apply` (index.ts has the order and why). Every write goes through the
 * lock-guarded ports; every tag write carries the full tag set (app id, version, bundle sha256,
 * managed-by), as provisioning does.
 */
import type { AwsPorts } from '../aws/ports';
import { isConditionalConflict, isPreconditionFailed } from '../aws/errors';
import type { Bundle } from '../bundle/types';
import type { DeployerConfig } from '../config';
import { DeployerError } from '../errors';
import type { Logger } from '../log';
import { mapBounded } from '../provision/concurrency';
import { desiredTags } from '../provision/lambda';
import { manifestBody, manifestMetadata } from '../provision/manifest';
import { bareEtag, canonicalStem, quotedEtag, writeMarker } from '../reconcile/markers';
import { VALIDATOR_VERSION } from '../reconcile/types';
import { ADOPT_WRITES } from './constants';
import { takeOverExecuteRole, takeOverInvokePolicy } from './iam';
import type { AdoptFunction, AdoptReport, AdoptVersion } from './types';
import type { ProvisionedVersion } from './versions';

export interface ApplyDeps {
  /** lock-guarded */
  ports: AwsPorts;
  config: DeployerConfig;
  logger: Logger;
  runId: string;
}

/** The manifest, rewritten with the deployer's metadata (and its normalized body) only if it is still
 * the object that was judged. */
async function adoptManifest(deps: ApplyDeps, v: ProvisionedVersion, bundle: Bundle): Promise<void> {
  try {
    await deps.ports.s3.putObject({
      Bucket: deps.config.appsBucket,
      Key: v.manifestKey,
      Body: manifestBody(bundle),
      ContentType: 'application/json',
      Metadata: manifestMetadata(bundle, {
        runId: deps.runId,
        releaseKey: v.release?.key,
        releaseEtag: v.release?.etag,
      }),
      IfMatch: quotedEtag(v.manifestEtag),
    });
  } catch (err) {
    if (!isPreconditionFailed(err) && !isConditionalConflict(err)) throw err;
    throw new DeployerError(`${v.manifestKey} changed while adopt was judging it`, {
      code: 'MANIFEST_CHANGED',
      resource: `s3://${deps.config.appsBucket}/${v.manifestKey}`,
      hint: 'another tool wrote it meanwhile; run adopt again (the functions already tagged count as ours)',
      cause: err,
    });
  }
}

/** The release object's judgement: provisioned (reconcile then sees the version up to date). */
async function markProvisioned(
  deps: ApplyDeps,
  v: ProvisionedVersion,
  release: { key: string; etag: string },
  bundleSha256: string,
): Promise<void> {
  await writeMarker(deps.ports.s3, deps.config.appsBucket, canonicalStem(v.appId, v.version), {
    releaseKey: release.key,
    etag: bareEtag(release.etag),
    outcome: 'provisioned',
    validatorVersion: VALIDATOR_VERSION,
    runId: deps.runId,
    at: new Date().toISOString(),
    bundleSha256,
    message: 'adopted from the upstream deployer',
  });
}

async function adoptVersion(
  deps: ApplyDeps,
  verdict: AdoptVersion,
  v: ProvisionedVersion,
  byName: Map<string, AdoptFunction>,
): Promise<void> {
  const bundle = v.bundle;
  const release = v.release;
  if (release && v.markerMissing !== undefined) {
    // an adopt interrupted after the manifest: only the marker is missing
    await markProvisioned(deps, v, release, v.markerMissing);
    verdict.status = 'adopted';
    return;
  }
  if (!bundle || !release) return;
  const tags = desiredTags(bundle);
  const toTag = bundle.functions
    .map((fn) => byName.get(fn.lambdaName))
    .filter(
      (f): f is AdoptFunction =>
        f !== undefined &&
        (f.status === 'adopt' ||
          (f.status === 'already-ours' && f.taggedAs?.bundleSha256 !== bundle.sha256Hex)),
    );
  await mapBounded(toTag, ADOPT_WRITES, async (f) => {
    await deps.ports.lambda.tagResource({ Resource: f.arn ?? f.lambdaName, Tags: tags });
    if (f.status === 'adopt') f.status = 'adopted';
    deps.logger.info({ function: f.lambdaName, tags }, 'adopted: tagged');
  });
  await adoptManifest(deps, v, bundle);
  await markProvisioned(deps, v, release, bundle.sha256Hex);
  verdict.status = 'adopted';
  deps.logger.info({ appId: v.appId, version: v.version, manifest: v.manifestKey }, 'adopted: version');
}

/** Adopts what the report says can be (versions one by one, their functions bounded), then IAM. */
export async function applyAdoption(
  deps: ApplyDeps,
  report: Omit<AdoptReport, 'exitCode'>,
  versions: readonly ProvisionedVersion[],
): Promise<void> {
  const byKey = new Map(versions.map((v) => [v.manifestKey, v]));
  const byName = new Map(report.functions.map((f) => [f.lambdaName, f]));
  for (const verdict of report.versions) {
    const v = byKey.get(verdict.manifestKey);
    if (verdict.status === 'adopt' && v) await adoptVersion(deps, verdict, v, byName);
  }
  if (report.executeRole.status === 'take-over') {
    await takeOverExecuteRole(deps.ports.iam, deps.config.executeRoleName);
    report.executeRole.status = 'taken-over';
  }
  const invoke = report.invokePolicy;
  if (invoke.status === 'take-over' && invoke.document !== undefined) {
    await takeOverInvokePolicy(deps.ports.iam, invoke.arn, invoke.document);
    invoke.status = 'taken-over';
  }
}
