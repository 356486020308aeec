/**
 * The one retry wrapper of the provisioner. Every AWS call of a step goes through `withRetry`, which
 *  - retries what AWS says is temporary, with exponential backoff (jittered) up to a deadline:
 *      · IAM propagation: CreateFunction/UpdateFunctionConfiguration answering InvalidParameterValueException
 *        "The role defined for the function cannot be assumed by Lambda", while the role is new
 *        (a wrong trust policy fails the same way, forever: with an old role it is an IamError at once);
 *      · ResourceConflictException (an update is in progress);
 *      · throttling (the SDK's adaptive retries come first; this outer loop outlasts a long burst);
 *      · 5xx and network failures, a few times (SERVER_ERROR_ATTEMPTS): the SDK retries them first,
 *        but not a streamed upload (function code, assets: the step re-opens the stream), and not at
 *        all once its client's retry quota is spent by a burst of errors (500 tokens, 5–10 a retry);
 *  - turns a deadline into a DeadlineError carrying the last AWS error;
 *  - turns any other non-deployer error into a ProvisionStepError naming step, resource and bundle.
 * Operations handle their expected answers (404 on a read, 412 on a conditional write) themselves.
 */
import { DeployerError } from '../errors';
import { isAwsError } from '../aws/errors';
import { classifyFailure } from '../aws/failure-class';
import type { ProvisionTuning } from './constants';
import { DeadlineError, IamError, ProvisionStepError } from './errors';

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: RetryClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryContext {
  step: string;
  resource: string;
  bundle?: string;
  tuning: ProvisionTuning;
  /** the execute role was created recently: IAM propagation errors are worth waiting for */
  roleIsNew?: boolean;
  /** the execute role's name, for the message when Lambda cannot assume it */
  roleName?: string;
  onRetry?: (info: { attempt: number; reason: string; delayMs: number }) => void;
  clock?: RetryClock;
  /** random in [0, 1) for the jitter (tests pass a constant) */
  random?: () => number;
}

export type RetryReason = 'iam-propagation' | 'update-in-progress' | 'throttled' | 'server-error';

/** Attempts in all (this loop's, each with the SDK's own retries inside) for a 5xx or network failure;
 * after them the step fails as transient (nothing marked, the next run retries). */
export const SERVER_ERROR_ATTEMPTS = 4;

const ROLE_NOT_ASSUMABLE = /cannot be assumed by Lambda/i;

/** True for Lambda's answer while a new role propagates (and, forever, for a wrong trust policy). */
export function isRoleNotAssumable(err: unknown): boolean {
  return (
    isAwsError(err, 'InvalidParameterValueException') &&
    err instanceof Error &&
    ROLE_NOT_ASSUMABLE.test(err.message)
  );
}

/** The classifier's rows (aws/failure-class.ts) this loop waits out; every other error ends it. */
const RETRIED_RULES: Readonly<Record<string, RetryReason>> = {
  'iam-propagation': 'iam-propagation',
  'update-in-progress': 'update-in-progress',
  throttling: 'throttled',
  'throttling-429': 'throttled',
  'server-error': 'server-error',
  'server-error-5xx': 'server-error',
  network: 'server-error',
  'network-message': 'server-error',
};

/** Which temporary condition an error is, if any (judged by the one classifier's table). */
export function classify(err: unknown): RetryReason | undefined {
  if (err instanceof DeployerError) return undefined;
  return RETRIED_RULES[classifyFailure(err).rule];
}

function deadlineFor(reason: RetryReason, tuning: ProvisionTuning): number {
  return reason === 'iam-propagation' ? tuning.iamPropagationDeadlineMs : tuning.conflictDeadlineMs;
}

/** Backoff before attempt `attempt + 1`: base × 2^(attempt-1), capped, with "equal jitter" (half fixed). */
export function backoffMs(attempt: number, tuning: ProvisionTuning, random: () => number): number {
  const exp = Math.min(tuning.retryMaxDelayMs, tuning.retryBaseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export async function withRetry<T>(op: () => Promise<T>, ctx: RetryContext): Promise<T> {
  const clock = ctx.clock ?? realClock;
  const random = ctx.random ?? Math.random;
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await op();
    } catch (err) {
      if (err instanceof DeployerError) throw err;
      const reason = classify(err);
      if (reason === undefined || (reason === 'server-error' && attempt >= SERVER_ERROR_ATTEMPTS)) {
        throw new ProvisionStepError({
          step: ctx.step,
          resource: ctx.resource,
          bundle: ctx.bundle ?? '(no bundle)',
          cause: err,
        });
      }
      if (reason === 'iam-propagation' && !ctx.roleIsNew) {
        const role = ctx.roleName ?? 'the execute role';
        throw new IamError(
          `Lambda cannot assume ${role} (${ctx.step} of ${ctx.resource}${ctx.bundle ? `, bundle ${ctx.bundle}` : ''}), ` +
            'and the role is not new, so this is not IAM propagation',
          {
            resource: role,
            bundle: ctx.bundle,
            cause: err,
            hint: `make the trust policy of ${role} allow "lambda.amazonaws.com" to sts:AssumeRole (deploy/iam/execute-role-trust-policy.json)`,
          },
        );
      }
      const deadlineMs = deadlineFor(reason, ctx.tuning);
      const elapsed = clock.now() - started;
      const remaining = deadlineMs - elapsed;
      if (remaining <= 0) {
        throw new DeadlineError({
          step: ctx.step,
          resource: ctx.resource,
          bundle: ctx.bundle,
          deadlineMs,
          attempts: attempt,
          reason: `${reason}: ${(err as Error).message}`,
          cause: err,
        });
      }
      const delayMs = Math.min(remaining, backoffMs(attempt, ctx.tuning, random));
      ctx.onRetry?.({ attempt, reason, delayMs });
      await clock.sleep(delayMs);
    }
  }
}
