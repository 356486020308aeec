/**
 * The settings fingerprints of a run (DESIGN.md "Function settings": settings are desired state).
 * The plan turns an up-to-date item of an app whose fingerprint is stale into converge-settings;
 * after the work, the fingerprint of every such app whose items all completed is recorded.
 */
import type { S3Port } from '../aws/ports';
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
): Promise<void> {
  const recorded = recordedFingerprints(listings.markers.map((o) => o.key));
  // per app: every work item completed, and one provisioned a version with these settings (an
  // 'identical' re-upload converged nothing: its version converges in the next run)
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
    if (!ok || !live || recorded.get(appId)?.has(want)) continue;
    try {
      assertCanWrite();
      await recordFingerprint(s3, bucket, appId, want, recorded.get(appId) ?? [], runId);
      logger.info({ appId, fingerprint: want }, 'function settings recorded');
    } catch (err) {
      // not recorded: the next run converges the app again (no change, no write) and records it
      logger.warn({ appId, err: { message: errorMessage(err) } }, 'function settings not recorded');
    }
  }
}
