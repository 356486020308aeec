/**
 * AWS names and S3 keys of a bundle, compatible with the upstream Apps plugin
 * (mattermost-plugin-apps upstream/upaws: LambdaName, S3StaticName, S3ManifestName).
 * Contract: DESIGN.md "Names and keys".
 */
import { createHash } from 'node:crypto';
import { DEFAULT_RELEASE_LAYOUT, RELEASE_LAYOUTS, type ReleaseLayout } from '../config';
import { MAX_LAMBDA_NAME_LENGTH } from './limits';

/** app_id: 3-32 characters of [A-Za-z0-9._-]. */
export const APP_ID_PATTERN = /^[A-Za-z0-9._-]{3,32}$/;
/** version: 1-10 characters of [A-Za-z0-9.-]; no "_", so "<app_id>_<version>" splits at its last "_". */
export const VERSION_PATTERN = /^[A-Za-z0-9.-]{1,10}$/;
/** function name: [A-Za-z0-9 _-], at least one character. */
export const FUNCTION_NAME_PATTERN = /^[A-Za-z0-9 _-]+$/;
/** What AWS accepts as a (short) Lambda function name. */
export const LAMBDA_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidAppId(appId: string): boolean {
  return APP_ID_PATTERN.test(appId);
}

export function isValidVersion(version: string): boolean {
  return VERSION_PATTERN.test(version);
}

export function isValidFunctionName(name: string): boolean {
  return FUNCTION_NAME_PATTERN.test(name);
}

function requireValid(what: string, value: string, ok: boolean): void {
  if (!ok) throw new RangeError(`invalid ${what} ${JSON.stringify(value)}`);
}

const sanitizeDots = (s: string): string => s.replaceAll('.', '-');
const spacesToDashes = (s: string): string => s.replaceAll(' ', '-');

export interface LambdaName {
  name: string;
  /** true when the name was too long and its function part is a hash (the "long form") */
  long: boolean;
}

/**
 * `sanitize(app_id)_sanitize(version)_fn` (dots → "-", spaces in fn → "-"). Longer than 64: the
 * function part becomes the SHA-256 hex of that full name, cut to 64 - len(app_id) - len(version) - 2.
 * Upstream keeps the dots in the long form (an invalid Lambda name); we sanitize it too.
 */
export function lambdaFunctionName(appId: string, version: string, fnName: string): LambdaName {
  requireValid('app_id', appId, isValidAppId(appId));
  requireValid('version', version, isValidVersion(version));
  requireValid('function name', fnName, isValidFunctionName(fnName));
  const prefix = `${sanitizeDots(appId)}_${sanitizeDots(version)}_`;
  const full = `${prefix}${spacesToDashes(fnName)}`;
  if (full.length <= MAX_LAMBDA_NAME_LENGTH) return { name: full, long: false };
  const hashLength = MAX_LAMBDA_NAME_LENGTH - appId.length - version.length - 2;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, hashLength);
  return { name: `${prefix}${hash}`, long: true };
}

/** The long-form name the upstream Apps plugin (≤ v1.2.2) computes: dots kept, so not a valid Lambda name. */
export function upstreamLongLambdaName(appId: string, version: string, fnName: string): string {
  const { name, long } = lambdaFunctionName(appId, version, fnName);
  if (!long) return name;
  return `${appId}_${version}_${name.slice(appId.length + version.length + 2)}`;
}

/** "<app_id>_<version>": the stem shared by the manifest key and the canonical release key. */
export function keyStem(appId: string, version: string): string {
  requireValid('app_id', appId, isValidAppId(appId));
  requireValid('version', version, isValidVersion(version));
  return `${appId}_${version}`;
}

/** "static/<app_id>_<version>_app/" */
export function staticPrefix(appId: string, version: string): string {
  return `static/${keyStem(appId, version)}_app/`;
}

/**
 * True when `relPath` is a safe relative path under static/: non-empty "/"-separated segments, none of
 * them "." or "..", no backslash, no NUL or other control character, not absolute.
 */
export function isSafeRelativePath(relPath: string): boolean {
  if (relPath.length === 0 || relPath.startsWith('/') || relPath.includes('\\')) return false;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(relPath)) return false;
  return relPath.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** `static/<app_id>_<version>_app/<relPath with spaces → ->` (upstream S3StaticName). */
export function staticAssetKey(appId: string, version: string, relPath: string): string {
  requireValid('static path', relPath, isSafeRelativePath(relPath));
  return `${staticPrefix(appId, version)}${spacesToDashes(relPath)}`;
}

/** `manifests/<app_id>_<version>.json` (upstream S3ManifestName). */
export function manifestKey(appId: string, version: string): string {
  return `manifests/${keyStem(appId, version)}.json`;
}

/**
 * How release objects are keyed (APPS_DEPLOYER_RELEASE_LAYOUT). `flat` (the default, so an upgrade
 * changes nothing): `<prefix><app_id>_<version>.zip`. `per-app`: `<prefix><app_id>/<app_id>_<version>.zip`,
 * so that S3 IAM can give each app team write access to its own folder only (deploy/iam/).
 */
export type { ReleaseLayout };
export { RELEASE_LAYOUTS, DEFAULT_RELEASE_LAYOUT };

/** The canonical release key: `<prefix><app_id>_<version>.zip` (flat) or
 * `<prefix><app_id>/<app_id>_<version>.zip` (per-app). */
export function releaseKey(
  prefix: string,
  appId: string,
  version: string,
  layout: ReleaseLayout = DEFAULT_RELEASE_LAYOUT,
): string {
  const stem = keyStem(appId, version);
  return layout === 'per-app' ? `${prefix}${appId}/${stem}.zip` : `${prefix}${stem}.zip`;
}

/** The shape of a canonical key, for messages: `bundles/<app_id>/<app_id>_<version>.zip`. */
export function releaseKeyPattern(prefix: string, layout: ReleaseLayout = DEFAULT_RELEASE_LAYOUT): string {
  return layout === 'per-app'
    ? `${prefix}<app_id>/<app_id>_<version>.zip`
    : `${prefix}<app_id>_<version>.zip`;
}

/** `<app_id>_<version>` split at its last "_", both parts valid; undefined otherwise. */
function parseStem(stem: string): { appId: string; version: string } | undefined {
  if (stem.includes('/')) return undefined;
  const cut = stem.lastIndexOf('_');
  if (cut < 0) return undefined;
  const appId = stem.slice(0, cut);
  const version = stem.slice(cut + 1);
  if (!isValidAppId(appId) || !isValidVersion(version)) return undefined;
  return { appId, version };
}

/**
 * The app id and version of a canonical release key of `layout`. Undefined for any other key: under
 * `per-app`, a flat key, or a key whose folder is not the app id of its file name, is not canonical.
 */
export function parseReleaseKey(
  prefix: string,
  key: string,
  layout: ReleaseLayout = DEFAULT_RELEASE_LAYOUT,
): { appId: string; version: string } | undefined {
  if (!key.startsWith(prefix) || !key.endsWith('.zip')) return undefined;
  const rest = key.slice(prefix.length, key.length - '.zip'.length);
  if (layout === 'flat') return parseStem(rest);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  const parsed = parseStem(rest.slice(slash + 1));
  return parsed && parsed.appId === rest.slice(0, slash) ? parsed : undefined;
}

/** The folder of a per-app key (`<prefix><folder>/...`), if it has one. */
export function releaseFolder(prefix: string, key: string): string | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash > 0 ? rest.slice(0, slash) : undefined;
}

/**
 * Why a release key is not canonical under `layout`, and what to do: names the pattern, and when the
 * key is canonical under the other layout (an operator switching layouts), the key to move it to.
 */
export function nonCanonicalReason(prefix: string, key: string, layout: ReleaseLayout): string {
  const other: ReleaseLayout = layout === 'flat' ? 'per-app' : 'flat';
  const base = `release key ${key} is not ${releaseKeyPattern(prefix, layout)} (layout ${layout})`;
  const asOther = parseReleaseKey(prefix, key, other);
  if (asOther)
    return `${base}; it is a ${other} key: move it to ${releaseKey(prefix, asOther.appId, asOther.version, layout)}`;
  const folder = layout === 'per-app' ? releaseFolder(prefix, key) : undefined;
  const file = key.slice(key.lastIndexOf('/') + 1);
  const named = file.endsWith('.zip') ? parseStem(file.slice(0, -'.zip'.length)) : undefined;
  if (folder !== undefined && named && named.appId !== folder)
    return (
      `${base}: it sits in the folder of app ${folder} but its name says app ${named.appId}; ` +
      `an app's bundles go in its own folder only (${releaseKey(prefix, named.appId, named.version, layout)})`
    );
  return `${base}; upload bundles with \`apps-deployer upload\`, which puts them under their canonical key`;
}

/** The Lambda-name form of an app id (dots → "-"): the first part of its function names. */
export function sanitizedAppId(appId: string): string {
  return sanitizeDots(appId);
}
