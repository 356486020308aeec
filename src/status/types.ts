/**
 * The `status` document: what is deployed, what is waiting, what was refused and why, and how the
 * last runs went. Built from the three listings a run makes (release prefix, manifests/, deployer/
 * markers), the lock and the last run records; `status APP_ID` adds each version's details (manifest
 * metadata, marker bodies). `status --json` prints it.
 * Version 2: details (manifest metadata, issues) only with an app id; `failed` added; `appId`.
 */
import type { Issue } from '../bundle/types';
import type { ReleaseLayout } from '../config';
import type { BundleOutcome, PlanAction } from '../reconcile/types';
import type { LayoutMove } from './layout';

export const STATUS_VERSION = 2;

export interface ProvisionedApp {
  appId: string;
  version: string;
  manifestKey: string;
  /** LastModified of the manifest (from the listing): when the version went live */
  deployedAt?: string;
  /** from the manifest's metadata, read with `status APP_ID` only (written by the deployer; absent for
   * manifests written by others) */
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
  /** the marker holding the verdict (from the listing) */
  markerKey?: string;
  /** when and by which run it was judged (marker body, read with `status APP_ID` only) */
  at?: string;
  runId?: string;
  /** rejections: the validation issues (`status APP_ID`); non-canonical keys and conflicts: the message */
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

/** A version `prune` retired (a retired marker under deployer/seen/): never provisioned again. */
export interface RetiredVersion {
  appId: string;
  version: string;
  /** false while the retirement is incomplete (retired marker, no pruned marker): `prune --apply`
   * completes it */
  complete: boolean;
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
  /** `status APP_ID`: the document covers that app only, with the details of each version */
  appId?: string;
  /** whether manifest metadata and marker bodies were read (only for one app) */
  details: boolean;
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
  /** versions retired by `prune` (their release bundles, if still listed, are known-retired) */
  retired?: RetiredVersion[];
  /** the last runs, newest first */
  runs: RunSummary[];
  /** records that could not be read (a run record that is not JSON, a marker without body) */
  problems: string[];
}
