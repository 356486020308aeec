/**
 * Name squatting (DESIGN.md "Release layout and who may publish what"): an app's Lambda functions are
 * named `sanitize(app_id)_sanitize(version)_<fn>` (dots → "-"), so two app ids can produce the same
 * names. A team allowed to publish `com.x` must not take the function names of `com-x`.
 *
 * Judged from the manifests/ listing alone (no request per bundle): an app id that has no manifest yet
 * is refused when its names could be those of an app that has one:
 *  - same sanitized form (`com.x` vs `com-x`);
 *  - one sanitized form followed by "_" begins the other (`a` vs `a_b`): app ids may hold "_", so
 *    `a` version `b` function `1_x` and `a_b` version `1` function `x` share `a_b_1_x`.
 * Two such apps that were both provisioned before this rule keep working (neither is new). Two new
 * ones in the same run are not judged against each other here: Lambda's ownership tags turn an actual
 * name clash into a conflict (provision/lambda.ts).
 */
import { sanitizedAppId } from '../bundle/names';

/** True when functions of `a` and `b` (two different app ids) can have the same Lambda name. */
export function namesClash(a: string, b: string): boolean {
  if (a === b) return false;
  const x = sanitizedAppId(a);
  const y = sanitizedAppId(b);
  return x === y || x.startsWith(`${y}_`) || y.startsWith(`${x}_`);
}

/** App ids of manifest stems (`<app_id>_<version>`, split at the last "_"). */
function appIdsOf(manifestStems: Iterable<string>): Set<string> {
  const ids = new Set<string>();
  for (const stem of manifestStems) {
    const cut = stem.lastIndexOf('_');
    if (cut > 0) ids.add(stem.slice(0, cut));
  }
  return ids;
}

/**
 * A lookup: for an app id without a manifest, the provisioned app whose names it could take (the first
 * in sort order), else undefined. Linear in the number of provisioned apps per call; apps are grouped
 * by the part of their sanitized id before its first "_", which every clash shares.
 */
export function squattedApp(manifestStems: Iterable<string>): (appId: string) => string | undefined {
  const provisioned = appIdsOf(manifestStems);
  const groups = new Map<string, string[]>();
  const head = (id: string) => sanitizedAppId(id).split('_')[0] ?? '';
  for (const id of [...provisioned].sort()) {
    const group = groups.get(head(id)) ?? [];
    group.push(id);
    groups.set(head(id), group);
  }
  return (appId) => {
    if (provisioned.has(appId)) return undefined;
    return groups.get(head(appId))?.find((other) => namesClash(appId, other));
  };
}
