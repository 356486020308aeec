/**
 * `prune`: plans the retirement of old versions and the retention of what the deployer leaves behind
 * (run records, staged code); with `apply`, does it under the reconcile lock (one writer).
 *
 * The dry run lists manifests/, deployer/seen/, deployer/runs/, deployer/code/ and the account's
 * functions (ListFunctions): reads only, no lock. --apply takes the lock (LockHeldError: exit 3), lists
 * again under it, retires each version in the safe order (retire.ts), then sweeps run records and
 * staged code (retention.ts). The library never prints: the CLI prints the report it returns.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { toRunError } from '../aws/failure-class';
import type { AwsPorts } from '../aws/ports';
import type { DeployerConfig } from '../config';
import { DeployerError, ExitCode, errorMessage, exitCodeFor } from '../errors';
import type { Logger } from '../log';
import { RunAbortedError } from '../reconcile/errors';
import { listAll } from '../reconcile/listing';
import { newRunLock } from '../reconcile/run-lock';
import { canonicalStem, parseMarkerKey, type ParsedMarker } from '../reconcile/markers';
import { requestsSince } from '../reconcile/report';
import { newRunId } from '../reconcile/run';
import { STATE_KEYS } from '../reconcile/types';
import { applyRetention, planRetention } from './retention';
import { retireVersion, type RetireContext } from './retire';
import { selectVersions } from './select';
import { sweepStaleTempDirs, tempDirPrefix } from '../temp-dirs';
import {
  PRUNE_DEFAULTS,
  PRUNE_VERSION,
  type PruneReport,
  type RetireResult,
  type VersionDecision,
} from './types';

export * from './types';
export { formatPrune } from './format';

export interface PruneDeps {
  ports: AwsPorts;
  config: DeployerConfig;
  logger: Logger;
}

export interface PruneOptions {
  keep?: number;
  olderThanDays?: number;
  only?: string;
  /** retire and delete; without it a dry run (reads only, no lock) */
  apply?: boolean;
  /** aborting stops between writes (SIGTERM): exit 143, the next run completes the work */
  signal?: AbortSignal;
  runId?: string;
  /** parent of the temp directory release bundles are read in (default os.tmpdir()) */
  tmpRoot?: string;
  now?: () => Date;
  /** run records kept whatever their age (default PRUNE_DEFAULTS.keepRunRecords) */
  keepRunRecords?: number;
  /** tests: DeleteFunction's conflict retries */
  conflictDelayMs?: number;
}

interface Planned {
  decisions: VersionDecision[];
  retiredMarkers: Map<string, ParsedMarker>;
}

async function listAndSelect(
  deps: PruneDeps,
  options: Required<Pick<PruneOptions, 'keep' | 'olderThanDays'>> & PruneOptions,
  now: Date,
): Promise<Planned> {
  const { ports, config } = deps;
  let manifests, markers;
  try {
    [manifests, markers] = await Promise.all([
      listAll(ports.s3, config.appsBucket, STATE_KEYS.manifestsPrefix),
      listAll(ports.s3, config.appsBucket, STATE_KEYS.seenPrefix),
    ]);
  } catch (err) {
    throw toRunError(err, `list s3://${config.appsBucket}`);
  }
  const markerKeys = markers.map((o) => o.key);
  const retiredMarkers = new Map<string, ParsedMarker>();
  for (const key of markerKeys) {
    const m = parseMarkerKey(key);
    if (m?.outcome === 'retired' && !retiredMarkers.has(m.stem)) retiredMarkers.set(m.stem, m);
  }
  const decisions = selectVersions({
    manifests,
    markerKeys,
    keep: options.keep,
    olderThanDays: options.olderThanDays,
    pinned: config.prunePinned ?? [],
    only: options.only,
    now,
  });
  return { decisions, retiredMarkers };
}

export async function prune(deps: PruneDeps, opts: PruneOptions = {}): Promise<PruneReport> {
  const { ports, config } = deps;
  const now = opts.now ?? (() => new Date());
  const options = {
    ...opts,
    keep: opts.keep ?? PRUNE_DEFAULTS.keep,
    olderThanDays: opts.olderThanDays ?? PRUNE_DEFAULTS.olderThanDays,
  };
  const runId = opts.runId ?? newRunId(now());
  const logger = deps.logger.child({ runId, command: 'prune' });
  const before = ports.requests.snapshot();
  const retentionInput = () => ({
    ports,
    appsBucket: config.appsBucket,
    now: now(),
    retentionDays: config.runRetentionDays ?? 90,
    keepNewest: opts.keepRunRecords ?? PRUNE_DEFAULTS.keepRunRecords,
    youngSeconds: config.lockTtlSeconds,
  });
  const report = (
    fields: Pick<PruneReport, 'versions' | 'retention'> & Partial<PruneReport>,
  ): PruneReport => ({
    pruneVersion: PRUNE_VERSION,
    runId,
    dryRun: opts.apply !== true,
    appsBucket: config.appsBucket,
    options: {
      keep: options.keep,
      olderThanDays: options.olderThanDays,
      ...(opts.only !== undefined ? { only: opts.only } : {}),
      pinned: config.prunePinned ?? [],
    },
    exitCode: ExitCode.Ok,
    requests: requestsSince(before, ports.requests.snapshot()),
    ...fields,
  });

  if (opts.apply !== true) {
    const { decisions } = await listAndSelect(deps, options, now());
    let retention;
    try {
      retention = await planRetention(retentionInput());
    } catch (err) {
      throw toRunError(err, `plan the retention in s3://${config.appsBucket}`);
    }
    return report({ versions: decisions, retention });
  }

  const lock = newRunLock(ports, config, { runId, logger, startedAt: now().toISOString() });
  try {
    await lock.acquire();
  } catch (err) {
    throw toRunError(err, `take the lock in s3://${config.appsBucket}`);
  }
  logger.info({ lock: lock.resource }, 'lock taken');
  // temp directories of runs killed hard (no `finally` ran): src/temp-dirs.ts removes only those
  await sweepStaleTempDirs({ maxAgeMs: config.lockTtlSeconds * 1000, logger });
  const assertCanWrite = (): void => {
    if (opts.signal?.aborted) throw new RunAbortedError('prune');
    lock.assertCanWrite();
  };
  let tmpDir: string | undefined;
  let versions: VersionDecision[] = [];
  const retired: RetireResult[] = [];
  let retention: PruneReport['retention'] = {
    runRecords: {
      expire: [],
      kept: 0,
      retentionDays: config.runRetentionDays ?? 90,
      keepNewest: PRUNE_DEFAULTS.keepRunRecords,
    },
    stagedCode: { remove: [], inUse: 0, young: 0, unrecognized: 0 },
  };
  let removed: PruneReport['removed'];
  let runError: unknown;
  try {
    const planned = await listAndSelect(deps, options, now());
    versions = planned.decisions;
    tmpDir = await mkdtemp(path.join(opts.tmpRoot ?? os.tmpdir(), tempDirPrefix('run')));
    const ctx: RetireContext = {
      ports,
      appsBucket: config.appsBucket,
      releaseBucket: config.releaseBucket,
      runId,
      tmpDir,
      logger,
      assertCanWrite,
      now,
      ...(opts.conflictDelayMs !== undefined ? { conflictDelayMs: opts.conflictDelayMs } : {}),
    };
    for (const d of versions) {
      if (d.action === 'keep') continue;
      assertCanWrite();
      const marker = planned.retiredMarkers.get(canonicalStem(d.appId, d.version));
      try {
        retired.push(await retireVersion(ctx, d, d.action === 'resume' ? marker : undefined));
      } catch (err) {
        if (lock.lost || opts.signal?.aborted) throw err;
        logger.error(
          { appId: d.appId, version: d.version, err: { message: errorMessage(err) } },
          'retirement failed',
        );
        retired.push({
          appId: d.appId,
          version: d.version,
          status: 'failed',
          manifestDeleted: false,
          functionsDeleted: [],
          functionsLeft: [],
          assetsDeleted: 0,
          error: { code: err instanceof DeployerError ? err.code : 'ERROR', message: errorMessage(err) },
        });
      }
    }
    // after the retirements: their staged code is no function's any more
    retention = await planRetention(retentionInput());
    removed = await applyRetention(ports, config.appsBucket, retention, assertCanWrite);
  } catch (err) {
    runError = lock.lost ? (safe(() => lock.assertCanWrite()) ?? err) : err;
    logger.error({ err: { message: errorMessage(runError) } }, 'prune stopped');
  } finally {
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    await lock.release();
  }
  const failed = retired.some((r) => r.status === 'failed');
  return report({
    versions,
    retention,
    retired,
    ...(removed ? { removed } : {}),
    exitCode: runError !== undefined ? exitCodeFor(runError) : failed ? ExitCode.Failed : ExitCode.Ok,
    ...(runError !== undefined
      ? {
          error: {
            code: runError instanceof DeployerError ? runError.code : 'ERROR',
            message: errorMessage(runError),
          },
        }
      : {}),
  });
}

function safe(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
