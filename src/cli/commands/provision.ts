/**
 * `apps-deployer provision <bundle.zip> [--update] [--dry-run] [--json]`: the third-party path —
 * provision one bundle from local disk.
 *
 * Order: configuration (APPS_PROVISION_AWS_* credentials accepted; bad → ConfigError, exit 2) →
 * validation (invalid → every issue on stderr, exit 1, no AWS call) → IAM → the bundle.
 * Progress per step on stderr when it is a TTY (otherwise the events go to the JSON log); the summary
 * (created / updated / unchanged) on stdout, or the ProvisionResult with --json. A conflict (versions
 * are immutable; a name taken) exits 1; `--update` redeploys a provisioned version. A run that took
 * the lock writes a run record like reconcile's (kind "provision"), which `status` lists.
 * Logs are pino JSON on stderr; credentials never reach them (src/log.ts redacts).
 */
import { escapeTerminal as t } from '../../text/escape';
import { randomUUID } from 'node:crypto';
import { validateBundle, type Issue } from '../../bundle';
import { ENV, loadConfig } from '../../config';
import { DeployerError, ExitCode, errorMessage } from '../../errors';
import { createLogger, type Logger } from '../../log';
import type { S3Port } from '../../aws/ports';
import type { RunReport } from '../../reconcile/types';
import { createAwsPorts } from '../../aws/clients';
import { classifyFailure, toRunError } from '../../aws/failure-class';
import { assertBundleFiles } from '../files';
import { ReconcileLock } from '../../reconcile/lock';
import { newRunLock } from '../../reconcile/run-lock';
import { sweepStaleTempDirs } from '../../temp-dirs';
import { assertNotRetired } from '../../prune/retired';
import { provisionRunReport } from '../../reconcile/provision-record';
import { writeRunRecord } from '../../reconcile/report';
import { Provisioner } from '../../provision/provisioner';
import type {
  ProvisionEvent,
  ProvisionPlan,
  ProvisionResult,
  ResourceOutcome,
  UploadProgress,
} from '../../provision/types';
import { StatusLine, TransferBars, uploadLabel } from '../../reconcile/observers/progress';
import { PROVISION_VERSION, printJson } from '../json';

export interface ProvisionCliOptions {
  update?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

function formatIssue(i: Issue): string {
  return `  ${i.severity === 'error' ? 'error  ' : 'warning'} ${t(i.path)}: ${t(i.message)} [${t(i.code)}]`;
}

const MARK: Record<ResourceOutcome, string> = { created: '+', updated: '~', unchanged: '=' };

function progressLine(event: ProvisionEvent): string {
  if (event.type === 'retry')
    return `  … ${event.step} ${t(event.resource)}: retry ${event.attempt} (${t(event.reason)})`;
  const outcome = event.outcome ?? 'unchanged';
  return `  ${MARK[outcome]} ${event.step.padEnd(10)} ${t(event.resource)} ${outcome}`;
}

function count(items: { outcome: ResourceOutcome }[]): string {
  const n = (o: ResourceOutcome) => items.filter((i) => i.outcome === o).length;
  return `${n('created')} created, ${n('updated')} updated, ${n('unchanged')} unchanged`;
}

export function formatSummary(r: ProvisionResult): string {
  const head =
    r.status === 'provisioned'
      ? `provisioned ${r.appId} ${r.version} (${r.manifestKey}) in ${(r.durationMs / 1000).toFixed(1)}s`
      : `${r.appId} ${r.version} was already provisioned from this bundle (${r.manifestKey}); converged in ${(r.durationMs / 1000).toFixed(1)}s`;
  const lines = [head, `  functions: ${count(r.functions)}`, `  assets:    ${count(r.assets)}`];
  for (const f of r.functions)
    lines.push(`  function ${JSON.stringify(f.name)} → ${f.lambdaName} (${f.outcome})`);
  return lines.join('\n');
}

export function formatPlan(p: ProvisionPlan): string {
  const lines = [
    `dry run: ${p.appId} ${p.version} (${p.manifestKey}) — nothing was written`,
    `  execute role: ${p.executeRole}`,
    `  manifest: ${p.manifest}`,
  ];
  for (const c of p.code) lines.push(`  code     ${c.key}: ${c.action}`);
  for (const f of p.functions) lines.push(`  function ${f.lambdaName}: ${f.action}`);
  for (const a of p.assets) lines.push(`  asset    ${t(a.key)}: ${a.action}`);
  for (const c of p.conflicts) lines.push(`  conflict: ${t(c)}`);
  return lines.join('\n');
}

/** The run record, like reconcile's: written while the lock is held, then the lock is released. */
async function recordAndRelease(
  record: RunReport,
  on: { s3: S3Port; bucket: string; lock: ReconcileLock; log: Logger },
): Promise<void> {
  if (on.lock.held)
    await writeRunRecord(on.s3, on.bucket, record).catch((err: unknown) =>
      on.log.warn({ err: { message: errorMessage(err) } }, 'run record not written'),
    );
  else on.log.warn('run record not written: the lock was lost');
  await on.lock.release();
}

/** A configuration error met while provisioning (access denied, a missing role, a quota) is exit 2. */
function asRunError(caught: unknown): unknown {
  return classifyFailure(caught).failureClass === 'configuration' ? toRunError(caught, 'provision') : caught;
}

export async function run(file: string, opts: ProvisionCliOptions): Promise<number> {
  await assertBundleFiles([file]); // exit 2 before anything else
  const config = loadConfig(process.env, {}, { provisionCredentials: true });
  const tty = process.stderr.isTTY === true;
  // on a terminal, progress lines speak; the JSON log keeps warnings unless a level was asked for
  const level = tty && !process.env[ENV.logLevel] ? 'warn' : config.logLevel;
  const logger = createLogger({ level }).child({ command: 'provision' });

  const validation = await validateBundle(file);
  if (!validation.ok) {
    if (opts.json) {
      printJson({
        provisionVersion: PROVISION_VERSION,
        ok: false,
        file,
        errors: validation.errors,
        warnings: validation.warnings,
      });
    }
    process.stderr.write(
      `${[`${file}: INVALID, nothing provisioned`, ...validation.errors.map(formatIssue), ...validation.warnings.map(formatIssue)].join('\n')}\n`,
    );
    return ExitCode.Failed;
  }
  const bundle = validation.bundle;
  for (const w of validation.warnings) process.stderr.write(`${formatIssue(w)}\n`);

  const runId = randomUUID();
  const log = logger.child({ runId, appId: bundle.appId, version: bundle.version, bundle: file });
  const ports = createAwsPorts(config.aws, {
    lambdaRequestsPerSecond: config.lambdaRequestsPerSecond,
    logger: log,
  });
  // on a terminal: a line per step, and a byte progress bar while code and assets go up (none otherwise)
  const status = tty ? new StatusLine(process.stderr) : undefined;
  const bars = status && new TransferBars(status);
  const onBytes = bars
    ? (p: UploadProgress): void => bars.update(p.resource, uploadLabel(p), p.bytes, p.total)
    : undefined;
  const onEvent = (event: ProvisionEvent): void => {
    if (status) status.line(progressLine(event));
    else if (event.type === 'retry') log.warn({ event }, 'retrying');
    else log.info({ step: event.step, resource: event.resource, outcome: event.outcome }, 'step');
  };
  const provisioner = new Provisioner({ ports, config, logger: logger.child({ runId }), onEvent });

  try {
    if (opts.dryRun) {
      // the dry run refuses a retired version as the real run does (no lock: a read only)
      await assertNotRetired(ports.s3, config.appsBucket, {
        appId: bundle.appId,
        version: bundle.version,
        file,
      });
      const plan = await provisioner.plan(bundle, { replace: opts.update === true });
      if (opts.json) printJson({ provisionVersion: PROVISION_VERSION, ...plan });
      else process.stdout.write(`${formatPlan(plan)}\n`);
      return plan.conflicts.length > 0 || plan.executeRole === 'missing' ? ExitCode.Failed : ExitCode.Ok;
    }
    const startedAt = new Date();
    const startedMs = performance.now();
    // one writer (DESIGN.md): the same lock as reconcile, so a manual provision never races the job
    const lock = newRunLock(ports, config, { runId, logger: log });
    // LockHeldError: exit 3, nothing done; no bucket, no credentials, access denied: 2; unreachable: 4
    await lock.acquire().catch((err: unknown) => {
      throw toRunError(err, `take the lock in s3://${config.appsBucket}`);
    });
    // temp directories of runs killed hard (no `finally` ran): src/temp-dirs.ts removes only those
    await sweepStaleTempDirs({ maxAgeMs: config.lockTtlSeconds * 1000, logger: log });
    status?.line(`provisioning ${t(bundle.appId)} ${t(bundle.version)} from ${t(file)}`);
    let outcome: { result: ProvisionResult } | { error: unknown };
    try {
      // a version `prune` retired stays retired (exit 1, nothing written): src/prune/retired.ts
      await assertNotRetired(ports.s3, config.appsBucket, {
        appId: bundle.appId,
        version: bundle.version,
        file,
      });
      const provisioned = await provisioner.provision(bundle, {
        runId,
        replace: opts.update === true,
        assertCanWrite: () => lock.assertCanWrite(),
        logger: log,
        onBytes,
      });
      outcome = { result: provisioned };
    } catch (err) {
      outcome = { error: asRunError(err) };
    } finally {
      status?.clear();
    }
    const record = provisionRunReport({
      runId,
      file,
      bundle,
      update: opts.update === true,
      startedAt,
      durationMs: performance.now() - startedMs,
      requests: ports.requests.snapshot(),
      outcome,
    });
    await recordAndRelease(record, { s3: ports.s3, bucket: config.appsBucket, lock, log });
    if ('error' in outcome) throw outcome.error;
    const result = outcome.result;
    log.info({ status: result.status, requests: ports.requests.snapshot() }, 'provision finished');
    if (opts.json) printJson({ provisionVersion: PROVISION_VERSION, ...result });
    else process.stdout.write(`${formatSummary(result)}\n`);
    return ExitCode.Ok;
  } catch (caught) {
    const err = asRunError(caught);
    if (!(err instanceof DeployerError)) {
      log.error({ err, requests: ports.requests.snapshot() }, 'provision failed');
      throw err;
    }
    // an expected error (a conflict, a refused configuration) is the one line below on a terminal; the
    // JSON log keeps its code and message, without a stack trace
    if (!tty) {
      const failure = { code: err.code, message: err.message, resource: err.resource };
      log.error({ failure, requests: ports.requests.snapshot() }, 'provision failed');
    }
    if (opts.json) {
      const error = { code: err.code, message: err.message, hint: err.hint, resource: err.resource };
      printJson({ provisionVersion: PROVISION_VERSION, ok: false, file, error });
    }
    process.stderr.write(`apps-deployer: error: ${t(err.describe())}\n`);
    return err.exitCode;
  }
}
