/**
 * Mattermost incoming-webhook messages: a notification per app provisioned by this run (to the notify
 * webhook) and an alert per bundle that failed, was rejected or conflicts in this run (to the alert
 * webhook). Known rejections and conflicts found by earlier runs are not alerted again (DESIGN.md:
 * "reported and alerted once").
 *
 * Messages are sent while the run goes on (bounded concurrency, a deadline each) and `runDone` waits
 * for them; past MAX_WEBHOOK_MESSAGES_PER_RUN per channel, one digest message counts the rest.
 * Delivery failures are logged, never thrown, and never log the URL: the hook id in it is a secret.
 * Every value from a bundle or a listing is escaped for Markdown (text/escape.ts): names in code spans,
 * messages as plain text; no control character, link, emoji or mention (@all, @channel) gets through.
 */
import pLimit from 'p-limit';
import type { Logger } from '../../log';
import { errorMessage } from '../../errors';
import type { Issue } from '../../bundle/types';
import { escapeMarkdown as md, markdownCode as code } from '../../text/escape';
import type { BundleReport, Plan, RunObserver, RunReport } from '../types';
import {
  MAX_ISSUES_PER_ALERT,
  MAX_WEBHOOK_MESSAGES_PER_RUN,
  WEBHOOK_CONCURRENCY,
  WEBHOOK_TIMEOUT_MS,
  WEBHOOK_USERNAME,
} from './constants';
import { formatDuration } from './format';
import { deliver, type FetchFn } from './http';

export interface WebhookOptions {
  notifyUrl?: string;
  alertUrl?: string;
  logger: Logger;
  fetch: FetchFn;
  timeoutMs?: number;
  maxMessagesPerRun?: number;
}

/** The JSON body of a Mattermost incoming-webhook post. */
export interface WebhookMessage {
  text: string;
  username: string;
}

type Channel = 'notification' | 'alert';

/** An error code (ours, or an AWS error name): shown as is when it is a plain identifier. */
function errorCode(c: string): string {
  return /^[\w.-]+$/.test(c) ? c : md(c);
}

/** An issue in a post: its path as code, its message as plain text. */
function issueMarkdown(issue: Issue): string {
  return `${issue.path ? `${code(issue.path)}: ` : ''}${md(issue.message)}`;
}

function subject(b: BundleReport): string {
  return b.appId ? `${code(b.appId)} ${code(b.version ?? '?')} (${code(b.releaseKey)})` : code(b.releaseKey);
}

/** The notification text for a provisioned bundle, or undefined when nothing new was deployed. */
export function notificationText(b: BundleReport, runId: string): string | undefined {
  const o = b.outcome;
  if (o.status !== 'provisioned' || o.result.status !== 'provisioned') return undefined;
  const r = o.result;
  return (
    `:white_check_mark: Deployed ${code(r.appId)} version ${code(r.version)}: ` +
    `${r.functions.length} function${r.functions.length === 1 ? '' : 's'}, ` +
    `${r.assets.length} static asset${r.assets.length === 1 ? '' : 's'}, manifest ${code(r.manifestKey)} ` +
    `(${formatDuration(b.durationMs)}${runId ? `, run ${code(runId)}` : ''}). ` +
    `It can now be installed from the Apps Marketplace.`
  );
}

/** The alert text for a bundle that failed, was rejected or conflicts, or undefined otherwise. */
export function alertText(b: BundleReport, runId: string): string | undefined {
  const o = b.outcome;
  const run = runId ? `run ${code(runId)}` : 'this run';
  switch (o.status) {
    case 'rejected': {
      const shown = o.issues
        .slice(0, MAX_ISSUES_PER_ALERT)
        .map((i) => `- ${i.severity}: ${issueMarkdown(i)}`);
      const more = o.issues.length - shown.length;
      return [
        `:x: Rejected release bundle ${subject(b)} (${run}). It will not be downloaded again until a new ` +
          `object is uploaded under that key; fix the bundle and upload it again:`,
        ...shown,
        ...(more > 0 ? [`- … and ${more} more`] : []),
      ].join('\n');
    }
    case 'conflict':
      return (
        `:warning: Conflict for release bundle ${subject(b)} (${run}): ${md(o.message)}\n` +
        `Nothing was overwritten. Versions are immutable: bump the version and upload again ` +
        `(or redeploy deliberately with \`apps-deployer reconcile --replace\`).`
      );
    case 'failed':
      return (
        `:x: Failed to provision ${subject(b)} (${run}): ${errorCode(o.code)}: ${md(o.message)}\n` +
        (o.failureClass === 'permanent'
          ? `AWS refused the bundle's content: it is marked failed and not retried; fix the bundle and ` +
            `upload a new version, or retry with ${code(`apps-deployer reconcile --retry-failed --only ${b.appId ?? 'APP_ID'}`)}.`
          : `The next run retries it.`)
      );
    default:
      return undefined;
  }
}

export class MattermostWebhookObserver implements RunObserver {
  private runId = '';
  private readonly limit = pLimit(WEBHOOK_CONCURRENCY);
  private readonly inflight = new Set<Promise<void>>();
  private readonly sent: Record<Channel, number> = { notification: 0, alert: 0 };
  private readonly overflow: Record<Channel, number> = { notification: 0, alert: 0 };
  private readonly maxPerRun: number;
  private readonly timeoutMs: number;

  constructor(private readonly opts: WebhookOptions) {
    this.maxPerRun = opts.maxMessagesPerRun ?? MAX_WEBHOOK_MESSAGES_PER_RUN;
    this.timeoutMs = opts.timeoutMs ?? WEBHOOK_TIMEOUT_MS;
  }

  planned(plan: Plan): void {
    this.runId = plan.runId;
  }

  bundleDone(report: BundleReport): void {
    const notify = notificationText(report, this.runId);
    if (notify !== undefined) this.queue('notification', notify, report);
    const alert = alertText(report, this.runId);
    if (alert !== undefined) this.queue('alert', alert, report);
  }

  async runDone(report: RunReport): Promise<void> {
    if (!this.runId) this.runId = report.runId;
    if (!report.dryRun) {
      for (const channel of ['notification', 'alert'] as const) {
        const n = this.overflow[channel];
        if (n > 0)
          this.send(
            channel,
            `… and ${n} more ${channel === 'alert' ? 'alerts' : 'deployments'} in run ${code(report.runId)} ` +
              `(see \`apps-deployer status\` or the run record).`,
          );
      }
      const bundleAlerts = report.bundles.some((b) => alertText(b, report.runId) !== undefined);
      if (report.error !== undefined)
        this.send(
          'alert',
          `:x: Reconcile run ${code(report.runId)} failed after ${formatDuration(report.durationMs)}: ` +
            `${errorCode(report.error.code)}: ${md(report.error.message)}\nThe bundles it did not finish are retried by the next run.`,
        );
      else if (report.exitCode === 1 && !bundleAlerts)
        this.send(
          'alert',
          `:x: Reconcile run ${code(report.runId)} ended with exit code 1 after ` +
            `${formatDuration(report.durationMs)}; see its logs and run record.`,
        );
    }
    await this.flush();
  }

  /** Waits for every message in flight (each bounded by its deadline). */
  async flush(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private urlFor(channel: Channel): string | undefined {
    return channel === 'alert' ? this.opts.alertUrl : this.opts.notifyUrl;
  }

  private queue(channel: Channel, text: string, report: BundleReport): void {
    if (this.urlFor(channel) === undefined) return;
    if (this.sent[channel] >= this.maxPerRun) {
      this.overflow[channel] += 1;
      return;
    }
    this.send(channel, text, report);
  }

  private send(channel: Channel, text: string, report?: BundleReport): void {
    const url = this.urlFor(channel);
    if (url === undefined) return;
    this.sent[channel] += 1;
    const message: WebhookMessage = { text, username: WEBHOOK_USERNAME };
    const log = this.opts.logger.child({
      observer: 'mattermost-webhook',
      channel,
      ...(report ? { bundle: report.releaseKey, appId: report.appId, version: report.version } : {}),
    });
    const p = this.limit(() =>
      deliver({
        channel: `Mattermost ${channel} webhook`,
        url,
        method: 'POST',
        body: JSON.stringify(message),
        contentType: 'application/json',
        timeoutMs: this.timeoutMs,
        fetch: this.opts.fetch,
      }),
    ).then(
      () => log.debug('webhook message delivered'),
      (err: unknown) => log.warn({ error: errorMessage(err) }, 'webhook message not delivered'),
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}
