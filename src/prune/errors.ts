/**
 * Errors of `prune`. Each names the version and the resource it is about, and what to do.
 */
import { DeployerError } from '../errors';

/** A retirement that could not go on (a manifest changed under it, a record that cannot be read): the
 * version is left as it is (its retired marker, if written, keeps reconcile away), exit 1. */
export class RetireError extends DeployerError {
  constructor(
    appId: string,
    version: string,
    message: string,
    options: { resource: string; hint: string; cause?: unknown; code?: string },
  ) {
    super(`prune ${appId} ${version}: ${message}`, {
      code: options.code ?? 'RETIRE_FAILED',
      resource: options.resource,
      hint: options.hint,
      cause: options.cause,
    });
  }
}
