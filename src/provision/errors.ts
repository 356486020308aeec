/**
 * Errors of the provision domain. Every message names the bundle, the resource and what to do.
 * A ConflictError is a judgement (versions are immutable; a name belongs to another app) and is not
 * retried; a DeadlineError and a ProvisionStepError are transient and the next run retries them.
 */
import { DeployerError } from '../errors';

/** Versions are immutable, or a resource name belongs to someone else. Exit 1, nothing overwritten. */
export class ConflictError extends DeployerError {
  constructor(message: string, options: { bundle: string; resource: string; hint: string; cause?: unknown }) {
    super(message, { code: 'CONFLICT', ...options });
  }
}

/** A retried operation or a wait did not succeed before its deadline. */
export class DeadlineError extends DeployerError {
  readonly step: string;
  constructor(options: {
    step: string;
    resource: string;
    bundle?: string;
    deadlineMs: number;
    attempts: number;
    reason: string;
    cause?: unknown;
  }) {
    super(
      `${options.step} of ${options.resource}${options.bundle ? ` (bundle ${options.bundle})` : ''} did not ` +
        `succeed within ${Math.round(options.deadlineMs / 1000)}s after ${options.attempts} attempts: ${options.reason}`,
      {
        code: 'DEADLINE',
        bundle: options.bundle,
        resource: options.resource,
        cause: options.cause,
        hint: 'AWS kept refusing; run again later (the run resumes where it stopped), or check the resource',
      },
    );
    this.step = options.step;
  }
}

/** The execute role or the invoke policy cannot be used or created as configured. */
export class IamError extends DeployerError {
  constructor(
    message: string,
    options: { resource: string; hint: string; cause?: unknown; bundle?: string },
  ) {
    super(message, { code: 'IAM', ...options });
  }
}

/** An AWS call of a provisioning step failed with an error that is not ours to judge (access denied,
 * invalid parameter, 5xx after the SDK's retries). Carries the step and the resource. */
export class ProvisionStepError extends DeployerError {
  readonly step: string;
  constructor(options: { step: string; resource: string; bundle: string; cause: unknown }) {
    const awsName = options.cause instanceof Error ? options.cause.name : 'Error';
    const awsMessage = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      `bundle ${options.bundle}: ${options.step} of ${options.resource} failed: ${awsName}: ${awsMessage}`,
      {
        code: 'PROVISION_FAILED',
        bundle: options.bundle,
        resource: options.resource,
        cause: options.cause,
        hint: "check the deployer's IAM permissions and the resource; a run started again resumes where this one stopped",
      },
    );
    this.step = options.step;
  }
}

/** Another writer changed a key under us (a lost race, not a verdict on the bundle): transient, so
 * reconcile records nothing and the next run judges the bundle again. */
export class ConcurrentWriteError extends DeployerError {
  constructor(message: string, options: { bundle: string; resource: string; hint: string }) {
    super(message, { code: 'CONCURRENT_WRITE', ...options });
  }
}
