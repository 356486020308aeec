/**
 * `verify` speaks through the same channels as reconcile (the chart's daily verify CronJob alerts
 * through them): an alert to the alert webhook when drift is left (the first lines, then a count), a
 * notification when `--repair` repaired versions, and Pushgateway metrics under a grouping key of their
 * own (job="apps_deployer_verify"), so that a verify push never replaces reconcile's group. Like
 * reconcile's: a success PUTs the group, a failure POSTs (the last success time stays). Every value
 * from S3 or Lambda is escaped for Markdown; delivery failures are logged, never thrown, and never log
 * the URL (the hook id in it is a secret). A partial run (`--only`) alerts but pushes no metrics.
 */
import { errorMessage } from '../errors';
import type { DeployerConfig } from '../config';
import type { Logger } from '../log';
import { escapeMarkdown as md, markdownCode as code } from '../text/escape';
import {
  PUSHGATEWAY_TIMEOUT_MS,
  PUSHGATEWAY_VERIFY_JOB,
  WEBHOOK_TIMEOUT_MS,
  WEBHOOK_USERNAME,
} from '../reconcile/observers/constants';
import { formatDuration } from '../reconcile/observers/format';
import { deliver, type FetchFn } from '../reconcile/observers/http';
import { pushUrl } from '../reconcile/observers/pushgateway';
import type { VerifyReport } from './types';

/** Drift lines in one alert; the rest are counted. */
export const MAX_DRIFT_PER_ALERT = 10;

/** The alert text when drift is left, else undefined. */
export function verifyAlertText(r: VerifyReport): string | undefined {
  if (r.drift.length === 0) return undefined;
  const versions = new Set(r.drift.map((d) => `${d.appId}\u0000${d.version}`)).size;
  const lines = r.drift
    .slice(0, MAX_DRIFT_PER_ALERT)
    .map((d) => `- ${code(d.appId)} ${code(d.version)} ${d.kind} ${code(d.resource)}: ${md(d.detail)}`);
  const more = r.drift.length - MAX_DRIFT_PER_ALERT;
  if (more > 0)
    lines.push(`- … and ${more} more (\`apps-deployer verify --json\`, \`apps-deployer status\`)`);
  const repairable = r.drift.some((d) => d.repairable);
  const next = r.repair
    ? "Left after `--repair`: see the run's output for why each was not repaired."
    : repairable
      ? 'Run `apps-deployer verify --repair` to converge the repairable drift from the release bundles.'
      : 'None of it is repairable from the release bundles: see `apps-deployer verify` for each.';
  return (
    `:warning: Verify ${code(r.runId)} found ${r.drift.length} drift${r.drift.length === 1 ? '' : 's'} ` +
    `in ${versions} of ${r.versions} provisioned version${r.versions === 1 ? '' : 's'} ` +
    `(${formatDuration(r.durationMs)}):\n${lines.join('\n')}\n${next}`
  );
}

/** The notification text when `--repair` repaired versions, else undefined. */
export function verifyRepairText(r: VerifyReport): string | undefined {
  const repaired = r.repairs.filter((x) => x.status === 'repaired');
  if (repaired.length === 0) return undefined;
  const names = repaired.slice(0, MAX_DRIFT_PER_ALERT).map((x) => `${code(x.appId)} ${code(x.version)}`);
  const more = repaired.length - names.length;
  return (
    `:wrench: Verify ${code(r.runId)} repaired ${repaired.length} version${repaired.length === 1 ? '' : 's'} ` +
    `from their release bundles: ${names.join(', ')}${more > 0 ? ` and ${more} more` : ''}.`
  );
}

/** Prometheus text exposition format (0.0.4) of a verify run. */
export function verifyMetricsText(r: VerifyReport, finishedAt: Date): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${value}`);
  };
  if (r.exitCode === 0)
    gauge(
      'apps_deployer_verify_last_success_timestamp_seconds',
      'End time of the last verify that found no drift (Unix seconds).',
      finishedAt.getTime() / 1000,
    );
  gauge('apps_deployer_verify_duration_seconds', 'Duration of the last verify.', r.durationMs / 1000);
  gauge('apps_deployer_verify_versions', 'Provisioned versions the last verify checked.', r.versions);
  gauge('apps_deployer_verify_drift', 'Drift left at the end of the last verify.', r.drift.length);
  gauge(
    'apps_deployer_verify_foreign_objects',
    "Objects under an app's static prefix that its version does not name.",
    r.foreign.length,
  );
  gauge(
    'apps_deployer_verify_last_run_exit_code',
    'Exit code of the last verify (0 clean, 1 drift).',
    r.exitCode,
  );
  return `${lines.join('\n')}\n`;
}

export interface VerifyChannels {
  config: Pick<DeployerConfig, 'alertWebhookUrl' | 'notifyWebhookUrl' | 'pushgatewayUrl'>;
  logger: Logger;
  fetch?: FetchFn;
  now?: () => Date;
}

/** Sends what applies (each bounded by its deadline); never throws. */
export async function announceVerify(r: VerifyReport, channels: VerifyChannels): Promise<void> {
  const { config } = channels;
  const fetchFn = channels.fetch ?? globalThis.fetch;
  const log = channels.logger.child({ observer: 'verify-alerts', runId: r.runId });
  const post = async (channel: string, url: string | undefined, text: string | undefined): Promise<void> => {
    if (url === undefined || text === undefined) return;
    try {
      await deliver({
        channel,
        url,
        method: 'POST',
        body: JSON.stringify({ text, username: WEBHOOK_USERNAME }),
        contentType: 'application/json',
        timeoutMs: WEBHOOK_TIMEOUT_MS,
        fetch: fetchFn,
      });
    } catch (err) {
      log.warn({ error: errorMessage(err) }, `${channel} not sent`);
    }
  };
  const push = async (): Promise<void> => {
    // a partial run (--only) says nothing of the fleet: it never replaces the group's figures (a clean
    // `--only A` must not hide the drift the daily run found in B, nor reset its last success time)
    if (config.pushgatewayUrl === undefined || r.only !== undefined) return;
    try {
      await deliver({
        channel: 'Pushgateway metrics',
        url: pushUrl(config.pushgatewayUrl, PUSHGATEWAY_VERIFY_JOB),
        method: r.exitCode === 0 ? 'PUT' : 'POST',
        body: verifyMetricsText(r, channels.now?.() ?? new Date()),
        contentType: 'text/plain; version=0.0.4',
        timeoutMs: PUSHGATEWAY_TIMEOUT_MS,
        fetch: fetchFn,
      });
    } catch (err) {
      log.warn({ error: errorMessage(err) }, 'metrics not pushed');
    }
  };
  await Promise.all([
    post('Mattermost alert webhook', config.alertWebhookUrl, verifyAlertText(r)),
    post('Mattermost notification webhook', config.notifyWebhookUrl, verifyRepairText(r)),
    push(),
  ]);
}
