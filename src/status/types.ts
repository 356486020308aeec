/**
 * The `status` document: what is deployed, what is waiting, what was refused and why, and how the
 * last runs went. Built from the apps bucket and the release listing; `status --json` prints it.
 */
import type { Issue } from '../bundle/types';
import type { ReleaseLayout } from '../config';
import type { BundleOutcome, PlanAction } from '../reconcile/types';
import type { LayoutMove } from './layout';

export const STATUS_VERSION = 1;

export interface ProvisionedApp {
  appId: string;
  version: string;
  manifestKey: string;
  /** LastModified of the manifest: when the version went live */
  deployedAt?: string;
  /** from the manifest's metadata (written by the deployer; absent for manifests written by others) */
  runId?: string;
  deployerVersion?: string;
  releaseKey?: string;
  bundleSha256?: string;
}

export interface PendingBundle {
  releaseKey: string;
  appId?: string;
  version?: string;
  /** what the next reconcile will do with it */
  action: PlanAction;
  reason?: string;
  size: number;
}

export interface JudgedBundle {
  releaseKey: string;
  appId?: string;
  version?: string;
  etag: string;
  /** the marker the verdict was read from */
  markerKey?: string;
  /** when and by which run it was judged (marker body) */
  at?: string;
  runId?: string;
  /** rejections: the validation issues; non-canonical keys and conflicts: the message */
  issues: Issue[];
  message?: string;
}

export interface RunSummary {
  key: string;
  runId: string;
  startedAt: string;
  durationMs: number;
  exitCode: number;
  dryRun: boolean;
  counts: Partial<Record<BundleOutcome['status'], number>>;
  /** AWS requests the run sent, all operations together */
  requests: number;
  /** a failure of the run itself (not of one bundle) */
  error?: { code: string; message: string };
}

export type LockState =
  | { held: false }
  | {
      held: true;
      etag?: string;
      /** LastModified: when it was taken or last renewed */
      since?: string;
      /** since + the configured TTL (approximate: S3's clock decides) */
      staleAfter?: string;
      runId?: string;
      host?: string;
      pid?: number;
      startedAt?: string;
    };

export interface StatusReport {
  statusVersion: typeof STATUS_VERSION;
  generatedAt: string;
  appsBucket: string;
  releaseBucket: string;
  releasePrefix: string;
  releaseLayout?: ReleaseLayout;
  /** release keys canonical only in the other layout: to move after switching (status/layout.ts) */
  layoutMoves?: LayoutMove[];
  lock: LockState;
  provisioned: ProvisionedApp[];
  /** release bundles the next reconcile will download and judge */
  pending: PendingBundle[];
  /** release bundles rejected (known): not downloaded again until a new object is uploaded */
  rejected: JudgedBundle[];
  /** release bundles whose bytes differ from the provisioned version (known conflicts) */
  conflicts: JudgedBundle[];
  /** release bundles AWS refused after validation (marked failed): retried only with
   * `reconcile --retry-failed` or a new upload */
  failed: JudgedBundle[];
  /** release bundles judged and provisioned (or identical re-uploads) */
  upToDate: number;
  /** the last runs, newest first */
  runs: RunSummary[];
  /** records that could not be read (a run record that is not JSON, a marker without body) */
  problems: string[];
}
