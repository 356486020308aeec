/**
 * Ownership of IAM objects (DESIGN.md "IAM"): the deployer marks every role and policy it creates with
 * its managed-by tag, and never changes one it did not create. With IAM creation on, an execute role or
 * invoke policy of the configured name without the mark is a ConfigError (exit 2) naming the setting
 * to change (`allowAdopt` would accept it, but no caller sets it: `apps-deployer adopt` takes upstream's
 * objects over itself, in src/adopt/iam.ts, and marks them with MANAGED_IAM_TAG). With IAM creation
 * off the deployer writes no IAM object and uses what it finds.
 */
import { ENV } from '../config';
import { ConfigError } from '../errors';
import type { StepContext } from './context';
import { FUNCTION_TAGS } from './types';

/** The mark on every IAM object the deployer creates (the functions' managed-by tag). */
export const MANAGED_IAM_TAG = { Key: FUNCTION_TAGS.managedBy, Value: FUNCTION_TAGS.managedByValue } as const;

export interface IamOptions {
  /** accept an execute role or invoke policy of the configured name that the deployer did not create
   * (no caller sets it today: `adopt` tags such objects itself, src/adopt/iam.ts) */
  allowAdopt?: boolean;
}

/** True when an IAM object carries the deployer's mark. */
export function isManagedIamObject(tags: readonly { Key?: string; Value?: string }[] | undefined): boolean {
  return (tags ?? []).some((t) => t.Key === MANAGED_IAM_TAG.Key && t.Value === MANAGED_IAM_TAG.Value);
}

/** Refuses to change an IAM object of the configured name that the deployer did not create. */
export function refuseUnmanaged(
  ctx: StepContext,
  options: IamOptions,
  what: string,
  arn: string,
  setting: string,
  tags: readonly { Key?: string; Value?: string }[] | undefined,
): void {
  if (!ctx.config.createIam || isManagedIamObject(tags)) return;
  if (options.allowAdopt) {
    ctx.logger.warn({ resource: arn }, `taking over ${what} the deployer did not create (adopt)`);
    return;
  }
  throw new ConfigError(
    `${what} ${arn} exists but was not created by apps-deployer (no ${MANAGED_IAM_TAG.Key}=${MANAGED_IAM_TAG.Value} tag): ` +
      'the deployer does not change IAM objects it did not create',
    `set ${setting} to a name of its own, or take this one over with \`apps-deployer adopt\`, or set ` +
      `${ENV.createIam}=false to use it as it is (the deployer then writes no IAM object)`,
  );
}
