/**
 * Errors of the reconcile job. Each names the object (bundle, lock) it is about and what to do.
 */
import { DeployerError, ExitCode } from '../errors';

/** What a lock object holds (deployer/lock). */
export interface LockHolder {
  runId: string;
  host: string;
  pid: number;
  startedAt: string;
  ttlSeconds: number;
}

/** Another run holds the lock and it has not expired: nothing was done. Exit 3. */
export class LockHeldError extends DeployerError {
  readonly holder: LockHolder | undefined;
  readonly etag: string | undefined;
  readonly expiresAt: Date | undefined;

  constructor(
    resource: string,
    holder: LockHolder | undefined,
    etag: string | undefined,
    expiresAt: Date | undefined,
  ) {
    const who = holder
      ? `run ${holder.runId} on ${holder.host} (pid ${holder.pid}) since ${holder.startedAt}`
      : 'a run whose lock body cannot be read';
    const until = expiresAt ? `; it expires at ${expiresAt.toISOString()} by S3's clock unless renewed` : '';
    super(`another reconcile holds the lock ${resource}: ${who}${until}`, {
      code: 'LOCK_HELD',
      resource,
      exitCode: ExitCode.Locked,
      hint: 'wait for that run to finish; if it is gone (killed, node lost), run `apps-deployer unlock` and remove the lock with the ETag it shows',
    });
    this.holder = holder;
    this.etag = etag;
    this.expiresAt = expiresAt;
  }
}

/** The lock could not be renewed (taken over, deleted, or S3 unreachable): every write stops. */
export class LockLostError extends DeployerError {
  constructor(resource: string, reason: string, cause?: unknown) {
    super(`this run lost the reconcile lock ${resource} (${reason}); it stopped writing`, {
      code: 'LOCK_LOST',
      resource,
      cause,
      hint: 'the bundles not finished are retried by the next run; check that no other deployer runs with a clock or TTL problem',
    });
  }
}

/** Removing the lock failed because it changed since it was shown. */
export class LockChangedError extends DeployerError {
  constructor(resource: string, expected: string, actual: string | undefined) {
    super(
      `the lock ${resource} is not the one shown (expected ETag ${expected}, found ${actual ?? 'another lock'})`,
      {
        code: 'LOCK_CHANGED',
        resource,
        hint: 'run `apps-deployer unlock` again to see the current lock before removing it',
      },
    );
  }
}

/** The apps bucket (where the lock, manifests and run records live) does not exist. Exit 2. */
export class AppsBucketMissingError extends DeployerError {
  constructor(bucket: string, cause: unknown) {
    super(`the apps bucket ${bucket} does not exist`, {
      code: 'APPS_BUCKET_MISSING',
      resource: `s3://${bucket}`,
      cause,
      hint: 'set MM_APPS_S3_BUCKET to the apps bucket (and AWS_REGION / AWS_ENDPOINT_URL to where it is)',
      exitCode: ExitCode.Usage,
    });
  }
}

/** A release bundle could not be downloaded. `changed` when it was re-uploaded since it was listed. */
export class DownloadError extends DeployerError {
  readonly changed: boolean;

  constructor(
    bundle: string,
    resource: string,
    reason: string,
    options: { changed: boolean; cause?: unknown },
  ) {
    super(`cannot download release bundle ${bundle} (${resource}): ${reason}`, {
      code: options.changed ? 'RELEASE_CHANGED' : 'DOWNLOAD_FAILED',
      bundle,
      resource,
      cause: options.cause,
      hint: options.changed
        ? 'it was re-uploaded during this run; the next run judges the new object'
        : 'the next run retries it; check the release bucket permissions and network',
    });
    this.changed = options.changed;
  }
}

/** The run was asked to stop (SIGTERM / SIGINT) before this bundle finished. Exit 143. */
export class RunAbortedError extends DeployerError {
  constructor(bundle?: string) {
    super(`the run was stopped before ${bundle ?? 'this step'} finished`, {
      code: 'ABORTED',
      bundle,
      hint: 'the next run completes it',
      exitCode: ExitCode.Terminated,
    });
  }
}

/** An S3 request of the run itself (listing, lock) failed: wrong bucket, region, credentials or policy. */
export class S3AccessError extends DeployerError {
  constructor(action: string, resource: string, cause: unknown) {
    const name = cause instanceof Error ? cause.name : 'Error';
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`cannot ${action} ${resource}: ${name}: ${detail}`, {
      code: 'S3_ACCESS',
      resource,
      cause,
      hint: "check the bucket names (MM_APPS_S3_BUCKET, MM_APPS_RELEASE_BUCKET), AWS_REGION, AWS_ENDPOINT_URL, the credentials and the deployer's IAM policy",
    });
  }
}

/** Wraps an unexpected S3 failure of the run itself; DeployerErrors pass through. */
export function s3AccessError(action: string, resource: string, err: unknown): DeployerError {
  return err instanceof DeployerError ? err : new S3AccessError(action, resource, err);
}
