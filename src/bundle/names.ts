/**
 * AWS names and S3 keys of a bundle, compatible with the upstream Apps plugin
 * (mattermost-plugin-apps upstream/upaws: LambdaName, S3StaticName, S3ManifestName).
 * Contract: DESIGN.md "Names and keys".
 */
import { createHash } from 'node:crypto';
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

/** The canonical release key: exactly `<prefix><app_id>_<version>.zip`. */
export function releaseKey(prefix: string, appId: string, version: string): string {
  return `${prefix}${keyStem(appId, version)}.zip`;
}

/**
 * The app id and version of a canonical release key: `<prefix><stem>.zip` with no "/" in the stem,
 * the stem split at its last "_", both parts valid. Undefined for any other key.
 */
export function parseReleaseKey(prefix: string, key: string): { appId: string; version: string } | undefined {
  if (!key.startsWith(prefix) || !key.endsWith('.zip')) return undefined;
  const stem = key.slice(prefix.length, key.length - '.zip'.length);
  if (stem.includes('/')) return undefined;
  const cut = stem.lastIndexOf('_');
  if (cut < 0) return undefined;
  const appId = stem.slice(0, cut);
  const version = stem.slice(cut + 1);
  if (!isValidAppId(appId) || !isValidVersion(version)) return undefined;
  return { appId, version };
}
