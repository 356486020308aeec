/**
 * Reads what verify compares: the manifests/ listing (which versions are provisioned), one listing of
 * the static prefixes, then per version (VERIFY_CONCURRENCY at once) its manifest (GetObject: body
 * and metadata), its version record, GetFunction per function (GetFunction's own quota pool, never
 * the shared control-plane pool) and HeadObject per recorded asset. Reads only; takes no lock.
 */
import type { GetFunctionCommandOutput } from '@aws-sdk/client-lambda';
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import { isNotFound } from '../aws/errors';
import type { AwsPorts } from '../aws/ports';
import { staticPrefix } from '../bundle/names';
import { MAX_STORED_MANIFEST_BYTES } from '../bundle/stored-manifest';
import type { DeployerConfig } from '../config';
import { mapBounded } from '../provision/concurrency';
import { readVersionRecord } from '../provision/record';
import { MANIFEST_METADATA } from '../provision/types';
import { listAll } from '../reconcile/listing';
import { STATE_KEYS } from '../reconcile/types';
import { parseManifestKey } from '../status';
import { compareAsset, compareFunction, foreignObjects } from './compare';
import { expectationOf, type StoredVersion } from './expected';
import {
  ASSET_CHECKS,
  FUNCTION_CHECKS,
  VERIFY_CONCURRENCY,
  type Drift,
  type ForeignObject,
  type Notice,
} from './types';
import { readBodyText } from '../aws/body';

export interface VersionFindings {
  appId: string;
  version: string;
  manifestKey: string;
  /** the manifest's metadata (release key and ETag, bundle sha256), for --repair */
  metadata: Record<string, string>;
  /** the manifest's ETag (a repair of its body writes with If-Match on it) */
  manifestEtag?: string;
  hasRecord: boolean;
  drift: Drift[];
  foreign: ForeignObject[];
  notices: Notice[];
  functions: number;
  assets: number;
}

export interface InspectOptions {
  only?: string;
  /** only these versions (app_id_version stems): a re-check after repair */
  stems?: ReadonlySet<string>;
}

async function orUndefined<T>(op: () => Promise<T>): Promise<T | undefined> {
  try {
    return await op();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every provisioned version's findings, in the manifests' key order. */
export async function inspectAll(
  ports: AwsPorts,
  config: DeployerConfig,
  options: InspectOptions = {},
): Promise<VersionFindings[]> {
  const bucket = config.appsBucket;
  const only = options.only;
  const [manifests, statics] = await Promise.all([
    listAll(ports.s3, bucket, `${STATE_KEYS.manifestsPrefix}${only !== undefined ? `${only}_` : ''}`),
    listAll(ports.s3, bucket, `static/${only !== undefined ? `${only}_` : ''}`),
  ]);
  const versions = manifests
    .map((o) => ({ key: o.key, parsed: parseManifestKey(o.key) }))
    .filter((m): m is { key: string; parsed: { appId: string; version: string } } => {
      if (!m.parsed) return false;
      if (only !== undefined && m.parsed.appId !== only) return false;
      return options.stems === undefined || options.stems.has(`${m.parsed.appId}_${m.parsed.version}`);
    });
  const staticKeys = statics.map((o) => o.key);
  return mapBounded(versions, VERIFY_CONCURRENCY, (m) =>
    inspectVersion(ports, config, m.key, m.parsed.appId, m.parsed.version, staticKeys),
  );
}

async function readManifest(
  ports: AwsPorts,
  bucket: string,
  key: string,
): Promise<{ body: string; metadata: Record<string, string>; etag?: string } | undefined> {
  return orUndefined(async () => {
    const res = await ports.s3.getObject({ Bucket: bucket, Key: key });
    // an object larger than any manifest the deployer stores is not read (it would sit in memory)
    const body = (await readBodyText(res, MAX_STORED_MANIFEST_BYTES)) ?? '';
    return { body, metadata: res.Metadata ?? {}, etag: res.ETag };
  });
}

export async function inspectVersion(
  ports: AwsPorts,
  config: DeployerConfig,
  manifestKey: string,
  appId: string,
  version: string,
  staticKeys: readonly string[],
): Promise<VersionFindings> {
  const bucket = config.appsBucket;
  const base = { appId, version, manifestKey, drift: [], foreign: [], functions: 0, assets: 0 };
  const [manifest, rec] = await Promise.all([
    readManifest(ports, bucket, manifestKey),
    readVersionRecord(ports.s3, bucket, appId, version),
  ]);
  if (!manifest)
    return {
      ...base,
      metadata: {},
      hasRecord: rec.record !== undefined,
      notices: [
        { appId, version, resource: manifestKey, message: 'the manifest was removed while verify ran' },
      ],
    };
  const stored: StoredVersion = { appId, version, manifestKey, ...manifest, record: rec.record };
  const { expected, drift, notices } = expectationOf(stored);
  // a record of another bundle (damaged, or forged under deployer/) counts as none: --repair writes
  // the provisioned bundle's
  const ownRecord =
    rec.record !== undefined &&
    rec.record.appId === appId &&
    rec.record.version === version &&
    rec.record.bundleSha256 === manifest.metadata[MANIFEST_METADATA.bundleSha256];
  const findings: VersionFindings = {
    ...base,
    metadata: manifest.metadata,
    manifestEtag: manifest.etag,
    hasRecord: ownRecord,
    drift,
    notices,
  };
  if (!expected) return findings;

  const fnDrift = await mapBounded(expected.functions, FUNCTION_CHECKS, async (fn) => {
    const current: GetFunctionCommandOutput | undefined = await orUndefined(() =>
      ports.lambda.getFunction({ FunctionName: fn.lambdaName }),
    );
    return compareFunction(config, expected, fn, current);
  });
  const assets = expected.assets ?? [];
  const assetDrift = await mapBounded(assets, ASSET_CHECKS, async (asset) => {
    const head: HeadObjectCommandOutput | undefined = await orUndefined(() =>
      ports.s3.headObject({ Bucket: bucket, Key: asset.key }),
    );
    return compareAsset(expected, asset, head);
  });
  const prefix = staticPrefix(appId, version);
  findings.drift.push(...fnDrift.flat(), ...assetDrift.flat());
  findings.foreign = foreignObjects(
    expected,
    staticKeys.filter((k) => k.startsWith(prefix)),
  );
  findings.functions = expected.functions.length;
  findings.assets = assets.length;
  return findings;
}
