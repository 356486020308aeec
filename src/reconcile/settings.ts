/**
 * The settings fingerprints of a run (DESIGN.md "Function settings": settings are desired state).
 * The plan turns an up-to-date item of an app whose fingerprint is stale into converge-settings;
 * after the work, the fingerprint of every such app whose items all completed is recorded.
 */
import type { IamPort, S3Port } from '../aws/ports';
import type { DeployerConfig } from '../config';
import { VPC_EXECUTION_POLICY_PATH } from '../provision/constants';
import { usesVpc } from '../settings/config';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { recordFingerprint, recordedFingerprints } from '../settings/fingerprint';
import type { Listings } from './listing';
import type { BundleReport, Plan, PlanItem } from './types';

/** Override app ids that match no release object are a warning (a typo, or an app not yet released). */
export function warnUnknownOverrides(overrides: Record<string, unknown>, plan: Plan, logger: Logger): void {
  if (plan.only !== undefined) return;
  const known = new Set(plan.items.map((i) => i.appId));
  const unknown = Object.keys(overrides).filter((id) => !known.has(id));
  if (unknown.length > 0)
    logger.warn(
      { appIds: unknown },
      'APPS_DEPLOYER_OVERRIDES_FILE names app ids with no release bundle (a typo?); their settings apply to nothing',
    );
}

/**
 * After the work: records the settings fingerprint of every app whose fingerprint was stale and
 * whose work items all completed (none failed) leaving a live version, so that the next run leaves
 * it alone.
 */
export async function recordSettings(
  s3: S3Port,
  bucket: string,
  runId: string,
  listings: Listings,
  work: PlanItem[],
  results: Map<PlanItem, BundleReport>,
  fingerprintOf: (appId: string) => string,
  assertCanWrite: () => void,
  logger: Logger,
): Promise<{ recorded: number; complete: boolean }> {
  let count = 0;
  let complete = true;
  const recorded = recordedFingerprints(listings.markers.map((o) => o.key));
  // per app: every work item completed, and one provisioned a version with these settings (an
  // 'identical' re-upload converged nothing; apply.ts converges it, as 'provisioned', when the app's
  // fingerprint is stale)
  const apps = new Map<string, { ok: boolean; live: boolean }>();
  for (const item of work) {
    if (item.appId === undefined) continue;
    const status = results.get(item)?.outcome.status;
    const seen = apps.get(item.appId) ?? { ok: true, live: false };
    apps.set(item.appId, {
      ok: seen.ok && status !== undefined && status !== 'failed',
      live: seen.live || status === 'provisioned',
    });
  }
  for (const [appId, { ok, live }] of apps) {
    const want = fingerprintOf(appId);
    if (!ok) complete = false;
    if (!ok || !live || recorded.get(appId)?.has(want)) continue;
    try {
      assertCanWrite();
      await recordFingerprint(s3, bucket, appId, want, recorded.get(appId) ?? [], runId);
      logger.info({ appId, fingerprint: want }, 'function settings recorded');
      count++;
    } catch (err) {
      complete = false;
      // not recorded: the next run converges the app again (no change, no write) and records it
      logger.warn({ appId, err: { message: errorMessage(err) } }, 'function settings not recorded');
    }
  }
  return { recorded: count, complete };
}

/**
 * The execute role keeps AWSLambdaVPCAccessExecutionRole until every function has left the VPC:
 * called when the VPC is off, after a run (not limited to one app) whose converging completed,
 * it detaches the policy once no app's settings fingerprint is stale any more.
 */
export async function detachVpcPolicyWhenOut(
  iam: IamPort,
  roleName: string,
  stillStale: boolean,
  assertCanWrite: () => void,
  logger: Logger,
): Promise<boolean> {
  if (stillStale) return false;
  const out = await iam.listAttachedRolePolicies({ RoleName: roleName, MaxItems: 1000 });
  const vpc = (out.AttachedPolicies ?? []).find((p) =>
    p.PolicyArn?.endsWith(`:${VPC_EXECUTION_POLICY_PATH}`),
  );
  if (vpc?.PolicyArn === undefined) return false;
  assertCanWrite();
  await iam.detachRolePolicy({ RoleName: roleName, PolicyArn: vpc.PolicyArn });
  logger.info(
    { role: roleName, policy: vpc.PolicyArn },
    'every function left the VPC: VPC access policy detached',
  );
  return true;
}

/** After the work of a run: record fingerprints, then (VPC off, whole run) detach the VPC policy. */
export async function settleSettings(a: {
  ports: { s3: S3Port; iam: IamPort };
  config: DeployerConfig;
  runId: string;
  listings: Listings;
  plan: Plan;
  work: PlanItem[];
  results: Map<PlanItem, BundleReport>;
  fingerprintOf: (appId: string) => string;
  assertCanWrite: () => void;
  logger: Logger;
}): Promise<void> {
  const settled = await recordSettings(
    a.ports.s3,
    a.config.appsBucket,
    a.runId,
    a.listings,
    a.work,
    a.results,
    a.fingerprintOf,
    a.assertCanWrite,
    a.logger,
  );
  if (settled.recorded === 0 || usesVpc({ subnetIds: a.config.lambdaSubnetIds }) || a.plan.only !== undefined)
    return;
  const stale =
    !settled.complete ||
    a.plan.items.some(
      (i) => i.action === 'converge-settings' && a.results.get(i)?.outcome.status !== 'provisioned',
    );
  try {
    await detachVpcPolicyWhenOut(a.ports.iam, a.config.executeRoleName, stale, a.assertCanWrite, a.logger);
  } catch (err) {
    a.logger.warn(
      { err: { message: errorMessage(err) } },
      'VPC access policy not detached; the next change retries',
    );
  }
}
