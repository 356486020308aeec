/**
 * One reconcile run: lock → list → plan → (dry run: stop) → per bundle, bounded concurrency:
 * download, validate, provision (IAM once, before the first) → report, run record, unlock.
 *
 * The library never prints: progress goes to the observers and to the injected logger; the caller
 * (the CLI) prints the plan or the report that `reconcile` returns.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AwsPorts } from '../aws/ports';
import { validateBundle } from '../bundle/validate';
import type { Bundle, ValidationResult } from '../bundle/types';
import type { DeployerConfig } from '../config';
import { DeployerError, errorMessage } from '../errors';
import type { Logger } from '../log';
import { Provisioner } from '../provision/provisioner';
import type { ProvisionEvent, ProvisionOptions, ProvisionResult } from '../provision/types';
import { VERSION } from '../version';
import { MAX_BUNDLE_BYTES } from '../bundle/limits';
import { toRunError } from '../aws/failure-class';
import { sweepStaleTempDirs, tempDirPrefix } from '../temp-dirs';
import type { AwsConfigurationError } from '../aws/errors';
import { applyItem, type ApplyContext } from './apply';
import { DiskBudget } from './disk-budget';
import { RunAbortedError } from './errors';
import { listState, type ListingBudget, type Listings } from './listing';
import { newRunLock } from './run-lock';
import { indexMarkers } from './markers';
import { ObserverDispatch } from './observe';
import { buildPlan, needsWork } from './plan';
import { runPool } from './pool';
import { limitUploads } from './upload-budget';
import { settleSettings, warnUnknownOverrides } from './settings';
import { effectiveSettings } from '../settings/effective';
import { settingsFingerprint, staleFingerprint } from '../settings/fingerprint';
import { newReport, requestsSince, writeRunRecord } from './report';
import type { BundleOutcome, BundleReport, Plan, PlanItem, RunObserver, RunReport } from './types';

/** What reconcile needs of the provisioner (src/provision). */
export interface BundleProvisioner {
  /** once per run: later calls share the first (provision/provisioner.ts) */
  ensureIam(options: { assertCanWrite?: () => void }): Promise<unknown>;
  provision(bundle: Bundle, options: ProvisionOptions): Promise<ProvisionResult>;
}

export interface ReconcileDeps {
  ports: AwsPorts;
  config: DeployerConfig;
  logger: Logger;
  /** defaults to the bundle module's validateBundle */
  validate?: (file: string) => Promise<ValidationResult>;
  /** defaults to the provision module's Provisioner */
  createProvisioner?: (args: {
    ports: AwsPorts;
    config: DeployerConfig;
    logger: Logger;
    onEvent: (event: ProvisionEvent) => void;
  }) => BundleProvisioner;
}

export interface ReconcileOptions {
  /** list and plan only: no lock, no write */
  dryRun?: boolean;
  /** redeploy versions whose release object changed (known conflicts included) */
  replace?: boolean;
  /** limit the run to one app id */
  only?: string;
  /** bundles judged at once (default config.concurrency) */
  concurrency?: number;
  observers?: readonly RunObserver[];
  /** aborting stops the run between writes (SIGTERM); the next run completes what was left */
  signal?: AbortSignal;
  runId?: string;
  /** parent of the run's temp directory (default os.tmpdir()) */
  tmpRoot?: string;
  /** listing page size (tests) */
  pageSize?: number;
  /** what the listings may hold (default: V8's heap limit, README "Memory: V8's heap"; tests lower it) */
  listingBudget?: ListingBudget;
  /** judge again the objects marked failed (AWS refused their content) */
  retryFailed?: boolean;
  /** the bundle size limit applied to the listing (default MAX_BUNDLE_BYTES; tests lower it) */
  maxBundleBytes?: number;
}

export interface ReconcileResult {
  plan?: Plan;
  report: RunReport;
  /** `--only APP_ID` named an app with no release object: nothing was done (no lock, no run record) */
  onlyMatchedNothing?: boolean;
}

/** A run id that sorts by time: 20250101T100500Z-1a2b3c */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

function defaultProvisioner(args: Parameters<NonNullable<ReconcileDeps['createProvisioner']>>[0]) {
  return new Provisioner(args);
}

export async function reconcile(
  deps: ReconcileDeps,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const { ports, config } = deps;
  const started = new Date();
  const startedMs = performance.now();
  const runId = options.runId ?? newRunId(started);
  const logger = deps.logger.child({ runId });
  const dispatch = new ObserverDispatch(options.observers ?? [], logger);
  const requestsBefore = ports.requests.snapshot();
  const location = {
    appsBucket: config.appsBucket,
    releaseBucket: config.releaseBucket,
    releasePrefix: config.releasePrefix,
    releaseLayout: config.releaseLayout,
  };
  const finish = async (
    bundles: BundleReport[],
    runError: unknown,
    dryRun: boolean,
    plan: Plan | undefined,
    /** a real run: write the run record while the lock is held, then release it */
    release?: { canWrite: () => boolean; release: () => Promise<void> },
  ): Promise<ReconcileResult> => {
    // One report, frozen here: the run record, the summary, --json and the observers all show the same
    // duration and request count. They cover the run up to its record; the record's own write and the
    // lock's release come after and are not counted (a record cannot count its own write).
    const frozen = newReport({
      kind: 'reconcile',
      runId,
      deployerVersion: VERSION,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Math.round(performance.now() - startedMs),
      dryRun,
      bundles,
      requests: requestsSince(requestsBefore, ports.requests.snapshot()),
      runError,
      runErrorCode: runError instanceof DeployerError ? runError.code : undefined,
    });
    let recordKey: string | undefined;
    if (release) {
      // the record is written while the lock is still held (one writer), then the lock is released
      if (release.canWrite()) {
        try {
          recordKey = await writeRunRecord(ports.s3, config.appsBucket, frozen);
        } catch (err) {
          logger.warn({ err: { message: errorMessage(err) } }, 'run record not written');
        }
      } else logger.warn('run record not written: the lock was lost');
      await release.release();
    }
    const report: RunReport = { ...frozen, ...(recordKey ? { recordKey } : {}) };
    dispatch.emit('runDone', report);
    await dispatch.drain();
    logger.info(
      {
        exitCode: report.exitCode,
        counts: report.counts,
        durationMs: report.durationMs,
        requests: report.requests,
      },
      'run done',
    );
    return { plan, report };
  };

  const maxBundleBytes = options.maxBundleBytes ?? MAX_BUNDLE_BYTES;
  const fingerprintOf = (appId: string): string => settingsFingerprint(effectiveSettings(config, appId));
  /** The three listings, judged: no request per bundle. A failure here is before any bundle work:
   * configuration → exit 2, transient → exit 4 (toRunError). */
  const listAndPlan = async (): Promise<{ listings: Listings; plan: Plan }> => {
    let listings: Listings;
    try {
      listings = await listState(ports.s3, location, options.pageSize, options.listingBudget);
    } catch (err) {
      throw toRunError(err, 'list the release and apps buckets');
    }
    const plan = buildPlan({
      runId,
      createdAt: started,
      location,
      listings,
      replace: options.replace,
      only: options.only,
      retryFailed: options.retryFailed,
      maxBundleBytes,
      settingsFingerprint: fingerprintOf,
    });
    warnUnknownOverrides(config.appOverrides, plan, logger);
    return { listings, plan };
  };

  if (options.dryRun) {
    const { plan } = await listAndPlan();
    dispatch.emit('planned', plan);
    const result = await finish([], undefined, true, plan);
    return options.only !== undefined && plan.items.length === 0
      ? { ...result, onlyMatchedNothing: true }
      : result;
  }
  if (options.only !== undefined) {
    // an app id that matches no release object (a typo, an app not released yet): say so, take no
    // lock and write no run record; the listing is repeated under the lock when it does match
    const { plan } = await listAndPlan();
    if (plan.items.length === 0) {
      logger.warn({ only: options.only }, '--only matches no release object: nothing done');
      return { ...(await finish([], undefined, false, plan)), onlyMatchedNothing: true };
    }
  }

  const lock = newRunLock(ports, config, { runId, logger, startedAt: started.toISOString() });
  try {
    await lock.acquire(); // LockHeldError (exit 3): nothing done, no record
  } catch (err) {
    throw toRunError(err, `take the lock in s3://${config.appsBucket}`);
  }
  logger.info({ lock: lock.resource }, 'lock taken');
  // temp directories of runs killed hard (no `finally` ran): src/temp-dirs.ts removes only those
  await sweepStaleTempDirs({ root: options.tmpRoot, maxAgeMs: config.lockTtlSeconds * 1000, logger });

  /** a configuration error met by a worker: no new bundle starts, the run exits 2 */
  let stopped: AwsConfigurationError | undefined;
  const assertCanWrite = (): void => {
    if (options.signal?.aborted) throw new RunAbortedError();
    lock.assertCanWrite();
  };

  let plan: Plan | undefined;
  const bundles: BundleReport[] = [];
  let runError: unknown;
  let tmpDir: string | undefined;
  try {
    const planned = await listAndPlan();
    plan = planned.plan;
    const { listings } = planned;
    logger.info({ counts: plan.counts }, 'planned');
    dispatch.emit('planned', plan);

    const work = plan.items.filter(needsWork);
    const results = new Map<PlanItem, BundleReport>();
    if (work.length > 0) {
      tmpDir = await mkdtemp(path.join(options.tmpRoot ?? os.tmpdir(), tempDirPrefix('run')));
      const staleSettings = staleFingerprint(
        listings.markers.map((o) => o.key),
        fingerprintOf,
      );
      const ctx = applyContext(deps, {
        runId,
        replace: options.replace ?? false,
        tmpDir,
        markers: indexMarkers(listings.markers.map((o) => o.key)),
        assertCanWrite,
        logger,
        disk: new DiskBudget(config.tmpBudgetBytes),
        maxBundleBytes,
        stopRun: (err) => {
          stopped ??= err;
        },
        // the plan's rule (settings/fingerprint.ts), for apply.ts's identical re-uploads
        settingsStale: (appId) => staleSettings(appId) !== undefined,
        onBytes: (item, bytes) =>
          dispatch.emit('bundleBytes', { item, step: 'download', bytes, total: item.size }),
        onUploadBytes: (item, p) =>
          dispatch.emit('bundleBytes', {
            item,
            step: p.step,
            bytes: p.bytes,
            total: p.total,
            entry: p.entry,
          }),
      });
      const concurrency = options.concurrency ?? config.concurrency;
      const { notStarted } = await runPool(
        work,
        concurrency,
        async (item, _index, slot) => {
          const t0 = performance.now();
          dispatch.emit('bundleStarted', item);
          const bundleLogger = logger.child({
            bundle: item.releaseKey,
            appId: item.appId,
            version: item.version,
          });
          const outcome = await applyItem(item, ctx, bundleLogger, slot);
          const report = bundleReport(item, outcome, Math.round(performance.now() - t0));
          results.set(item, report);
          dispatch.emit('bundleDone', report);
        },
        () => lock.lost || options.signal?.aborted === true || stopped !== undefined,
      );
      for (const i of notStarted) {
        const item = work[i] as PlanItem;
        const err = lock.lost
          ? safeError(() => lock.assertCanWrite())
          : (stopped ?? new RunAbortedError(item.releaseKey));
        const report = bundleReport(item, failed(err), 0);
        results.set(item, report);
        dispatch.emit('bundleDone', report);
      }
    }
    for (const item of plan.items) {
      bundles.push(results.get(item) ?? bundleReport(item, { status: 'skipped' }, 0));
    }
    if (!lock.lost)
      await settleSettings({
        ports,
        config,
        runId,
        listings,
        plan,
        work,
        results,
        fingerprintOf,
        assertCanWrite,
        logger,
      });
    if (lock.lost) runError = safeError(() => lock.assertCanWrite());
    else if (stopped) runError = stopped;
    else if (options.signal?.aborted) runError = new RunAbortedError('the run');
  } catch (err) {
    runError = err;
    logger.error({ err: { message: errorMessage(err) } }, 'run failed');
  } finally {
    if (tmpDir) await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
  return finish(bundles, runError, false, plan, {
    canWrite: () => lock.held,
    release: () => lock.release(),
  });
}

interface RunScope {
  runId: string;
  replace: boolean;
  tmpDir: string;
  markers: ApplyContext['markers'];
  assertCanWrite: () => void;
  logger: Logger;
  disk: DiskBudget;
  maxBundleBytes: number;
  stopRun: ApplyContext['stopRun'];
  settingsStale: ApplyContext['settingsStale'];
  onBytes: ApplyContext['onBytes'];
  onUploadBytes: ApplyContext['onUploadBytes'];
}

/** Wires the worker's context: one provisioner for the run, IAM ensured once, lazily, before the
 * first provision (a run that provisions nothing makes no IAM call). */
function applyContext(deps: ReconcileDeps, scope: RunScope): ApplyContext {
  const { config } = deps;
  // the workers share one budget of streamed uploads (upload-budget.ts): memory bounded by a constant
  const ports = limitUploads(deps.ports);
  const create = deps.createProvisioner ?? defaultProvisioner;
  // the provisioner logs each step itself, with the bundle's logger (bundle, app id, version)
  const provisioner = create({ ports, config, logger: scope.logger, onEvent: () => undefined });
  return {
    s3: ports.s3,
    appsBucket: config.appsBucket,
    releaseBucket: config.releaseBucket,
    releasePrefix: config.releasePrefix,
    releaseLayout: config.releaseLayout,
    runId: scope.runId,
    replace: scope.replace,
    tmpDir: scope.tmpDir,
    onBytes: scope.onBytes,
    onUploadBytes: scope.onUploadBytes,
    markers: scope.markers,
    assertCanWrite: scope.assertCanWrite,
    validate: deps.validate ?? ((file) => validateBundle(file)),
    provision: async (bundle, opts, logger) => {
      await provisioner.ensureIam({ assertCanWrite: opts.assertCanWrite });
      return provisioner.provision(bundle, { ...opts, logger });
    },
    now: () => new Date(),
    disk: scope.disk,
    maxBundleBytes: scope.maxBundleBytes,
    stopRun: scope.stopRun,
    settingsStale: scope.settingsStale,
  };
}

function bundleReport(item: PlanItem, outcome: BundleOutcome, durationMs: number): BundleReport {
  return {
    releaseKey: item.releaseKey,
    etag: item.etag,
    ...(item.appId !== undefined ? { appId: item.appId, version: item.version } : {}),
    action: item.action,
    outcome,
    durationMs,
  };
}

function failed(err: unknown): BundleOutcome {
  return {
    status: 'failed',
    code: err instanceof DeployerError ? err.code : 'ERROR',
    message: errorMessage(err),
  };
}

function safeError(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
