/**
 * Which functions `adopt` looks at, and its verdict on each. Candidates: every function of the account
 * that a provisioned manifest names, and every other function running under the execute role (the
 * upstream deployer's functions whose manifest is gone are reported, never touched). Each is read
 * with GetFunction (configuration and tags) and judged:
 *   managed-by = apps-deployer → already ours · another managed-by value → tagged by someone else ·
 *   no manifest names it → no manifest · its version has no matching release bundle → that reason ·
 *   else judge.ts (code, configuration).
 */
import type { FunctionConfiguration, GetFunctionCommandOutput } from '@aws-sdk/client-lambda';
import type { LambdaPort } from '../aws/ports';
import { isNotFound } from '../aws/errors';
import { sanitizedAppId } from '../bundle/names';
import type { BundleFunction } from '../bundle/types';
import type { DeployerConfig } from '../config';
import { DeployerError } from '../errors';
import { mapBounded } from '../provision/concurrency';
import { FUNCTION_TAGS } from '../provision/types';
import { effectiveSettings } from '../settings/effective';
import { ADOPT_READS, LIST_FUNCTIONS_PAGE, MAX_LIST_FUNCTION_PAGES } from './constants';
import { judgeFunction } from './judge';
import type { AdoptFunction } from './types';
import type { ProvisionedVersion } from './versions';

export interface Expected {
  version: ProvisionedVersion;
  /** the bundle's function, when the version's release bundle matched */
  fn?: BundleFunction;
}

/** Lambda name → the provisioned version (and bundle function) that names it. */
export function expectedFunctions(versions: readonly ProvisionedVersion[]): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const version of versions) {
    for (const name of version.lambdaNames) out.set(name, { version });
    for (const fn of version.bundle?.functions ?? []) out.set(fn.lambdaName, { version, fn });
  }
  return out;
}

export async function listFunctions(lambda: LambdaPort): Promise<FunctionConfiguration[]> {
  const out: FunctionConfiguration[] = [];
  let marker: string | undefined;
  for (let page = 0; page < MAX_LIST_FUNCTION_PAGES; page++) {
    const res = await lambda.listFunctions({ Marker: marker, MaxItems: LIST_FUNCTIONS_PAGE });
    out.push(...(res.Functions ?? []));
    marker = res.NextMarker;
    if (!marker) return out;
  }
  throw new DeployerError(`ListFunctions has more than ${MAX_LIST_FUNCTION_PAGES} pages`, {
    code: 'LIST_FAILED',
    resource: 'lambda:ListFunctions',
    hint: 'the Lambda endpoint keeps answering with a next marker; check AWS_ENDPOINT_URL',
  });
}

/** The functions adopt judges (see the module comment). */
export function candidates(
  all: readonly FunctionConfiguration[],
  expected: ReadonlyMap<string, Expected>,
  roleArn: string,
  only?: string,
): FunctionConfiguration[] {
  const prefix = only === undefined ? '' : `${sanitizedAppId(only)}_`;
  return all.filter((f) => {
    const name = f.FunctionName ?? '';
    return expected.has(name) || (f.Role === roleArn && name.startsWith(prefix));
  });
}

function verdict(
  name: string,
  got: GetFunctionCommandOutput,
  expected: Expected | undefined,
  roleArn: string,
  config: DeployerConfig,
): AdoptFunction {
  const arn = got.Configuration?.FunctionArn;
  const tags = got.Tags ?? {};
  const base = { lambdaName: name, arn, appId: expected?.version.appId, version: expected?.version.version };
  const managedBy = tags[FUNCTION_TAGS.managedBy];
  if (managedBy === FUNCTION_TAGS.managedByValue) {
    const taggedAs = {
      appId: tags[FUNCTION_TAGS.appId],
      version: tags[FUNCTION_TAGS.version],
      bundleSha256: tags[FUNCTION_TAGS.bundleSha256],
    };
    // tagged for this version from another bundle: --apply would retag it as the release bundle's,
    // so its code must be that bundle's (as for an untagged function)
    const fn = expected?.fn;
    const code = got.Configuration?.CodeSha256;
    if (fn && taggedAs.bundleSha256 !== expected.version.bundle?.sha256Hex && code !== fn.codeSha256)
      return {
        ...base,
        status: 'left',
        reason: 'other-code',
        detail: `tagged as bundle ${taggedAs.bundleSha256 ?? '?'} with CodeSha256 ${code ?? '(none)'}; the release bundle's ${fn.entry} has ${fn.codeSha256}`,
        taggedAs,
      };
    return {
      ...base,
      status: 'already-ours',
      detail: `tagged as ${taggedAs.appId ?? '?'} ${taggedAs.version ?? '?'}`,
      taggedAs,
    };
  }
  if (managedBy !== undefined)
    return {
      ...base,
      status: 'left',
      reason: 'tagged-by-someone-else',
      detail: `${FUNCTION_TAGS.managedBy}=${managedBy}: never touched`,
    };
  if (!expected)
    return { ...base, status: 'left', reason: 'no-manifest', detail: 'no provisioned manifest names it' };
  const v = expected.version;
  if (v.problem) return { ...base, status: 'left', reason: v.problem.reason, detail: v.problem.detail };
  if (!expected.fn)
    return {
      ...base,
      status: 'left',
      reason: 'bundle-mismatch',
      detail: v.ours
        ? `${v.manifestKey} was provisioned by the deployer, which tags every function: this one was replaced by another tool`
        : 'the release bundle has no function of this name',
    };
  const j = judgeFunction(got.Configuration, expected.fn, roleArn, effectiveSettings(config, v.appId));
  return j.adoptable
    ? { ...base, status: 'adopt', detail: j.detail, settingsToConverge: j.settingsToConverge }
    : { ...base, status: 'left', reason: j.reason, detail: j.detail };
}

/** GetFunction on every candidate (bounded), then the verdicts, in name order. */
export async function judgeCandidates(
  lambda: LambdaPort,
  list: readonly FunctionConfiguration[],
  expected: ReadonlyMap<string, Expected>,
  roleArn: string,
  config: DeployerConfig,
): Promise<AdoptFunction[]> {
  const names = list.map((f) => f.FunctionName ?? '').sort();
  const judged = await mapBounded(names, ADOPT_READS, async (name) => {
    try {
      return verdict(
        name,
        await lambda.getFunction({ FunctionName: name }),
        expected.get(name),
        roleArn,
        config,
      );
    } catch (err) {
      if (isNotFound(err)) return undefined; // deleted since it was listed
      throw err;
    }
  });
  return judged.filter((f): f is AdoptFunction => f !== undefined);
}
