/**
 * One writer (DESIGN.md "One writer"): the lock object deployer/lock in the apps bucket.
 *
 *  - taken with PutObject If-None-Match: *; on 412 the lock is read: expired by S3's clock (its
 *    LastModified + its TTL, against S3's Date) → taken over with If-Match: <its ETag>; else
 *    LockHeldError (exit 3) naming the holder;
 *  - renewed every TTL/3 with If-Match: <our ETag>; a renewal that fails transiently is retried with
 *    backoff until the loss deadline (3/4 of the TTL after the last confirmed write, a quarter of the
 *    TTL before any other run may judge it expired); a renewal refused (another holder) or not done
 *    by that deadline marks the lock lost, and assertCanWrite() then throws LockLostError before
 *    every write. With the shortest TTL (60 s): renewals every 20 s, loss at 45 s, expiry at 60 s;
 *  - released with DeleteObject If-Match: <our ETag>, retried within LOCK_RELEASE_DEADLINE_MS;
 *  - when the conditional create fails for good (its answer lost, the retries exhausted), the lock is
 *    read back and removed when it holds our run id: a write that landed unseen leaves no lock behind.
 * A conditional write retried by the SDK after a 5xx or a reset can answer 412 for our own success:
 * on every 412 the lock is read back and its run id compared before concluding.
 * The lock uses an S3 client of its own (AwsPorts.lockS3: standard retries, a request timeout), so the
 * bulk client's adaptive rate limiter never delays a renewal under throttling.
 */
import { hostname } from 'node:os';
import { deleteIfMatch } from '../aws/conditional-delete';
import type { LockS3Port, S3Port } from '../aws/ports';
import type { Clock, ServerClock } from '../aws/server-clock';
import type { Logger } from '../log';
import {
  AppsBucketMissingError,
  LockChangedError,
  LockHeldError,
  LockLostError,
  S3AccessError,
  s3AccessError,
  type LockHolder,
} from './errors';
import { quotedEtag } from './markers';
import {
  httpStatusOf,
  isAwsError,
  isConditionalConflict,
  isNotFound,
  isPreconditionFailed,
  isThrottling,
} from '../aws/errors';
import { STATE_KEYS } from './types';
import { DeployerError, errorMessage } from '../errors';
import { isRetryableFailure } from '../aws/failure-class';
import { readBodyText } from '../aws/body';

/** Renew this many times per TTL. */
export const LOCK_RENEWALS_PER_TTL = 3;
/** The lock counts as lost locally when no renewal succeeded for this share of the TTL. */
export const LOCK_OVERDUE_FRACTION = 0.75;
/** Attempts to take the lock when it keeps changing under us (deleted, taken over). */
export const LOCK_ACQUIRE_ATTEMPTS = 3;
/** How long a release (and the clean-up after a failed create) keeps retrying transient failures. */
export const LOCK_RELEASE_DEADLINE_MS = 20_000;
/** Backoff between the lock's own retries (doubling, capped). */
export const LOCK_RETRY_BASE_MS = 500;
export const LOCK_RETRY_MAX_MS = 4_000;
/** How long taking the lock keeps trying again after transient failures (5xx, throttling, resets). */
export const LOCK_ACQUIRE_DEADLINE_MS = 20_000;
/** The shortest TTL DESIGN.md allows ("One writer"). */
export const LOCK_MIN_TTL_SECONDS = 60;
/** A lock body larger than this is not read (ours are a few hundred bytes). */
export const MAX_LOCK_BODY_BYTES = 64 * 1024;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A failure to take the lock that says nothing definite: AWS failed or did not answer (its AWS error
 * directly, or wrapped by a read of the lock). A held lock, a refusal, a configuration error are not. */
function isTransientAcquireFailure(err: unknown): boolean {
  const root = err instanceof S3AccessError ? err.cause : err;
  if (root instanceof DeployerError || isDefinitive(root)) return false;
  return isRetryableFailure(root);
}

/** The n-th backoff delay (n from 0). */
export function lockBackoffMs(n: number): number {
  return Math.min(LOCK_RETRY_MAX_MS, LOCK_RETRY_BASE_MS * 2 ** n);
}

/** A lock write answered "not what you expected": 412 or a conditional-request conflict. */
function isRefused(err: unknown): boolean {
  return isPreconditionFailed(err) || isConditionalConflict(err);
}

/** An answer that says the request was refused as such (4xx but throttling): retrying cannot help, and
 * a write refused so never landed. Anything else (5xx, throttling, a reset, a timeout) may have. */
function isDefinitive(err: unknown): boolean {
  const status = httpStatusOf(err);
  return status !== undefined && status >= 400 && status < 500 && !isThrottling(err);
}

export interface LockBody extends LockHolder {
  renewedAt?: string;
}

/** The lock as read from S3. */
export interface LockState {
  bucket: string;
  key: string;
  etag: string;
  /** undefined when the body is not a lock document */
  holder: LockBody | undefined;
  lastModified: Date | undefined;
  /** S3's time when it was read (undefined when no Date header was seen) */
  serverNow: Date | undefined;
  /** LastModified + TTL (the holder's TTL, or `fallbackTtlSeconds` for an unreadable body) */
  expiresAt: Date | undefined;
  expired: boolean;
}

function lockResource(bucket: string): string {
  return `s3://${bucket}/${STATE_KEYS.lock}`;
}

function parseLockBody(text: string): LockBody | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockBody> | null;
    if (
      v &&
      typeof v.runId === 'string' &&
      typeof v.host === 'string' &&
      typeof v.pid === 'number' &&
      typeof v.startedAt === 'string' &&
      typeof v.ttlSeconds === 'number' &&
      v.ttlSeconds > 0
    )
      return v as LockBody;
  } catch {
    // not a lock document: treated as a lock of unknown holder
  }
  return undefined;
}

/** Reads the lock; undefined when there is none. Expiry is judged by S3's clock when `clock` has one. */
export async function readLock(
  s3: LockS3Port,
  bucket: string,
  options: { clock?: Clock; fallbackTtlSeconds: number },
): Promise<LockState | undefined> {
  let res;
  try {
    res = await s3.getObject({ Bucket: bucket, Key: STATE_KEYS.lock });
  } catch (err) {
    // a 404 NoSuchBucket is no "no lock": the apps bucket is misnamed or gone (configuration, exit 2)
    if (isAwsError(err, 'NoSuchBucket')) throw new AppsBucketMissingError(bucket, err);
    if (isNotFound(err)) return undefined;
    throw s3AccessError('read the lock', lockResource(bucket), err);
  }
  // a lock body is a few hundred bytes: a larger one is not read (it is then a foreign lock)
  const text = (await readBodyText(res, MAX_LOCK_BODY_BYTES)) ?? '';
  const holder = parseLockBody(text);
  const serverNow = options.clock?.now();
  const lastModified = res.LastModified;
  const ttl = holder?.ttlSeconds ?? options.fallbackTtlSeconds;
  const expiresAt = lastModified ? new Date(lastModified.getTime() + ttl * 1000) : undefined;
  const expired =
    expiresAt !== undefined && serverNow !== undefined && serverNow.getTime() > expiresAt.getTime();
  return {
    bucket,
    key: STATE_KEYS.lock,
    etag: res.ETag ?? '',
    holder,
    lastModified,
    serverNow,
    expiresAt,
    expired,
  };
}

/** The one conditional delete of the lock (release, clean-up, unlock): only while its ETag is `etag`. */
export async function deleteLockIfMatch(
  s3: LockS3Port,
  bucket: string,
  etag: string,
  logger?: Logger,
): Promise<void> {
  await deleteIfMatch(s3, { Bucket: bucket, Key: STATE_KEYS.lock, IfMatch: quotedEtag(etag) }, logger);
}

/** Removes the lock if its ETag is still `etag` (apps-deployer unlock). */
export async function removeLock(s3: S3Port, bucket: string, etag: string, logger?: Logger): Promise<void> {
  try {
    await deleteLockIfMatch(s3, bucket, etag, logger);
  } catch (err) {
    if (isPreconditionFailed(err) || isConditionalConflict(err)) {
      const now = await s3
        .headObject({ Bucket: bucket, Key: STATE_KEYS.lock })
        .then((h) => h.ETag)
        .catch(() => undefined);
      throw new LockChangedError(lockResource(bucket), quotedEtag(etag), now);
    }
    if (isNotFound(err)) return;
    throw s3AccessError('remove the lock', lockResource(bucket), err);
  }
}

export interface LockOptions {
  /** the lock's own client (AwsPorts.lockS3), or the bulk one when there is none */
  s3: LockS3Port;
  bucket: string;
  runId: string;
  ttlSeconds: number;
  logger: Logger;
  /** S3's clock (AwsPorts.clock); without it expiry is judged by the local clock, with a warning */
  clock?: ServerClock;
  /** when the run started (ISO); defaults to now */
  startedAt?: string;
  host?: string;
  pid?: number;
  /** rounds of the lock client's attempts when taking the lock fails transiently (default 1): the run
   * gives the lock as many attempts as any other call (APPS_DEPLOYER_AWS_MAX_ATTEMPTS), in rounds */
  acquireRounds?: number;
  /** monotonic milliseconds (tests) */
  localNow?: () => number;
  /** waits between the lock's own retries (tests) */
  sleep?: (ms: number) => Promise<void>;
}

/** The reconcile lock held by this run. */
export class ReconcileLock {
  readonly resource: string;
  private readonly body: LockBody;
  private readonly localNow: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private etag: string | undefined;
  private lostReason: string | undefined;
  private lostCause: unknown;
  private lastConfirmedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private released = false;

  constructor(private readonly options: LockOptions) {
    this.resource = lockResource(options.bucket);
    this.localNow = options.localNow ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.body = {
      runId: options.runId,
      host: options.host ?? hostname(),
      pid: options.pid ?? process.pid,
      startedAt: options.startedAt ?? new Date().toISOString(),
      ttlSeconds: options.ttlSeconds,
    };
  }

  get held(): boolean {
    return this.etag !== undefined && this.lostReason === undefined && !this.released;
  }

  get lost(): boolean {
    return this.lostReason !== undefined;
  }

  /** ETag of the lock object as we last wrote it. */
  get currentEtag(): string | undefined {
    return this.etag;
  }

  /** Takes the lock (or a stale one over) and starts renewing it; LockHeldError when it is live. A
   * transient failure (AWS failed or did not answer, after the SDK's retries) is tried again with
   * backoff, up to `acquireRounds` rounds within LOCK_ACQUIRE_DEADLINE_MS: a write of ours that landed
   * unseen was removed, or the next round finds it holding our run id. */
  async acquire(): Promise<void> {
    const started = this.localNow();
    for (let n = 0; ; n++) {
      try {
        await this.tryAcquire();
        return;
      } catch (err) {
        const delayMs = lockBackoffMs(n);
        const lastRound = n + 1 >= (this.options.acquireRounds ?? 1);
        if (
          lastRound ||
          !isTransientAcquireFailure(err) ||
          this.localNow() - started + delayMs > LOCK_ACQUIRE_DEADLINE_MS
        )
          throw s3AccessError('take the reconcile lock', this.resource, err);
        this.options.logger.warn(
          { lock: this.resource, cause: errorMessage(err), retryInMs: delayMs },
          'taking the lock failed transiently: trying again',
        );
        await this.sleep(delayMs);
      }
    }
  }

  private async tryAcquire(): Promise<void> {
    const { s3, logger } = this.options;
    let last: LockState | undefined;
    for (let attempt = 1; attempt <= LOCK_ACQUIRE_ATTEMPTS; attempt++) {
      const sentAt = this.localNow();
      try {
        const res = await s3.putObject(this.putInput({ IfNoneMatch: '*' }));
        this.confirmed(res.ETag, sentAt);
        logger.debug({ lock: this.resource, etag: this.etag }, 'lock taken');
        this.startRenewing();
        return;
      } catch (err) {
        await this.throwUnlessRefused(err);
      }
      last = await this.read();
      if (!last) continue; // released meanwhile: try again
      if (last.holder?.runId === this.body.runId) {
        // our own create, retried by the SDK after a lost response
        this.confirmed(last.etag, sentAt);
        this.startRenewing();
        return;
      }
      if (!last.expired) throw this.heldError(last);
      const takeoverAt = this.localNow();
      try {
        const res = await s3.putObject(this.putInput({ IfMatch: last.etag }));
        this.confirmed(res.ETag, takeoverAt);
        logger.warn(
          { lock: this.resource, previous: last.holder, expiredAt: last.expiresAt?.toISOString() },
          'took over an expired lock',
        );
        this.startRenewing();
        return;
      } catch (err) {
        await this.throwUnlessRefused(err);
      }
      const after = await this.read();
      if (after?.holder?.runId === this.body.runId) {
        this.confirmed(after.etag, takeoverAt);
        this.startRenewing();
        return;
      }
      last = after ?? last;
      // someone else took it over first: the next attempt sees their live lock
    }
    throw this.heldError(last);
  }

  /** Throws LockLostError once the lock is lost or its renewal is overdue. Call before every write. */
  assertCanWrite(): void {
    if (this.released) throw new LockLostError(this.resource, 'the lock was released');
    if (this.etag === undefined) throw new LockLostError(this.resource, 'the lock was never taken');
    if (!this.lostReason) {
      const overdueMs = this.options.ttlSeconds * 1000 * LOCK_OVERDUE_FRACTION;
      if (this.localNow() - this.lastConfirmedAt > overdueMs) {
        this.markLost(`no renewal succeeded for ${Math.round(overdueMs / 1000)}s`);
      }
    }
    if (this.lostReason) throw new LockLostError(this.resource, this.lostReason, this.lostCause);
  }

  /** Renews now (the timer calls it every TTL/3). Never throws: a failure marks the lock lost. */
  renew(): Promise<void> {
    if (this.renewing) return this.renewing;
    if (this.released || this.lostReason || this.etag === undefined) return Promise.resolve();
    this.renewing = this.renewOnce().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /** Stops renewing and deletes the lock if it is still ours, retrying transient failures within
   * LOCK_RELEASE_DEADLINE_MS. Never throws (logs instead). */
  async release(): Promise<void> {
    if (this.released) return;
    this.stopRenewing();
    if (this.renewing) await this.renewing;
    this.released = true;
    const etag = this.etag;
    if (etag === undefined) return;
    const outcome = await this.deleteOurs(etag, this.localNow() + LOCK_RELEASE_DEADLINE_MS);
    const { logger } = this.options;
    if (outcome.done) logger.debug({ lock: this.resource }, 'lock released');
    else if (outcome.notOurs) logger.warn({ lock: this.resource }, 'lock not released: it is no longer ours');
    else
      logger.warn(
        { lock: this.resource, err: { message: errorMessage(outcome.error) } },
        'lock not released; it expires after its TTL, or remove it with `apps-deployer unlock`',
      );
  }

  /**
   * A conditional create (or takeover) failed: when S3 refused the condition, returns (the caller reads
   * the lock again); any other failure is final and rethrown, after removing our write when it may have
   * landed (not a definitive refusal).
   */
  private async throwUnlessRefused(err: unknown): Promise<void> {
    if (isRefused(err)) return;
    if (!isDefinitive(err)) await this.removeIfOurs(err);
    throw err;
  }

  /**
   * After a conditional create (or takeover) that failed for good: our write may have landed with its
   * answer lost. Reads the lock back and removes it when it holds our run id, so that the next runs do
   * not find a lock of a run that never ran. Never throws.
   */
  private async removeIfOurs(cause: unknown): Promise<void> {
    const { logger } = this.options;
    const deadline = this.localNow() + LOCK_RELEASE_DEADLINE_MS;
    for (let n = 0; ; n++) {
      let state: LockState | undefined;
      try {
        state = await this.read();
      } catch (err) {
        if (isDefinitive(err) || this.localNow() + lockBackoffMs(n) >= deadline) {
          logger.warn(
            { lock: this.resource, err: { message: errorMessage(err) } },
            'taking the lock failed and it could not be read back: a lock of this run may remain until its TTL',
          );
          return;
        }
        await this.sleep(lockBackoffMs(n));
        continue;
      }
      if (state?.holder?.runId !== this.body.runId) return; // none, or another run's
      const outcome = await this.deleteOurs(state.etag, deadline);
      logger.warn(
        { lock: this.resource, removed: outcome.done, cause: errorMessage(cause) },
        outcome.done
          ? 'taking the lock failed after our write had landed: removed it'
          : 'taking the lock failed after our write had landed and it could not be removed',
      );
      return;
    }
  }

  /**
   * Deletes the lock while its ETag is `etag`, retrying transient failures until `deadline` (local ms).
   * On 412 the lock is read back: still ours under another ETag (a renewal whose answer was lost) →
   * deleted with that one; another run's → notOurs.
   */
  private async deleteOurs(
    etag: string,
    deadline: number,
  ): Promise<{ done: boolean; notOurs?: boolean; error?: unknown }> {
    const { s3, bucket } = this.options;
    let current = etag;
    let lastError: unknown;
    for (let n = 0; ; n++) {
      try {
        await deleteLockIfMatch(s3, bucket, current, this.options.logger);
        return { done: true };
      } catch (err) {
        if (isNotFound(err)) return { done: true }; // gone (our retried delete, or a removal)
        lastError = err;
        if (isRefused(err)) {
          const read = await this.read().then(
            (state) => ({ state }),
            (readError: unknown) => ({ readError }),
          );
          if ('state' in read) {
            if (read.state === undefined) return { done: true };
            if (read.state.holder?.runId !== this.body.runId) return { done: false, notOurs: true };
            if (read.state.etag === current) return { done: false, error: err };
            current = read.state.etag;
            continue;
          }
          lastError = read.readError;
        } else if (isDefinitive(err)) return { done: false, error: err };
      }
      if (this.localNow() + lockBackoffMs(n) >= deadline) return { done: false, error: lastError };
      await this.sleep(lockBackoffMs(n));
    }
  }

  /** The local time after which the lock counts as lost (3/4 of the TTL after the last confirmation). */
  private lossDeadline(): number {
    return this.lastConfirmedAt + this.options.ttlSeconds * 1000 * LOCK_OVERDUE_FRACTION;
  }

  private async renewOnce(): Promise<void> {
    const { s3, logger } = this.options;
    for (let n = 0; ; n++) {
      if (this.released || this.lostReason) return;
      const sentAt = this.localNow();
      const body: LockBody = { ...this.body, renewedAt: new Date().toISOString() };
      try {
        const res = await s3.putObject(this.putInput({ IfMatch: this.etag }, body));
        this.confirmed(res.ETag, sentAt);
        logger.debug({ lock: this.resource, etag: this.etag }, 'lock renewed');
        return;
      } catch (err) {
        if (isRefused(err)) return this.judgeRefusedRenewal(sentAt);
        // throttled, 5xx, reset: try again while the lock is still safely ours
        if (this.localNow() + lockBackoffMs(n) >= this.lossDeadline()) {
          this.markLost(`renewal failed: ${errorMessage(err)}`, err);
          return;
        }
        logger.warn(
          { lock: this.resource, err: { message: errorMessage(err) } },
          'lock renewal failed: retrying',
        );
        await this.sleep(lockBackoffMs(n));
      }
    }
  }

  /** A renewal answered 412: our own retried write, or another holder. */
  private async judgeRefusedRenewal(sentAt: number): Promise<void> {
    try {
      const now = await this.read();
      if (now?.holder?.runId === this.body.runId) {
        this.confirmed(now.etag, sentAt); // our retried write had succeeded
        return;
      }
      this.markLost(
        now
          ? `taken over by run ${now.holder?.runId ?? '(unknown)'} on ${now.holder?.host ?? '?'}`
          : 'the lock object was deleted',
      );
    } catch (err) {
      this.markLost(`renewal failed: ${errorMessage(err)}`, err);
    }
  }

  private read(): Promise<LockState | undefined> {
    return readLock(this.options.s3, this.options.bucket, {
      clock: this.clockOrWarn(),
      fallbackTtlSeconds: this.options.ttlSeconds,
    });
  }

  private warnedLocalClock = false;
  private clockOrWarn(): Clock {
    if (this.options.clock?.synced) return this.options.clock;
    if (!this.warnedLocalClock) {
      this.warnedLocalClock = true;
      this.options.logger.warn(
        { lock: this.resource },
        "S3's clock is unknown (no Date header seen); judging lock expiry by the local clock",
      );
    }
    return localClock;
  }

  private putInput(condition: { IfNoneMatch?: string; IfMatch?: string }, body: LockBody = this.body) {
    return {
      Bucket: this.options.bucket,
      Key: STATE_KEYS.lock,
      Body: JSON.stringify(body),
      ContentType: 'application/json',
      ...condition,
    };
  }

  private confirmed(etag: string | undefined, sentAt: number): void {
    this.etag = etag ?? this.etag;
    this.lastConfirmedAt = sentAt;
  }

  private markLost(reason: string, cause?: unknown): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    this.lostCause = cause;
    this.stopRenewing();
    this.options.logger.error({ lock: this.resource, reason }, 'lock lost: this run stops writing');
  }

  private startRenewing(): void {
    this.stopRenewing();
    const periodMs = (this.options.ttlSeconds * 1000) / LOCK_RENEWALS_PER_TTL;
    this.timer = setInterval(() => void this.renew(), periodMs);
    this.timer.unref();
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private heldError(state: LockState | undefined): LockHeldError {
    return new LockHeldError(this.resource, state?.holder, state?.etag, state?.expiresAt);
  }
}

/** The local wall clock, used only when S3's is unknown. */
const localClock: Clock = { now: () => new Date() };
