/** Plans, bundle reports and run reports for the observer tests, plus a logger that keeps its lines. */
import pino from 'pino';
import type { Logger } from '../../../src/log';
import type { BundleReport, Plan, PlanItem, RunReport } from '../../../src/reconcile/types';
import type { DeployerConfig } from '../../../src/config';
import { loadConfig } from '../../../src/config';

export const RUN_ID = 'run-20240101-abc';

export function item(appId: string, version: string, action: PlanItem['action']): PlanItem {
  return {
    releaseKey: `bundles/${appId}_${version}.zip`,
    etag: `"etag-${appId}-${version}"`,
    size: 1234,
    appId,
    version,
    action,
  };
}

export function plan(items: PlanItem[]): Plan {
  const counts: Plan['counts'] = {};
  for (const i of items) counts[i.action] = (counts[i.action] ?? 0) + 1;
  return {
    planVersion: 1,
    runId: RUN_ID,
    createdAt: '2024-01-01T10:00:00.000Z',
    releaseBucket: 'release-bucket',
    releasePrefix: 'bundles/',
    appsBucket: 'apps-bucket',
    replace: false,
    items,
    counts,
  };
}

export function provisioned(appId: string, version: string, already = false): BundleReport {
  return {
    ...item(appId, version, 'provision'),
    outcome: {
      status: 'provisioned',
      result: {
        appId,
        version,
        status: already ? 'already-provisioned' : 'provisioned',
        manifestKey: `manifests/${appId}_${version}.json`,
        functions: [
          { name: 'main', lambdaName: `${appId.replace(/\./g, '-')}_${version}_main`, outcome: 'created' },
        ],
        assets: [{ key: `static/${appId}_${version}_app/icon.png`, outcome: 'created' }],
        durationMs: 2100,
      },
    },
    durationMs: 2345,
  };
}

export function rejected(appId: string, version: string, errors = 2): BundleReport {
  return {
    ...item(appId, version, 'provision'),
    outcome: {
      status: 'rejected',
      issues: [
        ...Array.from({ length: errors }, (_, i) => ({
          severity: 'error' as const,
          code: i === 0 ? 'RUNTIME_BLOCKED' : 'FUNCTION_ZIP_MISSING',
          path: i === 0 ? '$.aws_lambda[0].runtime' : `$.aws_lambda[${i}]`,
          message:
            i === 0 ? 'runtime go1.x can no longer be used to create functions' : `function ${i} has no zip`,
        })),
        { severity: 'warning' as const, code: 'EXTRA_ENTRY', path: 'README.md', message: 'ignored' },
      ],
    },
    durationMs: 120,
  };
}

export function conflict(appId: string, version: string): BundleReport {
  return {
    ...item(appId, version, 'check-reupload'),
    outcome: { status: 'conflict', message: `other bytes were uploaded for ${appId} ${version}` },
    durationMs: 800,
  };
}

export function failed(appId: string, version: string): BundleReport {
  return {
    ...item(appId, version, 'provision'),
    outcome: { status: 'failed', code: 'LAMBDA_THROTTLED', message: 'Rate exceeded' },
    durationMs: 30_500,
  };
}

export function skipped(
  appId: string,
  version: string,
  action: PlanItem['action'] = 'up-to-date',
): BundleReport {
  return { ...item(appId, version, action), outcome: { status: 'skipped' }, durationMs: 0 };
}

export function runReport(
  bundles: BundleReport[],
  exitCode: number,
  extra: Partial<RunReport> = {},
): RunReport {
  // report v2: every bundle counted, unchanged ones by action, only the judged ones listed
  const counts: RunReport['counts'] = {};
  const unchanged: RunReport['unchanged'] = {};
  for (const b of bundles) {
    counts[b.outcome.status] = (counts[b.outcome.status] ?? 0) + 1;
    if (b.outcome.status === 'skipped') unchanged[b.action] = (unchanged[b.action] ?? 0) + 1;
  }
  return {
    reportVersion: 2,
    runId: RUN_ID,
    deployerVersion: '0.1.0',
    startedAt: '2024-01-01T10:00:00.000Z',
    finishedAt: '2024-01-01T10:00:12.500Z',
    durationMs: 12_500,
    dryRun: false,
    exitCode,
    counts,
    unchanged,
    bundles: bundles.filter((b) => b.outcome.status !== 'skipped'),
    requests: { 'S3.ListObjectsV2': 3, 'S3.PutObject': 2 },
    ...extra,
  };
}

/** A pino logger whose JSON lines are kept in `lines`. */
export function capturingLogger(): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  return { logger, lines, text: () => lines.join('') };
}

export function configWith(env: Record<string, string>): DeployerConfig {
  return loadConfig({ MM_APPS_S3_BUCKET: 'apps-bucket', ...env });
}
