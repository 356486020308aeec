/**
 * Errors raised by the AWS ports themselves (not by the services): waiters that time out or see a
 * failed state. SDK service exceptions pass through unchanged; domain modules turn them into their
 * own errors where they know what the caller should do.
 */
import { DeployerError, ExitCode } from '../errors';

/** A waiter (FunctionActiveV2 / FunctionUpdatedV2) reached its deadline. */
export class WaiterTimeoutError extends DeployerError {
  constructor(waiter: string, resource: string, maxWaitSeconds: number, cause?: unknown) {
    super(`${waiter} for ${resource} did not succeed within ${maxWaitSeconds}s`, {
      code: 'AWS_WAIT_TIMEOUT',
      resource,
      cause,
      hint: 'AWS may be slow or the resource stuck; check it in the console and run again (the run resumes)',
    });
  }
}

/** A waiter saw a terminal failure (e.g. a function whose State is Failed). */
export class WaiterFailedError extends DeployerError {
  constructor(waiter: string, resource: string, detail: string, cause?: unknown) {
    super(`${waiter} for ${resource} failed: ${detail}`, {
      code: 'AWS_WAIT_FAILED',
      resource,
      cause,
      hint: "look at the function's StateReason / LastUpdateStatusReason in the Lambda console, fix, run again",
    });
  }
}

/** True for an SDK error with the given name (class name or service error code). */
export function isAwsError(err: unknown, ...names: string[]): err is Error & { name: string } {
  if (!(err instanceof Error)) return false;
  const code = (err as { Code?: unknown }).Code;
  return names.includes(err.name) || (typeof code === 'string' && names.includes(code));
}

/** HTTP status of an SDK error, when it has one. */
export function httpStatusOf(err: unknown): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

/** S3 (or Lambda/IAM) "not found": 404, NoSuchKey, NotFound, ResourceNotFoundException, NoSuchEntity. */
export function isNotFound(err: unknown): boolean {
  return (
    httpStatusOf(err) === 404 ||
    isAwsError(
      err,
      'NoSuchKey',
      'NotFound',
      'ResourceNotFoundException',
      'NoSuchEntity',
      'NoSuchEntityException',
    )
  );
}

/** 412: an If-Match / If-None-Match condition did not hold. */
export function isPreconditionFailed(err: unknown): boolean {
  return httpStatusOf(err) === 412 || isAwsError(err, 'PreconditionFailed');
}

/** 409 ConditionalRequestConflict: a concurrent conditional write to the same S3 key. */
export function isConditionalConflict(err: unknown): boolean {
  return (
    isAwsError(err, 'ConditionalRequestConflict') ||
    (httpStatusOf(err) === 409 && !isAwsError(err, 'ResourceConflictException'))
  );
}

/** The names and codes under which the services say "throttled" (besides HTTP 429). */
export const THROTTLING_NAMES: readonly string[] = [
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'ThrottledException',
];

/** Throttling, whatever the service calls it. */
export function isThrottling(err: unknown): boolean {
  return httpStatusOf(err) === 429 || isAwsError(err, ...THROTTLING_NAMES);
}

/** What the first AWS calls reveal about the configuration (a missing bucket, no credentials, access
 * denied, an account quota): nothing was marked; exit 2, the message names what to fix. */
export class AwsConfigurationError extends DeployerError {
  readonly awsName: string;
  constructor(
    message: string,
    options: { resource?: string; bundle?: string; fix: string; awsName: string; cause?: unknown },
  ) {
    super(message, {
      code: 'AWS_CONFIGURATION',
      resource: options.resource,
      bundle: options.bundle,
      cause: options.cause,
      hint: options.fix,
      exitCode: ExitCode.Usage,
    });
    this.awsName = options.awsName;
  }
}

/** AWS could not be reached or kept failing (network, 5xx, throttling after the SDK's retries)
 * before any bundle work: exit 4, which the Job may retry. */
export class AwsUnavailableError extends DeployerError {
  readonly awsName: string;
  constructor(message: string, options: { resource?: string; awsName: string; cause?: unknown }) {
    super(message, {
      code: 'AWS_UNAVAILABLE',
      resource: options.resource,
      cause: options.cause,
      hint: 'AWS (or AWS_ENDPOINT_URL) did not answer or kept failing; the Job retries exit 4, or run again later',
      exitCode: ExitCode.Unavailable,
    });
    this.awsName = options.awsName;
  }
}
