/**
 * The comparison logic of `verify`, pure: what a provisioned version should have (ExpectedVersion,
 * built from its manifest body, the manifest's metadata and the version record) against what AWS
 * reports (GetFunction, HeadObject, the static listing). Same rules as the provisioner's convergence
 * (provision/lambda.ts configDiff, tags, architecture, reserved concurrency), so that what verify calls
 * drift is exactly what --repair (the provisioner) changes.
 */
import type { GetFunctionCommandOutput } from '@aws-sdk/client-lambda';
import type { HeadObjectCommandOutput } from '@aws-sdk/client-s3';
import type { DeployerConfig } from '../config';
import { SHA256_METADATA } from '../provision/constants';
import { configDiff, desiredConfigOf, type DesiredConfig } from '../provision/lambda';
import { FUNCTION_TAGS } from '../provision/types';
import { effectiveSettings } from '../settings/effective';
import type { Drift, ForeignObject } from './types';

export interface ExpectedFunction {
  name: string;
  lambdaName: string;
  runtime: string;
  handler: string;
  /** from the version record; undefined: not recorded (a version provisioned before records) */
  codeSha256?: string;
}

export interface ExpectedAsset {
  key: string;
  sha256Hex: string;
  contentType: string;
}

export interface ExpectedVersion {
  appId: string;
  version: string;
  /** the manifest's bundle-sha256 metadata (the functions' bundle tag) */
  bundleSha256?: string;
  functions: ExpectedFunction[];
  /** undefined: not recorded (no version record): existence and content not checkable */
  assets?: ExpectedAsset[];
}

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

/** The role the function should run as: compared by name (the ARN's last path segment), so verify
 * needs no IAM call; the role's own state is the provisioner's (ensureIam). */
export function roleMatches(current: string | undefined, roleName: string): boolean {
  return current !== undefined && current.split('/').pop() === roleName;
}

function configDrift(
  config: DeployerConfig,
  v: ExpectedVersion,
  fn: ExpectedFunction,
  current: GetFunctionCommandOutput,
): string[] {
  const conf = current.Configuration;
  // the role is compared by name below: use the function's own ARN when its name is right
  const roleArn = roleMatches(conf?.Role, config.executeRoleName)
    ? (conf?.Role ?? '')
    : config.executeRoleName;
  const want = desiredConfigOf(config, v.appId, fn, roleArn);
  const diff = configDiff(conf, want);
  const out: string[] = [];
  for (const field of Object.keys(diff) as (keyof DesiredConfig)[]) {
    if (field === 'Environment') {
      out.push(environmentDrift(conf?.Environment?.Variables ?? {}, want.Environment.Variables));
      continue;
    }
    const now = field === 'VpcConfig' ? vpcOf(conf) : conf?.[field];
    out.push(`${field}: ${show(now)} (expected ${show(want[field])})`);
  }
  const settings = effectiveSettings(config, v.appId);
  const arch = conf?.Architectures?.[0] ?? 'x86_64';
  if (arch !== settings.architecture)
    out.push(`Architectures: ${show(arch)} (expected ${show(settings.architecture)})`);
  const reserved = current.Concurrency?.ReservedConcurrentExecutions;
  if (reserved !== settings.reservedConcurrency)
    out.push(`ReservedConcurrency: ${show(reserved)} (expected ${show(settings.reservedConcurrency)})`);
  return out;
}

function vpcOf(conf: GetFunctionCommandOutput['Configuration']): DesiredConfig['VpcConfig'] {
  return {
    SubnetIds: conf?.VpcConfig?.SubnetIds ?? [],
    SecurityGroupIds: conf?.VpcConfig?.SecurityGroupIds ?? [],
  };
}

/** Environment values may be secrets: a drift names the variables, never their values. */
export function environmentDrift(now: Record<string, string>, want: Record<string, string>): string {
  const has = (o: Record<string, string>, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);
  const names = (ks: string[]): string => ks.sort().join(', ');
  const missing = Object.keys(want).filter((k) => !has(now, k));
  const other = Object.keys(want).filter((k) => has(now, k) && now[k] !== want[k]);
  const extra = Object.keys(now).filter((k) => !has(want, k));
  const parts = [
    other.length > 0 ? `other values for ${names(other)}` : '',
    missing.length > 0 ? `missing ${names(missing)}` : '',
    extra.length > 0 ? `not expected ${names(extra)}` : '',
  ].filter(Boolean);
  return `Environment: ${parts.join('; ')} (values not shown)`;
}

function drift(
  v: ExpectedVersion,
  fn: ExpectedFunction,
  kind: Drift['kind'],
  detail: string,
  repairable = true,
): Drift {
  return { appId: v.appId, version: v.version, kind, resource: fn.lambdaName, detail, repairable };
}

/** Drift of one function; `current` undefined: GetFunction said it does not exist. */
export function compareFunction(
  config: DeployerConfig,
  v: ExpectedVersion,
  fn: ExpectedFunction,
  current: GetFunctionCommandOutput | undefined,
): Drift[] {
  if (!current) return [drift(v, fn, 'function-missing', `function "${fn.name}" does not exist`)];
  const tags = current.Tags ?? {};
  const conf = current.Configuration;
  if (tags[FUNCTION_TAGS.managedBy] !== FUNCTION_TAGS.managedByValue)
    return [
      drift(
        v,
        fn,
        'function-owner',
        'the function is not managed by apps-deployer (no managed-by tag): left as it is',
        false,
      ),
    ];
  if (tags[FUNCTION_TAGS.appId] !== v.appId || tags[FUNCTION_TAGS.version] !== v.version)
    return [
      drift(
        v,
        fn,
        'function-owner',
        `the function's tags name app ${show(tags[FUNCTION_TAGS.appId])} version ${show(tags[FUNCTION_TAGS.version])}: a name collision, left as it is`,
        false,
      ),
    ];
  const out: Drift[] = [];
  if (conf?.State === 'Failed' || conf?.LastUpdateStatus === 'Failed') {
    const reason = conf.StateReason ?? conf.LastUpdateStatusReason;
    out.push(
      drift(
        v,
        fn,
        'function-failed',
        `State ${show(conf.State)}, LastUpdateStatus ${show(conf.LastUpdateStatus)}${reason ? `: ${reason}` : ''}`,
      ),
    );
  }
  if (fn.codeSha256 !== undefined && conf?.CodeSha256 !== fn.codeSha256)
    out.push(
      drift(
        v,
        fn,
        'function-code',
        `CodeSha256: ${show(conf?.CodeSha256)} (expected ${show(fn.codeSha256)})`,
      ),
    );
  const config_ = configDrift(config, v, fn, current);
  if (config_.length > 0) out.push(drift(v, fn, 'function-config', config_.join('; ')));
  const want: Record<string, string | undefined> = {
    [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
    [FUNCTION_TAGS.appId]: v.appId,
    [FUNCTION_TAGS.version]: v.version,
    ...(v.bundleSha256 !== undefined ? { [FUNCTION_TAGS.bundleSha256]: v.bundleSha256 } : {}),
  };
  const tagDiffs = Object.entries(want)
    .filter(([k, value]) => tags[k] !== value)
    .map(([k, value]) => `${k}: ${show(tags[k])} (expected ${show(value)})`);
  if (tagDiffs.length > 0) out.push(drift(v, fn, 'function-tags', tagDiffs.join('; ')));
  return out;
}

/** Drift of one asset; `head` undefined: it does not exist. */
export function compareAsset(
  v: ExpectedVersion,
  asset: ExpectedAsset,
  head: HeadObjectCommandOutput | undefined,
): Drift[] {
  const base = { appId: v.appId, version: v.version, resource: asset.key, repairable: true };
  if (!head) return [{ ...base, kind: 'asset-missing', detail: 'the asset does not exist' }];
  const diffs: string[] = [];
  const sha = head.Metadata?.[SHA256_METADATA];
  if (sha !== asset.sha256Hex) diffs.push(`sha256: ${show(sha)} (expected ${show(asset.sha256Hex)})`);
  if (head.ContentType !== asset.contentType)
    diffs.push(`Content-Type: ${show(head.ContentType)} (expected ${show(asset.contentType)})`);
  return diffs.length > 0 ? [{ ...base, kind: 'asset-content', detail: diffs.join('; ') }] : [];
}

/** Keys under the version's static prefix that are none of its assets. */
export function foreignObjects(v: ExpectedVersion, listedKeys: readonly string[]): ForeignObject[] {
  if (v.assets === undefined) return [];
  const known = new Set(v.assets.map((a) => a.key));
  return listedKeys.filter((k) => !known.has(k)).map((key) => ({ appId: v.appId, version: v.version, key }));
}

/** The manifest body against the sha256 stored in its metadata; undefined: equal. */
export function compareManifestHash(
  v: Pick<ExpectedVersion, 'appId' | 'version'>,
  manifestKey: string,
  bodySha256: string,
  storedSha256: string,
): Drift | undefined {
  if (bodySha256 === storedSha256) return undefined;
  return {
    appId: v.appId,
    version: v.version,
    kind: 'manifest-hash',
    resource: manifestKey,
    detail: `body sha256 ${bodySha256} (expected ${storedSha256}, recorded at provisioning)`,
    repairable: true,
  };
}
