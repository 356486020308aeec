/**
 * The observers that report a reconcile run, chosen from the configuration and the output mode:
 * TTY progress (a terminal, not --json), Mattermost webhooks (when their URLs are set), Pushgateway
 * metrics (when its URL is set). None of them throws: delivery problems are logged.
 */
import type { DeployerConfig } from '../../config';
import type { Logger } from '../../log';
import type { RunObserver } from '../types';
import type { FetchFn } from './http';
import { TtyProgressObserver } from './progress';
import { MattermostWebhookObserver } from './webhook';
import { PushgatewayObserver } from './pushgateway';

export interface ObserverOptions {
  /** stderr is a terminal: print progress lines */
  tty: boolean;
  /** --json: stdout is a JSON document, no human progress */
  json: boolean;
  /** `plan` / --dry-run: the printed plan is the output, no progress lines */
  dryRun?: boolean;
  /** where progress lines go (default process.stderr) */
  out?: NodeJS.WritableStream;
  /** HTTP client for webhooks and Pushgateway (default the global fetch) */
  fetch?: FetchFn;
}

export function createObservers(
  config: DeployerConfig,
  logger: Logger,
  opts: ObserverOptions,
): RunObserver[] {
  const observers: RunObserver[] = [];
  const fetchFn = opts.fetch ?? globalThis.fetch;
  if (opts.tty && !opts.json && !opts.dryRun)
    observers.push(new TtyProgressObserver(opts.out ?? process.stderr));
  if (config.notifyWebhookUrl !== undefined || config.alertWebhookUrl !== undefined)
    observers.push(
      new MattermostWebhookObserver({
        notifyUrl: config.notifyWebhookUrl,
        alertUrl: config.alertWebhookUrl,
        logger,
        fetch: fetchFn,
      }),
    );
  if (config.pushgatewayUrl !== undefined)
    observers.push(new PushgatewayObserver({ url: config.pushgatewayUrl, logger, fetch: fetchFn }));
  return observers;
}

export { formatPlan, formatSummaryTable, formatDuration } from './format';
export { TtyProgressObserver } from './progress';
export { MattermostWebhookObserver, notificationText, alertText } from './webhook';
export { PushgatewayObserver, metricsText, pushUrl } from './pushgateway';
export { DeliveryError } from './errors';
export type { FetchFn } from './http';
