/**
 * The log group of a function, `/aws/lambda/<name>`, created with the configured retention and
 * converged to it; never deleted (logs outlive functions). Nothing is done when no retention is
 * configured: Lambda then creates the group itself on the first invocation.
 */
import { isAwsError } from '../aws/errors';
import type { StepContext } from './context';
import type { ResourceOutcome } from './types';

export function logGroupName(lambdaName: string): string {
  return `/aws/lambda/${lambdaName}`;
}

async function currentRetention(
  ctx: StepContext,
  name: string,
): Promise<{ exists: boolean; retentionDays?: number }> {
  const out = await ctx.retry('log-group', name, () =>
    ctx.ports.logs.describeLogGroups({ logGroupNamePrefix: name, limit: 5 }),
  );
  const group = (out.logGroups ?? []).find((g) => g.logGroupName === name);
  return group ? { exists: true, retentionDays: group.retentionInDays } : { exists: false };
}

export async function ensureLogGroup(
  ctx: StepContext,
  lambdaName: string,
  retentionDays: number | undefined,
): Promise<ResourceOutcome> {
  if (retentionDays === undefined) return 'unchanged';
  const name = logGroupName(lambdaName);
  const current = await currentRetention(ctx, name);
  let outcome: ResourceOutcome = 'unchanged';
  if (!current.exists) {
    await ctx.retry('log-group', name, async () => {
      try {
        await ctx.ports.logs.createLogGroup({ logGroupName: name });
      } catch (err) {
        // created in between (the function's first invocation, another run): converge it below
        if (!isAwsError(err, 'ResourceAlreadyExistsException')) throw err;
      }
    });
    outcome = 'created';
  }
  if (current.retentionDays !== retentionDays) {
    await ctx.retry('log-group', name, () =>
      ctx.ports.logs.putRetentionPolicy({ logGroupName: name, retentionInDays: retentionDays }),
    );
    if (outcome === 'unchanged') outcome = 'updated';
  }
  return outcome;
}
