/**
 * The one way a command builds the reconcile lock (reconcile, provision, verify --repair, prune --apply,
 * adopt --apply): on the lock's own S3 client when the ports have one (standard retries, never the bulk
 * client's adaptive rate limiter), S3's clock, and as many attempts to take it as any other call gets
 * (APPS_DEPLOYER_AWS_MAX_ATTEMPTS, in rounds of the lock client's own attempts).
 */
import { LOCK_MAX_ATTEMPTS } from '../aws/clients';
import type { AwsPorts } from '../aws/ports';
import type { DeployerConfig } from '../config';
import type { Logger } from '../log';
import { ReconcileLock } from './lock';

export function newRunLock(
  ports: Pick<AwsPorts, 's3' | 'lockS3' | 'clock'>,
  config: Pick<DeployerConfig, 'appsBucket' | 'lockTtlSeconds'> & { aws: { maxAttempts: number } },
  run: { runId: string; logger: Logger; startedAt?: string },
): ReconcileLock {
  return new ReconcileLock({
    s3: ports.lockS3 ?? ports.s3,
    bucket: config.appsBucket,
    runId: run.runId,
    ttlSeconds: config.lockTtlSeconds,
    logger: run.logger,
    clock: ports.clock,
    ...(run.startedAt !== undefined ? { startedAt: run.startedAt } : {}),
    acquireRounds: Math.ceil(config.aws.maxAttempts / LOCK_MAX_ATTEMPTS),
  });
}
