/**
 * The observers that report a reconcile run, chosen from the configuration and the output mode:
 * TTY progress (a terminal, not --json), Mattermost webhooks (when their URLs are set), Pushgateway
 * metrics (when its URL is set). None of them throws: delivery problems are logged.
 */
import type { DeployerConfig } from '../../config';
import type { Logger } from '../../log';
import { errorMessage } from '../../errors';
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
  if (opts.tty && !opts.json) observers.push(new TtyProgressObserver(opts.out ?? process.stderr));
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

/**
 * One observer that forwards every event to each of `observers` in turn, awaiting each, and logs
 * (never throws) what one of them throws, so that a broken report never changes a run's outcome.
 */
export function combineObservers(observers: RunObserver[], logger: Logger): Required<RunObserver> {
  const call = async <K extends keyof RunObserver>(
    event: K,
    arg: Parameters<NonNullable<RunObserver[K]>>[0],
  ): Promise<void> => {
    for (const o of observers) {
      const fn = o[event] as ((a: typeof arg) => void | Promise<void>) | undefined;
      if (!fn) continue;
      try {
        await fn.call(o, arg);
      } catch (err) {
        logger.warn({ error: errorMessage(err), event }, 'run observer failed');
      }
    }
  };
  return {
    planned: (plan) => call('planned', plan),
    bundleStarted: (item) => call('bundleStarted', item),
    bundleDone: (report) => call('bundleDone', report),
    runDone: (report) => call('runDone', report),
  };
}
