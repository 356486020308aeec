/**
 * `apps-deployer unlock [--etag E | --yes]`: shows the reconcile lock (holder, since, ETag, expiry by
 * S3's clock); with --etag E removes it only if it is still that lock (DeleteObject If-Match), with
 * --yes removes the lock just shown. No lock in the apps bucket: says so, exit 0; no apps bucket:
 * exit 2. An --etag that is not the lock's is refused (exit 1) before any warning; --etag with --yes
 * is a usage error (exit 2).
 */
import { loadConfig } from '../../config';
import { ExitCode, UsageError } from '../../errors';
import { LockChangedError } from '../../reconcile/errors';
import { readLock, removeLock, type LockState } from '../../reconcile/lock';
import { bareEtag } from '../../reconcile/markers';
import { wireCommand } from '../wiring';

export interface UnlockCliOptions {
  etag?: string;
  yes?: boolean;
}

function describe(state: LockState): string[] {
  const h = state.holder;
  const lines = [`lock s3://${state.bucket}/${state.key}`];
  if (h) {
    lines.push(`  held by   run ${h.runId} on ${h.host} (pid ${h.pid})`);
    lines.push(`  since     ${h.startedAt}`);
  } else {
    lines.push('  held by   (unreadable lock body)');
  }
  if (state.lastModified) lines.push(`  renewed   ${state.lastModified.toISOString()}`);
  if (state.expiresAt) {
    const status = state.expired ? 'expired' : 'live';
    lines.push(`  expires   ${state.expiresAt.toISOString()} (${status}, by S3's clock)`);
  }
  lines.push(`  ETag      ${bareEtag(state.etag)}`);
  return lines;
}

export async function run(opts: UnlockCliOptions): Promise<number> {
  if (opts.etag !== undefined && opts.yes) {
    throw new UsageError(
      'unlock takes --etag or --yes, not both',
      '--etag removes the lock only if it is still the one shown; --yes removes whatever lock is there now',
    );
  }
  const config = loadConfig();
  const { logger, ports } = wireCommand(config);
  const state = await readLock(ports.s3, config.appsBucket, {
    clock: ports.clock,
    fallbackTtlSeconds: config.lockTtlSeconds,
  });
  if (!state) {
    process.stdout.write(`no lock: s3://${config.appsBucket}/deployer/lock does not exist\n`);
    return ExitCode.Ok;
  }
  process.stdout.write(`${describe(state).join('\n')}\n`);
  const etag = opts.etag ?? (opts.yes ? state.etag : undefined);
  if (etag === undefined) {
    process.stdout.write(
      `\nTo remove it (only when that run is gone): apps-deployer unlock --etag ${bareEtag(state.etag)}\n`,
    );
    return ExitCode.Ok;
  }
  if (bareEtag(etag) !== bareEtag(state.etag)) {
    // not the lock there now: refuse before warning about a lock that will not be touched
    throw new LockChangedError(`s3://${state.bucket}/${state.key}`, bareEtag(etag), bareEtag(state.etag));
  }
  if (!state.expired) {
    process.stderr.write(
      'apps-deployer: warning: this lock is live; if its run is still working, another run may now start beside it\n',
    );
  }
  await removeLock(ports.s3, config.appsBucket, etag, logger); // LockChangedError (exit 1) when it is not that lock
  process.stdout.write(`lock removed (ETag ${bareEtag(etag)})\n`);
  return ExitCode.Ok;
}
