/**
 * Reserved concurrency of a function, from the per-app overrides (DESIGN.md "Function settings"):
 * PutFunctionConcurrency when it differs, DeleteFunctionConcurrency when the override is gone. Before
 * reserving, the account's unreserved concurrency must stay at or above AWS's minimum of 100
 * (GetAccountSettings); otherwise a configuration error naming the override.
 */
import { isAwsError } from '../aws/errors';
import { ENV } from '../config';
import { ConfigError } from '../errors';
import type { StepContext } from './context';
import type { ResourceOutcome } from './types';

/** Lambda keeps this much concurrency unreserved in every account. */
export const UNRESERVED_MINIMUM = 100;

async function checkAccount(
  ctx: StepContext,
  appId: string,
  name: string,
  want: number,
  current: number | undefined,
): Promise<void> {
  let unreserved: number | undefined;
  try {
    const out = await ctx.retry('concurrency', name, () => ctx.ports.lambda.getAccountSettings());
    unreserved = out.AccountLimit?.UnreservedConcurrentExecutions;
  } catch (err) {
    if (isAwsError(err, 'AccessDeniedException', 'AccessDenied')) throw err;
    // an emulator without GetAccountSettings: PutFunctionConcurrency itself enforces the minimum in AWS
    ctx.logger.warn({ function: name, err: (err as Error).name }, 'GetAccountSettings failed; not checked');
    return;
  }
  if (unreserved === undefined) return;
  const after = unreserved + (current ?? 0) - want;
  if (after < UNRESERVED_MINIMUM)
    throw new ConfigError(
      `reserved concurrency ${want} for app ${appId} (function ${name}) would leave the account ${after} ` +
        `unreserved concurrent executions; Lambda keeps at least ${UNRESERVED_MINIMUM}`,
      `lower /apps/${appId}/reservedConcurrency in ${ENV.overridesFile}, or raise the account's concurrency quota`,
    );
}

export async function ensureReservedConcurrency(
  ctx: StepContext,
  appId: string,
  name: string,
  want: number | undefined,
  current: number | undefined,
): Promise<ResourceOutcome> {
  if (want === current) return 'unchanged';
  if (want === undefined) {
    await ctx.retry('concurrency', name, () =>
      ctx.ports.lambda.deleteFunctionConcurrency({ FunctionName: name }),
    );
    return 'updated';
  }
  await checkAccount(ctx, appId, name, want, current);
  await ctx.retry('concurrency', name, () =>
    ctx.ports.lambda.putFunctionConcurrency({ FunctionName: name, ReservedConcurrentExecutions: want }),
  );
  return 'updated';
}
