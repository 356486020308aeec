/**
 * Public types of the reconcile job: the plan, per-bundle outcomes, the run report, the deployer's
 * state keys, and the observer interface through which reports (TTY progress, webhooks, Pushgateway)
 * follow a run. Contracts: DESIGN.md "Reconcile: the contract", "Exit codes".
 */
import type { Issue } from '../bundle/types';
import type { FailureClass } from '../aws/failure-class';
import type { ProvisionResult } from '../provision/types';

/** Version of the plan and report JSON documents. Report v2: `bundles` lists only the bundles judged
 * in the run (changed, rejected, conflicting, failed); unchanged ones are counted in `unchanged`. */
export const PLAN_VERSION = 1;
export const REPORT_VERSION = 2;

/** Version of the bundle validation rules. Bump it when rules change: rejections recorded under an
 * older version are checked again (their marker no longer matches). */
export const VALIDATOR_VERSION = 1;

/** Keys of the deployer's own state in the apps bucket. */
export const STATE_KEYS = {
  lock: 'deployer/lock',
  /** deployer/seen/<stem>/<etag>/<outcome>-v<validator version>: one empty-ish marker per judged object */
  seenPrefix: 'deployer/seen/',
  /** stem used for release keys that are not canonical: _noncanonical/<sha256 hex of the key> */
  nonCanonicalStem: '_noncanonical',
  runsPrefix: 'deployer/runs/',
  codePrefix: 'deployer/code/',
  manifestsPrefix: 'manifests/',
} as const;

/** 'conflict': other bytes (or code) under a published version. 'collision': a conflict found while the
 * version had no manifest (a function name taken by another app): known until a new object is uploaded
 * under the key, or until --replace tries again. 'failed': AWS refused the bundle's content after our
 * validation (a permanent failure): known until a new upload, or `reconcile --retry-failed`.
 * 'retired': `prune --apply` retires the version (written first; its body records what to remove);
 * 'pruned': written last, once the manifest, functions and assets are gone. Either one, under ANY ETag
 * of the stem, makes every release object of that version known-retired (src/prune). */
export type MarkerOutcome =
  'provisioned' | 'identical' | 'conflict' | 'collision' | 'rejected' | 'failed' | 'retired' | 'pruned';

/** What a retirement removes, recorded in the `retired` marker before anything is removed, so that a
 * rerun after a crash completes it even once the manifest is gone (src/prune/retire.ts). */
export interface RetirementRecord {
  appId: string;
  version: string;
  /** the manifest's ETag when the retirement was decided (deleted with If-Match on it) */
  manifestEtag?: string;
  /** Lambda names of the manifest's functions (deleted only when their tags name this version) */
  functions: string[];
  /** static asset keys the release bundle named; absent when the bundle could not be read (then no
   * asset is deleted: only keys a bundle named are ever removed) */
  assets?: string[];
  /** why `assets` is absent */
  assetsNote?: string;
}

/** What a marker's body holds (status reads it; the plan needs only the key). */
export interface MarkerBody {
  releaseKey: string;
  etag: string;
  outcome: MarkerOutcome;
  validatorVersion: number;
  runId: string;
  at: string;
  bundleSha256?: string;
  /** rejection issues or the conflict's message */
  issues?: Issue[];
  message?: string;
  /** a permanent failure: the AWS error's name and the classifier's row */
  errorName?: string;
  failureRule?: string;
  /** 'retired' markers: what the retirement removes */
  retirement?: RetirementRecord;
}

export type PlanAction =
  /** canonical key, no manifest, not judged: download, validate, provision */
  | 'provision'
  /** the manifest exists but this object (ETag) was never judged: download, hash, compare */
  | 'check-reupload'
  /** rejected under an older validator version: judge again */
  | 'recheck-rejected'
  /** judged before (provisioned / identical) and the manifest exists */
  | 'up-to-date'
  /** up to date, but the app's function settings changed (its settings fingerprint differs or is
   * missing): converge its functions from the bundle (settings/fingerprint.ts) */
  | 'converge-settings'
  | 'known-conflict'
  | 'known-rejection'
  /** marked failed (AWS refused its content): left until a new upload or --retry-failed */
  | 'known-failure'
  /** listed larger than the bundle size limit: rejected and marked without a download */
  | 'reject-oversized'
  /** a key that is not <prefix><app_id>_<version>.zip, seen for the first time: reject and mark */
  | 'reject-non-canonical'
  | 'known-non-canonical'
  /** an app id whose Lambda names are those of another provisioned app (squatting): reject and mark */
  | 'reject-name-taken'
  /** the version was retired by `prune` (a retired marker under any ETag of its stem): never
   * provisioned again, whatever object is listed under its key (versions are immutable) */
  | 'known-retired';

export interface PlanItem {
  releaseKey: string;
  etag: string;
  size: number;
  appId?: string;
  version?: string;
  action: PlanAction;
  /** why (for known rejections/conflicts: the marker's outcome) */
  reason?: string;
}

export interface Plan {
  planVersion: typeof PLAN_VERSION;
  runId: string;
  createdAt: string;
  releaseBucket: string;
  releasePrefix: string;
  appsBucket: string;
  replace: boolean;
  only?: string;
  items: PlanItem[];
  counts: Partial<Record<PlanAction, number>>;
}

export type BundleOutcome =
  | { status: 'provisioned'; result: ProvisionResult }
  /** a re-upload whose bytes equal the provisioned bundle */
  | { status: 'identical' }
  | { status: 'rejected'; issues: Issue[] }
  | { status: 'conflict'; message: string }
  /** transient or configuration failure: not marked, the next run retries; permanent: marked failed */
  | {
      status: 'failed';
      code: string;
      message: string;
      /** the classifier's verdict (aws/failure-class.ts) and the error's class name */
      failureClass?: FailureClass;
      errorName?: string;
    }
  /** nothing to do for this item (up-to-date or known) */
  | { status: 'skipped' };

/** Every outcome status, in the order reports list them. */
export const OUTCOME_STATUSES: readonly BundleOutcome['status'][] = [
  'provisioned',
  'identical',
  'rejected',
  'conflict',
  'failed',
  'skipped',
];

export interface BundleReport {
  releaseKey: string;
  etag: string;
  appId?: string;
  version?: string;
  action: PlanAction;
  outcome: BundleOutcome;
  durationMs: number;
}

export interface RunReport {
  reportVersion: typeof REPORT_VERSION;
  runId: string;
  deployerVersion: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  dryRun: boolean;
  exitCode: number;
  /** every release bundle of the run by outcome ('skipped' = unchanged or known) */
  counts: Partial<Record<BundleOutcome['status'], number>>;
  /** the unchanged ('skipped') bundles by plan action (up-to-date, known-conflict, known-rejection…):
   * counted, never listed, so that a report's size follows the work, not the fleet */
  unchanged: Partial<Record<PlanAction, number>>;
  /** only the bundles judged in this run (every outcome but 'skipped') */
  bundles: BundleReport[];
  /** AWS requests sent by operation ("S3.ListObjectsV2": 3), up to the run record: the record's own
   * write and the lock's release come after it and are not counted (durationMs ends there too), so
   * the record, the printed summary and --json show the same figures */
  requests: Record<string, number>;
  /** a failure of the run itself (listing, lock lost...), not of one bundle; exitCode is then 1 */
  error?: { code: string; message: string };
  /** where the run record was written (deployer/runs/...), when it was */
  recordKey?: string;
  /** what wrote the record: a reconcile run (also when absent: records before this field) or
   * `apps-deployer provision` (one bundle from local disk: its `bundles` entry names the file where a
   * release key would be, with an empty ETag, and `provision` says which version it was) */
  kind?: RunKind;
  provision?: ProvisionRunInfo;
}

export type RunKind = 'reconcile' | 'provision';

/** The bundle a `provision` run deployed from local disk. */
export interface ProvisionRunInfo {
  /** the file's name (no directories) */
  file: string;
  appId: string;
  version: string;
  bundleSha256: string;
  /** `provision --update`: a provisioned version redeployed (its release object may now differ) */
  update: boolean;
}

/** Follows a run: TTY progress, webhooks, Pushgateway. Implementations must not throw (log instead). */
/** Bytes of a bundle transferred so far (a terminal shows them as a progress bar): its download, or
 * one of the uploads of its provisioning (function code staged, a static asset). */
export interface BytesProgress {
  item: PlanItem;
  step: 'download' | 'stage-code' | 'asset';
  bytes: number;
  /** the listed size (download), the object's size (uploads) */
  total: number;
  /** uploads: the bundle's entry being sent ("fn0.zip", "static/photo.png") */
  entry?: string;
}

export interface RunObserver {
  planned?(plan: Plan): void | Promise<void>;
  bundleStarted?(item: PlanItem): void | Promise<void>;
  bundleBytes?(progress: BytesProgress): void | Promise<void>;
  bundleDone?(report: BundleReport): void | Promise<void>;
  runDone?(report: RunReport): void | Promise<void>;
}
