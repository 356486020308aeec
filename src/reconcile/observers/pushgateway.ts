/**
 * Prometheus Pushgateway metrics, pushed once when a run ends (a CronJob is gone before any scrape).
 *
 *   apps_deployer_last_success_timestamp_seconds   only pushed by a run that exits 0
 *   apps_deployer_run_duration_seconds
 *   apps_deployer_bundles{outcome="…"}              every outcome, zeros included (stable series)
 *   apps_deployer_last_run_exit_code
 *
 * Grouping key: job="apps_deployer". A successful run PUTs the whole group. A failed run POSTs, which
 * replaces only the metrics it sends: the last success time of an earlier run stays in place, so
 * `time() - apps_deployer_last_success_timestamp_seconds` keeps measuring how long the job has been
 * failing (a PUT without that metric would delete it). Dry runs push nothing.
 */
import type { Logger } from '../../log';
import { errorMessage } from '../../errors';
import type { RunObserver, RunReport } from '../types';
import { OUTCOME_STATUSES } from '../types';
import { PUSHGATEWAY_JOB, PUSHGATEWAY_TIMEOUT_MS } from './constants';
import { deliver, type FetchFn } from './http';

const OUTCOMES = OUTCOME_STATUSES;

/** Prometheus text exposition format (version 0.0.4), ending with a newline. */
export function metricsText(report: RunReport): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, samples: [string, number][]): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  if (report.exitCode === 0)
    gauge(
      'apps_deployer_last_success_timestamp_seconds',
      'End time of the last reconcile run that exited 0 (Unix seconds).',
      [['', Date.parse(report.finishedAt) / 1000]],
    );
  gauge('apps_deployer_run_duration_seconds', 'Duration of the last reconcile run.', [
    ['', report.durationMs / 1000],
  ]);
  gauge(
    'apps_deployer_bundles',
    'Release bundles of the last reconcile run, by outcome (skipped = unchanged or known).',
    OUTCOMES.map((o) => [`{outcome="${o}"}`, report.counts[o] ?? 0]),
  );
  gauge(
    'apps_deployer_last_run_exit_code',
    'Exit code of the last reconcile run (0 ok, 1 a bundle failed/rejected/conflicts, 3 locked).',
    [['', report.exitCode]],
  );
  return `${lines.join('\n')}\n`;
}

/** <base>/metrics/job/<job> (default apps_deployer), keeping any path prefix of the base URL. */
export function pushUrl(base: string, job: string = PUSHGATEWAY_JOB): string {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/metrics/job/${job}`;
  return u.href;
}

export interface PushgatewayOptions {
  url: string;
  logger: Logger;
  fetch: FetchFn;
  timeoutMs?: number;
}

export class PushgatewayObserver implements RunObserver {
  constructor(private readonly opts: PushgatewayOptions) {}

  async runDone(report: RunReport): Promise<void> {
    if (report.dryRun) return;
    const log = this.opts.logger.child({ observer: 'pushgateway' });
    try {
      await deliver({
        channel: 'Pushgateway metrics',
        url: pushUrl(this.opts.url),
        method: report.exitCode === 0 ? 'PUT' : 'POST',
        body: metricsText(report),
        contentType: 'text/plain; version=0.0.4',
        timeoutMs: this.opts.timeoutMs ?? PUSHGATEWAY_TIMEOUT_MS,
        fetch: this.opts.fetch,
      });
      log.debug('metrics pushed');
    } catch (err) {
      log.warn({ error: errorMessage(err) }, 'metrics not pushed');
    }
  }
}
