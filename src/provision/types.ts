import type { Logger } from '../log';
/**
 * Public types of the provisioner: the engine that makes one validated bundle live in AWS, used by
 * `apps-deployer provision` and by each reconcile worker. Contracts: DESIGN.md "Reconcile: the contract"
 * (commit order, invariant I1, existing functions, static assets, AWS realities, IAM).
 */

export type ResourceOutcome = 'created' | 'updated' | 'unchanged';

export interface ProvisionOptions {
  /** id of this run; written into the manifest's metadata (and the lock, by reconcile) */
  runId: string;
  /** redeploy a version that is already provisioned (provision --update, reconcile --replace) */
  replace?: boolean;
  /** canonical release key and listed ETag, recorded in the manifest's metadata (reconcile) */
  releaseKey?: string;
  releaseEtag?: string;
  /** write the version record (record.ts) even when the manifest exists (verify --repair) */
  writeRecord?: boolean;
  /** called before every AWS write; throws (e.g. LockLostError) to stop all writes */
  assertCanWrite?: () => void;
  /** bytes of function code and assets streamed to S3 so far (a progress bar on a terminal); called
   * for every chunk read from the bundle: the caller throttles what it draws */
  onBytes?: (progress: UploadProgress) => void;
  /**
   * the bundle's logger, carrying bundle, app id and version (and the run id); by default a child of
   * the provisioner's logger with those keys, so that bundles provisioned in parallel can be told apart
   */
  logger?: Logger;
}

/** One upload of the provisioner (a function's code being staged, or a static asset). */
export interface UploadProgress {
  step: 'stage-code' | 'asset';
  /** the S3 key being written */
  resource: string;
  /** the bundle's entry it comes from ("fn0.zip", "static/photo.png") */
  entry: string;
  /** bytes read from the bundle and handed to S3 so far (from 0 again when an upload is retried) */
  bytes: number;
  /** the object's size */
  total: number;
}

export interface FunctionResult {
  name: string;
  lambdaName: string;
  outcome: ResourceOutcome;
}

export interface AssetResult {
  key: string;
  outcome: ResourceOutcome;
}

export interface ProvisionResult {
  appId: string;
  version: string;
  /** 'provisioned': the manifest was written by this call; 'already-provisioned': it existed with
   * this bundle and everything converged without a write */
  status: 'provisioned' | 'already-provisioned';
  manifestKey: string;
  functions: FunctionResult[];
  assets: AssetResult[];
  durationMs: number;
}

/** Progress events the provisioner emits; the CLI maps them to progress lines and log levels. */
export type ProvisionEvent =
  | {
      type: 'step';
      step: 'iam' | 'stage-code' | 'function' | 'asset' | 'manifest';
      resource: string;
      outcome?: ResourceOutcome;
    }
  | { type: 'retry'; step: string; resource: string; attempt: number; reason: string };

export type ProvisionEventSink = (event: ProvisionEvent) => void;

/** Metadata keys written on the manifest object (S3 user metadata, lower-case). */
export const MANIFEST_METADATA = {
  bundleSha256: 'bundle-sha256',
  releaseEtag: 'release-etag',
  releaseKey: 'release-key',
  deployerVersion: 'deployer-version',
  runId: 'run-id',
  /** sha256 hex of the stored manifest body: `verify` compares the body against it */
  manifestSha256: 'manifest-sha256',
} as const;

/** Tags on every function the deployer manages. */
export const FUNCTION_TAGS = {
  managedBy: 'mattermost-apps-managed-by',
  managedByValue: 'apps-deployer',
  appId: 'mattermost-app-id',
  version: 'mattermost-app-version',
  bundleSha256: 'mattermost-app-bundle-sha256',
} as const;

/** What `provision --dry-run` shows: the provisioner's decisions from reads only (Provisioner.plan). */
export type PlannedAction = 'create' | 'update' | 'unchanged' | 'conflict';

export interface ProvisionPlan {
  appId: string;
  version: string;
  manifestKey: string;
  /** create: not provisioned yet · unchanged: provisioned from this bundle · replace: provisioned from
   * another bundle and replace was asked · conflict: provisioned from another bundle */
  manifest: 'create' | 'unchanged' | 'replace' | 'conflict';
  /** the execute role: present, to be created, or missing while IAM creation is disabled (an error) */
  executeRole: 'exists' | 'create' | 'missing';
  functions: (Omit<FunctionResult, 'outcome'> & { action: PlannedAction; reason?: string })[];
  code: { key: string; action: PlannedAction }[];
  assets: { key: string; action: PlannedAction }[];
  conflicts: string[];
}
