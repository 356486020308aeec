/**
 * The version record: what a provisioned version must have, written by the provisioner just before
 * its manifest (after functions and assets), at deployer/versions/<app_id>_<version>.json. `verify`
 * reads it instead of downloading the release bundle: function names with their CodeSha256, asset
 * keys with their sha256 and Content-Type, and the sha256 of the manifest body (also stored in the
 * manifest's metadata). Written with a plain PUT (idempotent: the same bundle gives the same body);
 * a --replace writes the new record before the new manifest, so a manifest's record is never older.
 */
import { createHash } from 'node:crypto';
import { isNotFound } from '../aws/errors';
import type { S3Port } from '../aws/ports';
import type { Bundle } from '../bundle/types';
import type { StepContext } from './context';
import { readBodyText } from '../aws/body';

export const VERSION_RECORD_PREFIX = 'deployer/versions/';
export const VERSION_RECORD_VERSION = 1;
/** A record larger than this is not read (not one the provisioner wrote). */
export const MAX_VERSION_RECORD_BYTES = 8 * 1024 * 1024;

export interface VersionRecord {
  recordVersion: number;
  appId: string;
  version: string;
  bundleSha256: string;
  manifestSha256: string;
  functions: { name: string; lambdaName: string; handler: string; runtime: string; codeSha256: string }[];
  assets: { key: string; sha256Hex: string; contentType: string }[];
}

export function versionRecordKey(appId: string, version: string): string {
  return `${VERSION_RECORD_PREFIX}${appId}_${version}.json`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function versionRecord(bundle: Bundle): VersionRecord {
  return {
    recordVersion: VERSION_RECORD_VERSION,
    appId: bundle.appId,
    version: bundle.version,
    bundleSha256: bundle.sha256Hex,
    manifestSha256: sha256Hex(bundle.storedManifestJson),
    functions: bundle.functions.map((f) => ({
      name: f.name,
      lambdaName: f.lambdaName,
      handler: f.handler,
      runtime: f.runtime,
      codeSha256: f.codeSha256,
    })),
    assets: bundle.assets.map((a) => ({ key: a.key, sha256Hex: a.sha256Hex, contentType: a.contentType })),
  };
}

export async function writeVersionRecord(ctx: StepContext, bundle: Bundle): Promise<void> {
  const key = versionRecordKey(bundle.appId, bundle.version);
  await ctx.retry('manifest', key, () =>
    ctx.ports.s3.putObject({
      Bucket: ctx.config.appsBucket,
      Key: key,
      Body: JSON.stringify(versionRecord(bundle)),
      ContentType: 'application/json',
    }),
  );
}

const isStr = (v: unknown): v is string => typeof v === 'string';

/** Parses a record; undefined when it is not one (a hand-written or damaged object). */
export function parseVersionRecord(text: string): VersionRecord | undefined {
  let v: Partial<VersionRecord> | null;
  try {
    v = JSON.parse(text) as Partial<VersionRecord> | null;
  } catch {
    return undefined;
  }
  if (
    !v ||
    v.recordVersion !== VERSION_RECORD_VERSION ||
    !isStr(v.appId) ||
    !isStr(v.version) ||
    !isStr(v.bundleSha256) ||
    !isStr(v.manifestSha256) ||
    !Array.isArray(v.functions) ||
    !Array.isArray(v.assets) ||
    !v.functions.every(
      (f) =>
        f &&
        isStr(f.name) &&
        isStr(f.lambdaName) &&
        isStr(f.handler) &&
        isStr(f.runtime) &&
        isStr(f.codeSha256),
    ) ||
    !v.assets.every((a) => a && isStr(a.key) && isStr(a.sha256Hex) && isStr(a.contentType))
  )
    return undefined;
  return v as VersionRecord;
}

/** Reads a version's record; undefined when there is none (a version provisioned before records). */
export async function readVersionRecord(
  s3: Pick<S3Port, 'getObject'>,
  bucket: string,
  appId: string,
  version: string,
): Promise<{ record: VersionRecord | undefined; present: boolean }> {
  try {
    const res = await s3.getObject({ Bucket: bucket, Key: versionRecordKey(appId, version) });
    const text = await readBodyText(res, MAX_VERSION_RECORD_BYTES);
    if (text === undefined) return { record: undefined, present: true };
    return { record: parseVersionRecord(text), present: true };
  } catch (err) {
    if (isNotFound(err)) return { record: undefined, present: false };
    throw err;
  }
}
