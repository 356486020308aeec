/**
 * Lambda functions, inspected then applied (DESIGN.md "Existing functions"):
 *  - missing → CreateFunction from the staged code (S3Bucket/S3Key), then wait Active;
 *  - present with tags naming another app or version (or not managed by the deployer) → ConflictError;
 *  - present with the bundle's CodeSha256 → converge configuration and tags only (no call when equal);
 *  - present with other code → ConflictError when this version's manifest exists (unless replace),
 *    else (a crashed run, a fixed bundle never published) UpdateFunctionCode, wait Updated, converge.
 * Every create/update is followed by its waiter; every call goes through the retry wrapper.
 * Tags are sent IN the CreateFunction request (the deployer's policy allows CreateFunction only with
 * aws:RequestTag/mattermost-apps-managed-by), and every TagResource carries the full tag set.
 */
import type {
  Architecture,
  FunctionConfiguration,
  GetFunctionCommandOutput,
  Runtime,
} from '@aws-sdk/client-lambda';
import { effectiveSettings } from '../settings/effective';
import { isAwsError, isNotFound } from '../aws/errors';
import { functionDescription } from '../bundle/aws-limits';
import type { Bundle, BundleFunction } from '../bundle/types';
import type { DeployerConfig } from '../config';
import { codeKey } from './code';
import type { StepContext } from './context';
import { ConflictError, ProvisionStepError } from './errors';
import { ensureLogGroup } from './logs';
import { ensureReservedConcurrency } from './reserved';
import { sameMap, sameSet } from './same';
import { FUNCTION_TAGS, type ResourceOutcome } from './types';

export interface DesiredConfig {
  Runtime: string;
  Handler: string;
  Role: string;
  Timeout: number;
  MemorySize: number;
  /** empty lists: no VPC (sent as such to take a function out of it) */
  VpcConfig: { SubnetIds: string[]; SecurityGroupIds: string[] };
  Environment: { Variables: Record<string, string> };
}

export type FunctionAction =
  | { kind: 'create' }
  | { kind: 'unchanged'; reservedConcurrency?: number }
  | {
      kind: 'converge';
      /** the function's reserved concurrency now (GetFunction's Concurrency) */
      reservedConcurrency?: number;
      /** Architectures to send with the code (it must match the binary) */
      architecture: string;
      functionArn: string;
      /** the function is still being created or updated: wait before changing it */
      waitFirst?: 'active' | 'updated';
      updateCode: boolean;
      config: Partial<DesiredConfig>;
      /** the FULL tag set to write (empty when every tag is right): a tag write always carries every
       * tag, managed-by included, so that the deployer's policy can require it in the request */
      tags: Record<string, string>;
    };

export function desiredConfig(
  ctx: StepContext,
  bundle: Pick<Bundle, 'appId'>,
  fn: BundleFunction,
  roleArn: string,
): DesiredConfig {
  return desiredConfigOf(ctx.config, bundle.appId, fn, roleArn);
}

/** The configuration a function of `appId` must have (also what `verify` compares against). */
export function desiredConfigOf(
  config: DeployerConfig,
  appId: string,
  fn: Pick<BundleFunction, 'runtime' | 'handler'>,
  roleArn: string,
): DesiredConfig {
  const settings = effectiveSettings(config, appId);
  return {
    Runtime: fn.runtime,
    Handler: fn.handler,
    Role: roleArn,
    Timeout: settings.timeoutSeconds,
    MemorySize: settings.memoryMb,
    VpcConfig: { SubnetIds: [...settings.subnetIds], SecurityGroupIds: [...settings.securityGroupIds] },
    Environment: { Variables: { ...settings.environment } },
  };
}

export function desiredTags(bundle: Bundle): Record<string, string> {
  return {
    [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
    [FUNCTION_TAGS.appId]: bundle.appId,
    [FUNCTION_TAGS.version]: bundle.version,
    [FUNCTION_TAGS.bundleSha256]: bundle.sha256Hex,
  };
}

export function configDiff(
  current: FunctionConfiguration | undefined,
  want: DesiredConfig,
): Partial<DesiredConfig> {
  const diff: Partial<DesiredConfig> = {};
  if (current?.Runtime !== want.Runtime) diff.Runtime = want.Runtime;
  if (current?.Handler !== want.Handler) diff.Handler = want.Handler;
  if (current?.Role !== want.Role) diff.Role = want.Role;
  if (current?.Timeout !== want.Timeout) diff.Timeout = want.Timeout;
  if (current?.MemorySize !== want.MemorySize) diff.MemorySize = want.MemorySize;
  if (
    !sameSet(current?.VpcConfig?.SubnetIds, want.VpcConfig.SubnetIds) ||
    !sameSet(current?.VpcConfig?.SecurityGroupIds, want.VpcConfig.SecurityGroupIds)
  )
    diff.VpcConfig = want.VpcConfig;
  if (!sameMap(current?.Environment?.Variables, want.Environment.Variables))
    diff.Environment = want.Environment;
  return diff;
}

function tagsDiff(
  current: Record<string, string> | undefined,
  want: Record<string, string>,
): Record<string, string> {
  return Object.fromEntries(Object.entries(want).filter(([k, v]) => current?.[k] !== v));
}

async function getFunction(ctx: StepContext, name: string): Promise<GetFunctionCommandOutput | undefined> {
  return ctx.retry('function', name, async () => {
    try {
      return await ctx.ports.lambda.getFunction({ FunctionName: name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
}

/** Decides what to do with one function; reads only. Throws ConflictError for a name collision or
 * for other code under a published version. */
export async function inspectFunction(
  ctx: StepContext,
  bundle: Bundle,
  fn: BundleFunction,
  roleArn: string,
  opts: { manifestExists: boolean; replace: boolean },
): Promise<FunctionAction> {
  const current = await getFunction(ctx, fn.lambdaName);
  if (!current) return { kind: 'create' };
  const tags = current.Tags ?? {};
  const owner =
    tags[FUNCTION_TAGS.managedBy] !== FUNCTION_TAGS.managedByValue
      ? 'is not managed by apps-deployer'
      : tags[FUNCTION_TAGS.appId] !== bundle.appId || tags[FUNCTION_TAGS.version] !== bundle.version
        ? `belongs to app ${tags[FUNCTION_TAGS.appId] ?? '?'} version ${tags[FUNCTION_TAGS.version] ?? '?'}`
        : undefined;
  if (owner) {
    throw new ConflictError(
      `bundle ${ctx.bundle}: Lambda function "${fn.lambdaName}" (function "${fn.name}" of ${bundle.appId} ${bundle.version}) already exists and ${owner}`,
      {
        bundle: ctx.bundle,
        resource: current.Configuration?.FunctionArn ?? fn.lambdaName,
        hint: 'the name is taken: remove or rename that function, or publish the app under another app id or version',
      },
    );
  }
  const conf = current.Configuration;
  const sameCode = conf?.CodeSha256 === fn.codeSha256;
  if (!sameCode && opts.manifestExists && !opts.replace) {
    throw new ConflictError(
      `bundle ${ctx.bundle}: version ${bundle.version} of ${bundle.appId} is already provisioned with other code ` +
        `for function "${fn.name}" (${fn.lambdaName}); versions are immutable`,
      {
        bundle: ctx.bundle,
        resource: conf?.FunctionArn ?? fn.lambdaName,
        hint: 'publish the change under a new version, or redeploy this version with `provision --update` (reconcile --replace)',
      },
    );
  }
  const config = configDiff(conf, desiredConfig(ctx, bundle, fn, roleArn));
  const architecture = effectiveSettings(ctx.config, bundle.appId).architecture;
  const otherArchitecture = (conf?.Architectures?.[0] ?? 'x86_64') !== architecture;
  const reservedConcurrency = current.Concurrency?.ReservedConcurrentExecutions;
  const wantTags = desiredTags(bundle);
  const tagChanges = Object.keys(tagsDiff(tags, wantTags)).length > 0 ? wantTags : {};
  const waitFirst =
    conf?.State === 'Pending' ? 'active' : conf?.LastUpdateStatus === 'InProgress' ? 'updated' : undefined;
  // a function left Failed (its creation or last update failed) cannot be invoked: deploy its code
  // again rather than publish a manifest over it (the wait after the update reports a new failure)
  const failed = conf?.State === 'Failed' || conf?.LastUpdateStatus === 'Failed';
  if (
    sameCode &&
    !failed &&
    !otherArchitecture &&
    Object.keys(config).length === 0 &&
    Object.keys(tagChanges).length === 0 &&
    !waitFirst
  )
    return { kind: 'unchanged', reservedConcurrency };
  return {
    kind: 'converge',
    reservedConcurrency,
    architecture,
    functionArn: conf?.FunctionArn ?? fn.lambdaName,
    waitFirst,
    updateCode: !sameCode || failed || otherArchitecture,
    config,
    tags: tagChanges,
  };
}

function checkCode(ctx: StepContext, fn: BundleFunction, reported: string | undefined, step: string): void {
  if (reported !== undefined && reported !== fn.codeSha256) {
    throw new ProvisionStepError({
      step,
      resource: fn.lambdaName,
      bundle: ctx.bundle,
      cause: new Error(
        `Lambda reports CodeSha256 ${reported} for ${codeKey(fn)}, the bundle's zip has ${fn.codeSha256}`,
      ),
    });
  }
}

/** Creates the function; 'exists' when another run created it in between. */
async function createFunction(
  ctx: StepContext,
  bundle: Bundle,
  fn: BundleFunction,
  roleArn: string,
): Promise<'created' | 'exists'> {
  const want = desiredConfig(ctx, bundle, fn, roleArn);
  const { architecture } = effectiveSettings(ctx.config, bundle.appId);
  const inVpc = want.VpcConfig.SubnetIds.length > 0;
  const created = await ctx.retry('function', fn.lambdaName, async () => {
    try {
      return await ctx.ports.lambda.createFunction({
        FunctionName: fn.lambdaName,
        Runtime: want.Runtime as Runtime,
        Handler: want.Handler,
        Role: want.Role,
        Timeout: want.Timeout,
        MemorySize: want.MemorySize,
        ...(inVpc ? { VpcConfig: want.VpcConfig } : {}),
        ...(Object.keys(want.Environment.Variables).length > 0 ? { Environment: want.Environment } : {}),
        Architectures: [architecture],
        PackageType: 'Zip',
        Code: { S3Bucket: ctx.config.appsBucket, S3Key: codeKey(fn) },
        Description: functionDescription(bundle.appId, bundle.version, fn.name),
        Tags: desiredTags(bundle),
      });
    } catch (err) {
      // "Function already exist": not an update in progress, so not for the retry loop
      if (isAwsError(err, 'ResourceConflictException') && /already exist/i.test((err as Error).message))
        return undefined;
      throw err;
    }
  });
  if (!created) return 'exists';
  checkCode(ctx, fn, created.CodeSha256, 'function');
  await ctx.ports.lambda.waitActive(fn.lambdaName, ctx.tuning.waitActiveSeconds);
  return 'created';
}

async function converge(
  ctx: StepContext,
  fn: BundleFunction,
  action: Extract<FunctionAction, { kind: 'converge' }>,
): Promise<void> {
  const name = fn.lambdaName;
  if (action.waitFirst === 'active') await ctx.ports.lambda.waitActive(name, ctx.tuning.waitActiveSeconds);
  if (action.waitFirst === 'updated') await ctx.ports.lambda.waitUpdated(name, ctx.tuning.waitUpdatedSeconds);
  if (action.updateCode) {
    const out = await ctx.retry('function', name, () =>
      ctx.ports.lambda.updateFunctionCode({
        FunctionName: name,
        S3Bucket: ctx.config.appsBucket,
        S3Key: codeKey(fn),
        Architectures: [action.architecture as Architecture],
      }),
    );
    checkCode(ctx, fn, out.CodeSha256, 'function');
    await ctx.ports.lambda.waitUpdated(name, ctx.tuning.waitUpdatedSeconds);
  }
  if (Object.keys(action.config).length > 0) {
    const config = action.config;
    await ctx.retry('function', name, () =>
      ctx.ports.lambda.updateFunctionConfiguration({
        FunctionName: name,
        ...config,
        Runtime: config.Runtime as Runtime | undefined,
      }),
    );
    await ctx.ports.lambda.waitUpdated(name, ctx.tuning.waitUpdatedSeconds);
  }
  if (Object.keys(action.tags).length > 0) {
    await ctx.retry('function', name, () =>
      ctx.ports.lambda.tagResource({ Resource: action.functionArn, Tags: action.tags }),
    );
  }
}

/** After CreateFunction said "already exists", how often (and how far apart, doubling) to look for it. */
const EXISTS_LOOKS = 5;
const EXISTS_LOOK_DELAY_MS = 250;

/** Makes one function match the bundle. */
export async function ensureFunction(
  ctx: StepContext,
  bundle: Bundle,
  fn: BundleFunction,
  roleArn: string,
  opts: { manifestExists: boolean; replace: boolean },
  /** the action inspectFunction decided moments ago (saves a second GetFunction) */
  inspected?: FunctionAction,
): Promise<ResourceOutcome> {
  let action = inspected ?? (await inspectFunction(ctx, bundle, fn, roleArn, opts));
  let outcome: ResourceOutcome = 'unchanged';
  if (action.kind === 'create') {
    if ((await createFunction(ctx, bundle, fn, roleArn)) === 'created') {
      outcome = 'created';
    } else {
      // another run (or an SDK retry of our own request) created it in between: judge it like any
      // existing function. Lambda's reads may lag its writes for a moment, so look a few times.
      for (let look = 0; look < EXISTS_LOOKS; look++) {
        action = await inspectFunction(ctx, bundle, fn, roleArn, opts);
        if (action.kind !== 'create') break;
        await ctx.clock.sleep(EXISTS_LOOK_DELAY_MS * 2 ** look);
      }
      if (action.kind === 'create')
        throw new ProvisionStepError({
          step: 'function',
          resource: fn.lambdaName,
          bundle: ctx.bundle,
          cause: new Error('Lambda said the function exists, then that it does not'),
        });
    }
  }
  if (action.kind === 'converge') {
    await converge(ctx, fn, action);
    outcome = 'updated';
  }
  // after the function: its reserved concurrency and its log group
  const settings = effectiveSettings(ctx.config, bundle.appId);
  const current = action.kind === 'create' ? undefined : action.reservedConcurrency;
  const extras = [
    await ensureReservedConcurrency(ctx, bundle.appId, fn.lambdaName, settings.reservedConcurrency, current),
    await ensureLogGroup(ctx, fn.lambdaName, settings.logRetentionDays),
  ];
  if (extras.some((o) => o !== 'unchanged') && outcome === 'unchanged') outcome = 'updated';
  ctx.emit({ type: 'step', step: 'function', resource: fn.lambdaName, outcome });
  return outcome;
}
