/**
 * `verify`: every provisioned version against invariant I1 and the desired settings (DESIGN.md "CLI":
 * verify). Reads only and takes no lock; `repair` takes the reconcile lock (waiting up to
 * `waitLockSeconds`), converges each drifting version from its release bundle (repair.ts), then checks
 * those versions again, so the report's `drift` is what is left. A SIGTERM (`signal`) stops every write
 * before it starts; the report then says what was done, with exit 143. The summary is kept at
 * deployer/verify/last.json for `status` (last-verify.ts). Exit 1 when drift is left, else 0.
 */
import { randomUUID } from 'node:crypto';
import type { AwsPorts } from '../aws/ports';
import type { DeployerConfig } from '../config';
import { ExitCode } from '../errors';
import type { Logger } from '../log';
import { MANIFEST_METADATA } from '../provision/types';
import { RunAbortedError } from '../reconcile/errors';
import { inspectAll, type VersionFindings } from './inspect';
import { writeLastVerify } from './last-verify';
import { acquireWaiting } from './lock';
import { repairAll } from './repair';
import { VERIFY_VERSION, type RepairResult, type VerifyReport } from './types';
import { sweepStaleTempDirs } from '../temp-dirs';
import { requestsSince } from '../reconcile/report';

export * from './types';
export { formatVerify } from './format';
export { readLastVerify } from './last-verify';

export interface VerifyDeps {
  ports: AwsPorts;
  config: DeployerConfig;
  logger: Logger;
}

export interface VerifyOptions {
  only?: string;
  repair?: boolean;
  /** --wait-lock: how long --repair waits for the lock (seconds) */
  waitLockSeconds?: number;
  runId?: string;
  /** SIGTERM: no new write starts, the versions not repaired yet are left (exit 143) */
  signal?: AbortSignal;
}

export async function verify(deps: VerifyDeps, options: VerifyOptions = {}): Promise<VerifyReport> {
  const { ports, config } = deps;
  const started = performance.now();
  const runId =
    options.runId ?? `verify-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  const logger = deps.logger.child({ runId, command: 'verify' });
  const before = ports.requests.snapshot();

  let findings = await inspectAll(ports, config, { only: options.only });
  const driftBefore = findings.flatMap((f) => f.drift);
  let repairs: RepairResult[] = [];
  // versions provisioned before version records get theirs from their bundle (once)
  const unrecorded = findings.some(
    (f) => !f.hasRecord && f.metadata[MANIFEST_METADATA.releaseKey] !== undefined,
  );
  if (options.repair && (driftBefore.length > 0 || unrecorded)) {
    const lock = await acquireWaiting(ports, config, logger, {
      runId,
      waitSeconds: options.waitLockSeconds ?? 0,
      signal: options.signal,
    });
    // temp directories of runs killed hard (no `finally` ran): src/temp-dirs.ts removes only those
    await sweepStaleTempDirs({ maxAgeMs: config.lockTtlSeconds * 1000, logger });
    try {
      const assertCanWrite = (): void => {
        if (options.signal?.aborted) throw new RunAbortedError('the repair');
        lock.assertCanWrite();
      };
      repairs = await repairAll({ ports, config, logger, runId, assertCanWrite }, findings);
      // check the repaired versions again: the report's drift is what is left
      const stems = new Set(repairs.map((r) => `${r.appId}_${r.version}`));
      const again = new Map(
        (await inspectAll(ports, config, { only: options.only, stems })).map((f) => [
          `${f.appId}_${f.version}`,
          f,
        ]),
      );
      findings = findings.map((f): VersionFindings => again.get(`${f.appId}_${f.version}`) ?? f);
    } finally {
      await lock.release();
    }
  }
  const drift = findings.flatMap((f) => f.drift);
  const report: VerifyReport = {
    verifyVersion: VERIFY_VERSION,
    generatedAt: new Date().toISOString(),
    runId,
    ...(options.only !== undefined ? { only: options.only } : {}),
    repair: options.repair === true,
    versions: findings.length,
    functions: findings.reduce((n, f) => n + f.functions, 0),
    assets: findings.reduce((n, f) => n + f.assets, 0),
    drift,
    ...(options.repair ? { driftBefore } : {}),
    repairs,
    foreign: findings.flatMap((f) => f.foreign),
    notices: findings.flatMap((f) => f.notices),
    requests: {},
    durationMs: 0,
    exitCode: options.signal?.aborted
      ? ExitCode.Terminated
      : drift.length > 0
        ? ExitCode.Failed
        : ExitCode.Ok,
  };
  await writeLastVerify(ports.s3, config.appsBucket, report, logger);
  report.requests = requestsSince(before, ports.requests.snapshot());
  report.durationMs = Math.round(performance.now() - started);
  logger.info(
    {
      versions: report.versions,
      drift: drift.length,
      foreign: report.foreign.length,
      requests: report.requests,
    },
    'verify done',
  );
  return report;
}
