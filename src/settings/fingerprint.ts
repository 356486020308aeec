/**
 * Settings are desired state (DESIGN.md "Function settings"): a fingerprint of each app's effective
 * settings is recorded after that app converges, as an empty-bodied key among the markers the run
 * already lists (deployer/seen/), so a run notices a changed or missing fingerprint from its listing
 * alone — no extra request when nothing changed:
 *
 *   deployer/seen/_settings/<encoded app id>/<fingerprint>
 *
 * (the markers' parser ignores these keys: "_settings" is no <app_id>_<version> stem).
 */
import { createHash } from 'node:crypto';
import type { S3Port } from '../aws/ports';
import type { EffectiveSettings } from './effective';

/** Bump when the meaning of a setting changes: every app converges once again. */
export const SETTINGS_FINGERPRINT_VERSION = 1;
export const SETTINGS_MARKER_PREFIX = 'deployer/seen/_settings/';

/** sha256 (hex, 32 digits) of the settings in a canonical form (sets sorted, keys sorted). */
export function settingsFingerprint(s: EffectiveSettings): string {
  const canonical = {
    v: SETTINGS_FINGERPRINT_VERSION,
    timeout: s.timeoutSeconds,
    memory: s.memoryMb,
    subnets: [...s.subnetIds].sort(),
    securityGroups: [...s.securityGroupIds].sort(),
    environment: Object.entries(s.environment).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    logRetentionDays: s.logRetentionDays ?? null,
    architecture: s.architecture,
    reservedConcurrency: s.reservedConcurrency ?? null,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 32);
}

export function settingsMarkerKey(appId: string, fingerprint: string): string {
  return `${SETTINGS_MARKER_PREFIX}${encodeURIComponent(appId)}/${fingerprint}`;
}

/** Recorded fingerprints by app id, from listed keys (anything else is ignored). */
export function recordedFingerprints(keys: Iterable<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const key of keys) {
    if (!key.startsWith(SETTINGS_MARKER_PREFIX)) continue;
    const parts = key.slice(SETTINGS_MARKER_PREFIX.length).split('/');
    if (parts.length !== 2 || !/^[0-9a-f]{32}$/.test(parts[1] ?? '')) continue;
    let appId: string;
    try {
      appId = decodeURIComponent(parts[0] ?? '');
    } catch {
      continue;
    }
    let set = out.get(appId);
    if (!set) out.set(appId, (set = new Set()));
    set.add(parts[1] as string);
  }
  return out;
}

/**
 * The fingerprint an app's functions should have when it is not recorded among the listed marker keys
 * (the app's settings are stale: the plan converges its versions, apply.ts its identical re-uploads),
 * undefined when it is recorded or no fingerprint is wanted.
 */
export function staleFingerprint(
  markerKeys: Iterable<string>,
  fingerprintOf: ((appId: string) => string) | undefined,
): (appId: string) => string | undefined {
  const recorded = recordedFingerprints(markerKeys);
  return (appId) => {
    const want = fingerprintOf?.(appId);
    return want === undefined || recorded.get(appId)?.has(want) ? undefined : want;
  };
}

/** Records `fingerprint` for the app, then forgets the app's older ones. */
export async function recordFingerprint(
  s3: S3Port,
  bucket: string,
  appId: string,
  fingerprint: string,
  older: Iterable<string>,
  runId: string,
): Promise<void> {
  await s3.putObject({
    Bucket: bucket,
    Key: settingsMarkerKey(appId, fingerprint),
    Body: JSON.stringify({ appId, fingerprint, runId, at: new Date().toISOString() }),
    ContentType: 'application/json',
  });
  for (const old of older) {
    if (old === fingerprint) continue;
    await s3.deleteObject({ Bucket: bucket, Key: settingsMarkerKey(appId, old) });
  }
}
