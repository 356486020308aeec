import { DeployerError } from '../../errors';

/** A report could not be delivered (webhook, Pushgateway). Observers log it; it never fails a run.
 * The message names the channel, never its URL (a Mattermost webhook URL is a secret). */
export class DeliveryError extends DeployerError {
  constructor(channel: string, detail: string, cause?: unknown) {
    super(`could not deliver the ${channel}: ${detail}`, {
      code: 'REPORT_DELIVERY_FAILED',
      cause,
      resource: channel,
      hint: `check that the ${channel} URL is reachable from the deployer and accepts the request; the run itself is not affected`,
    });
  }
}
