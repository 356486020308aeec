/**
 * What every provisioning step receives: the (write-guarded) ports, the configuration, a logger, the
 * event sink, and `retry`, the one wrapper every AWS call of a step goes through.
 */
import type { Readable } from 'node:stream';
import type { AwsPorts } from '../aws/ports';
import type { BundleEntryRange } from '../bundle/types';
import type { DeployerConfig } from '../config';
import type { Logger } from '../log';
import type { ProvisionTuning } from './constants';
import type { RetryClock } from './retry';
import type { ProvisionEvent, UploadProgress } from './types';

export interface StepContext {
  ports: AwsPorts;
  config: DeployerConfig;
  logger: Logger;
  tuning: ProvisionTuning;
  /** bundle file name, for messages ("(no bundle)" for IAM) */
  bundle: string;
  emit(event: ProvisionEvent): void;
  /** bytes of an upload so far (ProvisionOptions.onBytes) */
  onBytes?: (progress: UploadProgress) => void;
  /** runs `op` through withRetry with this step's name and resource */
  retry<T>(step: string, resource: string, op: () => Promise<T>): Promise<T>;
  clock: RetryClock;
  /** streams one entry of the bundle being provisioned: exactly the range validation judged, failing
   * (before the stream ends) when its size, CRC-32 or sha256 is not what validation saw */
  openEntry(range: BundleEntryRange): Readable;
}
