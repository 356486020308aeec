/**
 * The one error hierarchy. Every error the deployer raises on purpose is a DeployerError carrying a
 * stable `code`, the `cause` it wraps, and a message naming the bundle, the resource and what to do.
 * Domain modules subclass it (bundle/errors.ts, provision/errors.ts, reconcile/errors.ts, ...).
 * The CLI maps errors to exit codes with `exitCodeFor` and never needs to know the subclasses.
 */

export const ExitCode = {
  /** converged, or nothing to do (known rejections included) */
  Ok: 0,
  /** a bundle failed, or was found rejected or conflicting in this run */
  Failed: 1,
  /** usage or configuration error */
  Usage: 2,
  /** another run holds the lock (nothing done) */
  Locked: 3,
  /** AWS unavailable before any bundle work (network, 5xx or throttling after the retries): retry */
  Unavailable: 4,
  /** stopped by SIGTERM between writes (128 + 15); the next run completes the work */
  Terminated: 143,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface DeployerErrorOptions {
  code: string;
  cause?: unknown;
  /** The bundle (file name or release key) the error is about, when there is one. */
  bundle?: string;
  /** The AWS resource or bundle entry the error is about (ARN, bucket/key, function name, entry path). */
  resource?: string;
  /** What the operator should do about it. */
  hint?: string;
  /** Exit code the CLI should use when this error ends a command. Defaults to 1. */
  exitCode?: ExitCode;
}

export class DeployerError extends Error {
  readonly code: string;
  readonly bundle?: string;
  readonly resource?: string;
  readonly hint?: string;
  readonly exitCode: ExitCode;

  constructor(message: string, options: DeployerErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.bundle = options.bundle;
    this.resource = options.resource;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.Failed;
  }

  /** One line for humans: message, then the fix. */
  describe(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Bad command line. Exit 2. */
export class UsageError extends DeployerError {
  constructor(message: string, hint?: string) {
    super(message, { code: 'USAGE', hint, exitCode: ExitCode.Usage });
  }
}

/** Missing or malformed configuration. Exit 2. */
export class ConfigError extends DeployerError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { code: 'CONFIG', hint, cause, exitCode: ExitCode.Usage });
  }
}

export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof DeployerError ? err.exitCode : ExitCode.Failed;
}

/** Message of any thrown value, without assuming it is an Error. */
export function errorMessage(err: unknown): string {
  if (err instanceof DeployerError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
