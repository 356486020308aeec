/**
 * The lock for `verify --repair`: the reconcile lock (reconcile/lock.ts), waited for up to
 * `waitSeconds` while another run holds it (polling every LOCK_POLL_MS, capped by what is left);
 * still held then: the LockHeldError (exit 3, nothing done).
 */
import type { AwsPorts } from '../aws/ports';
import type { DeployerConfig } from '../config';
import type { Logger } from '../log';
import { LockHeldError, RunAbortedError } from '../reconcile/errors';
import { ReconcileLock } from '../reconcile/lock';
import { newRunLock } from '../reconcile/run-lock';

export const LOCK_POLL_MS = 2_000;

export interface WaitLockOptions {
  runId: string;
  waitSeconds: number;
  /** test hooks */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  pollMs?: number;
  /** SIGTERM while waiting: stop waiting (RunAbortedError, exit 143) */
  signal?: AbortSignal;
}

export async function acquireWaiting(
  ports: AwsPorts,
  config: DeployerConfig,
  logger: Logger,
  options: WaitLockOptions,
): Promise<ReconcileLock> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + options.waitSeconds * 1000;
  for (;;) {
    const lock = newRunLock(ports, config, { runId: options.runId, logger });
    try {
      await lock.acquire();
      return lock;
    } catch (err) {
      const left = deadline - now();
      if (!(err instanceof LockHeldError) || left <= 0) throw err;
      if (options.signal?.aborted) throw new RunAbortedError('the wait for the lock');
      logger.info({ holder: err.holder?.runId, waitLeftMs: left }, 'lock held: waiting');
      await sleep(Math.min(options.pollMs ?? LOCK_POLL_MS, left));
    }
  }
}
