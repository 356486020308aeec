/**
 * Does a stored manifest say what the release bundle's manifest says, as the Apps plugin reads it?
 * `adopt` rewrites the manifest from the bundle, so a bundle uploaded for a version upstream
 * provisioned must not change what the Mattermost server trusts (permissions, locations, calls, the
 * functions): every field the plugin reads must agree. Representation is tolerated — upstream stores
 * Go's json.Marshal of its struct: a call may be a bare path or {"path": …}, an empty value may be
 * omitted, lists of permissions and locations may come in another order, aws_lambda in either shape;
 * fields the plugin does not read are not compared.
 */
import { isDeepStrictEqual } from 'node:util';
import { manifestFunctions as lambdaSection } from '../bundle/manifest';
import { CALL_FIELDS } from '../bundle/manifest-schema';

/** The manifest fields the upstream Apps plugin reads (apps.Manifest), besides the calls. */
const READ_FIELDS = [
  'app_id',
  'version',
  'display_name',
  'description',
  'homepage_url',
  'icon',
  'requested_permissions',
  'requested_locations',
  'remote_webhook_auth_type',
  'app_type',
  'root_url',
  'http',
] as const;
const UNORDERED = new Set<string>(['requested_permissions', 'requested_locations']);

const isEmpty = (v: unknown): boolean =>
  v === undefined ||
  v === null ||
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/** Keys sorted, empty members dropped, recursively. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .filter((k) => !isEmpty((v as Record<string, unknown>)[k]))
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

function functionsOf(m: Record<string, unknown>): unknown[] {
  return lambdaSection(m)
    .list.map(canonical)
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** What the plugin reads of a manifest, in one comparable form. */
export function readView(m: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of READ_FIELDS) {
    const v = m[key];
    if (isEmpty(v)) continue;
    out[key] = UNORDERED.has(key) && Array.isArray(v) ? [...v].map(String).sort() : canonical(v);
  }
  for (const key of CALL_FIELDS) {
    const v = m[key];
    if (isEmpty(v)) continue;
    out[key] = canonical(typeof v === 'string' ? { path: v } : v);
  }
  const fns = functionsOf(m);
  if (fns.length > 0) out.aws_lambda = fns;
  return out;
}

/** The fields (by name) in which the two manifests differ as the plugin reads them; [] when none. */
export function manifestDifferences(
  stored: Record<string, unknown>,
  bundled: Record<string, unknown>,
): string[] {
  const a = readView(stored);
  const b = readView(bundled);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => !isDeepStrictEqual(a[k], b[k]))
    .sort();
}
