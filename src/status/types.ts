/**
 * The `status` document: what is deployed, what is waiting, what was refused and why, and how the
 * last runs went. Built from the three listings a run makes (release prefix, manifests/, deployer/
 * markers), the lock and the last run records; `status APP_ID` adds each version's details (manifest
 * metadata, marker bodies). `status --json` prints it.
 * Version 2: details (manifest metadata, issues) only with an app id; `failed` added; `appId`.
 * Added since (no version change): `runsTotal`, `runs[].kind` and `runs[].provision` (provision runs),
 * `provisioned[].releaseEtag` and `provisioned[].releaseDrift` (with an app id).
 */
import type { Issue } from '../bundle/types';
import type { ReleaseLayout } from '../config';
import type { BundleOutcome, PlanAction, ProvisionRunInfo, RunKind } from '../reconcile/types';
import type { LayoutMove } from './layout';
import type { LastVerify } from '../verify/types';

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
  releaseEtag?: string;
  bundleSha256?: string;
  /** `status APP_ID`: the release object under the version's key is another bundle than the one
   * provisioned (after `provision --update`); absent when they agree or cannot be compared */
  releaseDrift?: ReleaseDrift;
}

/** A provisioned version whose release object differs from the bundle it runs (status/drift.ts). */
export interface ReleaseDrift {
  /** the release object listed now under the version's canonical key, and its ETag */
  releaseKey: string;
  releaseEtag: string;
  /** that object's bundle sha256, as the run that judged it recorded */
  releaseSha256: string;
  /** the bundle the manifest names (what runs) */
  provisionedSha256: string;
  /** 'disk': written by `provision` (no release key in its metadata); 'release': by a reconcile run */
  provisionedFrom: 'disk' | 'release';
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
  /** a reconcile run, or `apps-deployer provision` of one bundle from disk */
  kind: RunKind;
  /** provision runs: which file, app version and bundle, and whether it was `--update` */
  provision?: ProvisionRunInfo;
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
  /** the last runs (reconcile and provision), newest first: at most the number asked (`--runs N`) */
  runs: RunSummary[];
  /** run records there are in all (`runs` shows the newest of them) */
  runsTotal?: number;
  /** the last `verify` and the drift it found (that app's only, with an app id); absent: none yet */
  lastVerify?: LastVerify;
  /** records that could not be read (a run record that is not JSON, a marker without body) */
  problems: string[];
  /** `status APP_ID` (with a Lambda port): the storage the deployer accounts for (status/storage.ts) */
  storage?: StorageUsage;
}

/** One provisioned version's storage: its functions' code and the staged objects it came from. */
export interface VersionStorage {
  version: string;
  /** functions of ours found (missing or foreign ones are `unaccounted`) */
  functions: number;
  /** sum of GetFunction's CodeSize: counted against Lambda's code storage of the region */
  functionCodeBytes: number;
  /** deployer/code/<sha256>.zip objects its functions use */
  stagedCodeObjects: number;
  stagedCodeBytes: number;
}

export interface StorageUsage {
  byVersion: VersionStorage[];
  functions: number;
  functionCodeBytes: number;
  /** distinct staged objects (one object may serve versions with the same code) */
  stagedCodeObjects: number;
  stagedCodeBytes: number;
  /** functions a manifest declares that were not counted: missing, not ours, unreadable */
  unaccounted: { version: string; lambdaName: string; reason: string }[];
}
