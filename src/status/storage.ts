/**
 * `status APP_ID`: the storage the deployer accounts for, per provisioned version and in all — the
 * code size of the app's functions (GetFunction's CodeSize: what counts against Lambda's 75 GB code
 * storage per region, shared with every function of the account) and the staged code objects those
 * functions were created from (`deployer/code/<sha256 hex>.zip`, HeadObject; one object may serve
 * several versions with the same code: counted once in the total).
 *
 * The functions of a version come from its stored manifest (`aws_lambda.functions[].name`, mapped to
 * Lambda names as provisioning does). A function that is missing, or whose tags do not name this app
 * and version as ours, is listed apart and not counted. Reads are bounded (mapBounded); GetFunction
 * goes through the Lambda port, in GetFunction's own quota pool.
 */
import type { LambdaPort, S3Port } from '../aws/ports';
import { isNotFound } from '../aws/errors';
import { lambdaFunctionName } from '../bundle/names';
import { errorMessage } from '../errors';
import { FUNCTION_TAGS } from '../provision/types';
import { STATE_KEYS } from '../reconcile/types';
import { mapBounded, readJson } from './details';
import type { ProvisionedApp, StorageUsage, VersionStorage } from './types';

interface FunctionUse {
  version: string;
  lambdaName: string;
  codeSize?: number;
  /** the staged object its code came from, when the function is ours */
  stagedKey?: string;
  /** why it is not counted */
  unaccounted?: string;
}

/** `deployer/code/<hex>.zip` of a function whose CodeSha256 (base64 SHA-256 of its zip) is `sha256b64`. */
export function stagedCodeKey(sha256b64: string): string {
  return `${STATE_KEYS.codePrefix}${Buffer.from(sha256b64, 'base64').toString('hex')}.zip`;
}

/** Lambda names of the functions a stored manifest declares (object form, as the deployer stores it). */
export function manifestLambdaNames(manifest: unknown, appId: string, version: string): string[] {
  const lambda = (manifest as { aws_lambda?: unknown } | undefined)?.aws_lambda;
  const functions = Array.isArray(lambda)
    ? lambda
    : (lambda as { functions?: unknown } | undefined)?.functions;
  if (!Array.isArray(functions)) return [];
  const names: string[] = [];
  for (const f of functions) {
    const name = (f as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') continue;
    try {
      names.push(lambdaFunctionName(appId, version, name).name);
    } catch {
      // not a name the deployer provisions: no function of ours
    }
  }
  return [...new Set(names)];
}

async function functionsOf(s3: S3Port, bucket: string, app: ProvisionedApp, problems: string[]) {
  try {
    return manifestLambdaNames(await readJson(s3, bucket, app.manifestKey), app.appId, app.version);
  } catch (err) {
    problems.push(`manifest s3://${bucket}/${app.manifestKey} could not be read: ${errorMessage(err)}`);
    return [];
  }
}

async function functionUse(
  lambda: LambdaPort,
  app: ProvisionedApp,
  lambdaName: string,
): Promise<FunctionUse> {
  const use: FunctionUse = { version: app.version, lambdaName };
  try {
    const res = await lambda.getFunction({ FunctionName: lambdaName });
    const tags = res.Tags ?? {};
    const ours =
      tags[FUNCTION_TAGS.managedBy] === FUNCTION_TAGS.managedByValue &&
      tags[FUNCTION_TAGS.appId] === app.appId &&
      tags[FUNCTION_TAGS.version] === app.version;
    if (!ours) return { ...use, unaccounted: 'not tagged as this version of ours' };
    const sha = res.Configuration?.CodeSha256;
    return {
      ...use,
      codeSize: res.Configuration?.CodeSize ?? 0,
      stagedKey: sha ? stagedCodeKey(sha) : undefined,
    };
  } catch (err) {
    if (isNotFound(err)) return { ...use, unaccounted: 'missing' };
    return { ...use, unaccounted: `could not be read: ${errorMessage(err)}` };
  }
}

/** Size of each staged object (absent: removed, or never staged by this deployer). */
async function stagedSizes(s3: S3Port, bucket: string, keys: string[], problems: string[]) {
  const sizes = new Map<string, number>();
  const heads = await mapBounded(keys, async (key) => {
    try {
      return (await s3.headObject({ Bucket: bucket, Key: key })).ContentLength ?? 0;
    } catch (err) {
      if (!isNotFound(err)) problems.push(`staged code s3://${bucket}/${key}: ${errorMessage(err)}`);
      return undefined;
    }
  });
  keys.forEach((key, i) => {
    const size = heads[i];
    if (size !== undefined) sizes.set(key, size);
  });
  return sizes;
}

/** The storage of one app's provisioned versions (`apps`: those of `status APP_ID`). */
export async function readStorage(
  ports: { s3: S3Port; lambda: LambdaPort },
  bucket: string,
  apps: ProvisionedApp[],
  problems: string[],
): Promise<StorageUsage> {
  const names = await mapBounded(apps, (app) => functionsOf(ports.s3, bucket, app, problems));
  const pairs = apps.flatMap((app, i) => (names[i] ?? []).map((n) => ({ app, n })));
  const uses = await mapBounded(pairs, ({ app, n }) => functionUse(ports.lambda, app, n));
  const keys = [...new Set(uses.flatMap((u) => (u.stagedKey ? [u.stagedKey] : [])))];
  const sizes = await stagedSizes(ports.s3, bucket, keys, problems);

  const byVersion: VersionStorage[] = apps.map((app) => {
    const mine = uses.filter((u) => u.version === app.version && u.unaccounted === undefined);
    const staged = new Set(mine.flatMap((u) => (u.stagedKey && sizes.has(u.stagedKey) ? [u.stagedKey] : [])));
    return {
      version: app.version,
      functions: mine.length,
      functionCodeBytes: mine.reduce((a, u) => a + (u.codeSize ?? 0), 0),
      stagedCodeObjects: staged.size,
      stagedCodeBytes: [...staged].reduce((a, k) => a + (sizes.get(k) ?? 0), 0),
    };
  });
  return {
    byVersion,
    functions: byVersion.reduce((a, v) => a + v.functions, 0),
    functionCodeBytes: byVersion.reduce((a, v) => a + v.functionCodeBytes, 0),
    stagedCodeObjects: sizes.size,
    stagedCodeBytes: [...sizes.values()].reduce((a, b) => a + b, 0),
    unaccounted: uses.flatMap((u) =>
      u.unaccounted === undefined
        ? []
        : [{ version: u.version, lambdaName: u.lambdaName, reason: u.unaccounted }],
    ),
  };
}
