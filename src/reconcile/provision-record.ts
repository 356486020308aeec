/**
 * The run record of `apps-deployer provision` (one bundle from local disk), written like a reconcile
 * run's (report.ts): under deployer/runs/, while the lock is held, compact, with `kind: 'provision'`
 * so that `status` can tell them apart. One bundle: its size does not grow with the fleet.
 */
import path from 'node:path';
import type { Bundle } from '../bundle/types';
import { DeployerError, ExitCode, errorMessage } from '../errors';
import type { ProvisionResult } from '../provision/types';
import { ConflictError } from '../provision/errors';
import { VERSION } from '../version';
import { newReport } from './report';
import type { BundleOutcome, RunReport } from './types';

export interface ProvisionRunFields {
  runId: string;
  file: string;
  bundle: Bundle;
  update: boolean;
  startedAt: Date;
  durationMs: number;
  /** AWS requests of the run by operation, up to the record */
  requests: Record<string, number>;
  outcome: { result: ProvisionResult } | { error: unknown };
}

function bundleOutcome(outcome: ProvisionRunFields['outcome']): BundleOutcome {
  if ('result' in outcome) return { status: 'provisioned', result: outcome.result };
  const err = outcome.error;
  if (err instanceof ConflictError) return { status: 'conflict', message: err.message };
  return {
    status: 'failed',
    code: err instanceof DeployerError ? err.code : 'ERROR',
    message: errorMessage(err),
  };
}

export function provisionRunReport(f: ProvisionRunFields): RunReport {
  const outcome = bundleOutcome(f.outcome);
  // a failure of the bundle (a conflict, AWS refusing it) exits 1 from its outcome; any other (a
  // configuration error: 2, AWS unavailable: 4, SIGTERM: 143) is the run's own error
  const error = 'error' in f.outcome ? f.outcome.error : undefined;
  const runError = error instanceof DeployerError && error.exitCode !== ExitCode.Failed ? error : undefined;
  return newReport({
    kind: 'provision',
    provision: {
      file: path.basename(f.file),
      appId: f.bundle.appId,
      version: f.bundle.version,
      bundleSha256: f.bundle.sha256Hex,
      update: f.update,
    },
    runId: f.runId,
    deployerVersion: VERSION,
    startedAt: f.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Math.round(f.durationMs),
    dryRun: false,
    bundles: [
      {
        releaseKey: path.basename(f.file),
        etag: '',
        appId: f.bundle.appId,
        version: f.bundle.version,
        action: 'provision',
        outcome,
        durationMs: Math.round(f.durationMs),
      },
    ],
    requests: f.requests,
    runError,
    runErrorCode: runError?.code,
  });
}
