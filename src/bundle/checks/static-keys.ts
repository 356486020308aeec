/**
 * Check: static assets. Their number is capped (TOO_MANY_STATIC_FILES); each gets its S3 key
 * (spaces → "-"), which must be unique (a map: linear) and within S3's 1,024 bytes; the manifest's
 * icon must be one of them. Returns the assets to read.
 */
import { BUNDLE_PATH, q } from '../issues';
import { MAX_S3_KEY_BYTES } from '../limits';
import { isSafeRelativePath, staticAssetKey } from '../names';
import type { ZipEntry } from '../zip/format';
import { STATIC_DIR, type Run } from './context';

export interface AssetPlan {
  entry: ZipEntry;
  relPath: string;
  key: string;
}

/** TOO_MANY_STATIC_FILES; false when over the cap (the assets are then not read). */
export function checkStaticCount(run: Run, assets: readonly ZipEntry[]): boolean {
  if (assets.length <= run.limits.maxStaticFiles) return true;
  run.issues.error(
    'TOO_MANY_STATIC_FILES',
    BUNDLE_PATH,
    `the bundle has ${assets.length.toLocaleString('en-US')} files under static/, more than the limit of ${run.limits.maxStaticFiles.toLocaleString('en-US')}`,
  );
  return false;
}

export function planAssets(
  run: Run,
  assets: readonly ZipEntry[],
  appId: string,
  version: string,
): AssetPlan[] {
  const { issues } = run;
  const byKey = new Map<string, ZipEntry>();
  const plans: AssetPlan[] = [];
  for (const e of assets) {
    const relPath = e.name.slice(STATIC_DIR.length);
    if (e.bad || !isSafeRelativePath(relPath)) continue;
    const key = staticAssetKey(appId, version, relPath);
    const clash = byKey.get(key);
    if (clash) {
      issues.error(
        'STATIC_KEY_COLLISION',
        e.label,
        `static files ${q(clash.label)} and ${q(e.label)} map to the same S3 key ${q(key)} (spaces become "-"); rename one`,
      );
      continue;
    }
    byKey.set(key, e);
    if (Buffer.byteLength(key) > MAX_S3_KEY_BYTES) {
      issues.error(
        'STATIC_KEY_TOO_LONG',
        e.label,
        `static file ${q(e.label)} gets the S3 key ${q(key.slice(0, 60))}..., longer than S3's ${MAX_S3_KEY_BYTES} bytes`,
      );
      continue;
    }
    plans.push({ entry: e, relPath, key });
  }
  return plans;
}

export function checkIcon(run: Run, icon: string | undefined, assets: readonly ZipEntry[]): void {
  if (icon === undefined) return;
  const wanted = `${STATIC_DIR}${icon}`;
  if (assets.some((e) => e.name === wanted)) return;
  run.issues.error(
    'ICON_NOT_FOUND',
    '$.icon',
    `icon ${q(icon)} is not in the bundle: expected the entry ${q(wanted)}`,
  );
}
