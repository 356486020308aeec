/**
 * The `verify` document: every drift from invariant I1 and the desired settings found over the
 * provisioned versions, named by app, version, resource and what differs; notices for what could not
 * be checked; foreign objects under a version's static prefix; with --repair, what was repaired.
 * `verify --json` prints it; the last one (summarized) is kept at deployer/verify/last.json for `status`.
 * Version 1.
 */
export const VERIFY_VERSION = 1;

/** Where the last verify's summary is kept (apps bucket). */
export const LAST_VERIFY_KEY = 'deployer/verify/last.json';
/** Drift entries kept in the last verify's summary (the count is always whole). */
export const LAST_VERIFY_MAX_DRIFT = 50;
/** Versions checked at once. Each checks its functions FUNCTION_CHECKS at a time, so GetFunction calls
 * in flight stay ≤ VERIFY_CONCURRENCY × FUNCTION_CHECKS, well within GetFunction's own pool. */
export const VERIFY_CONCURRENCY = 8;
export const FUNCTION_CHECKS = 2;
export const ASSET_CHECKS = 4;

export type DriftKind =
  /** the function does not exist */
  | 'function-missing'
  /** State or LastUpdateStatus Failed (Inactive is idleness, healthy) */
  | 'function-failed'
  /** CodeSha256 differs from the bundle's */
  | 'function-code'
  /** a setting differs from the effective settings (timeout, memory, VPC, environment, runtime, ...) */
  | 'function-config'
  /** a deployer tag is missing or differs */
  | 'function-tags'
  /** a function with the version's name that the deployer does not own for this version: a conflict
   * (never repaired: a tag-scoped guard) */
  | 'function-owner'
  | 'asset-missing'
  /** the asset's sha256 metadata or Content-Type differs */
  | 'asset-content'
  /** the manifest body's sha256 differs from the one stored in its metadata at provisioning */
  | 'manifest-hash'
  /** the manifest body is not a manifest the deployer wrote (not JSON, no functions) */
  | 'manifest-unreadable';

export interface Drift {
  appId: string;
  version: string;
  kind: DriftKind;
  /** function name, asset key or manifest key */
  resource: string;
  /** what differs, e.g. "Timeout: 30 (expected 120)" */
  detail: string;
  /** --repair can converge it from the release bundle */
  repairable: boolean;
}

export interface Notice {
  appId: string;
  version: string;
  resource: string;
  message: string;
}

export interface ForeignObject {
  appId: string;
  version: string;
  key: string;
}

export type RepairStatus =
  /** converged from the release bundle */
  | 'repaired'
  /** not touched: the release bundle is gone, changed, or not recorded; or only unrepairable drift */
  | 'not-repaired'
  /** the repair failed (the error's message) */
  | 'failed';

export interface RepairResult {
  appId: string;
  version: string;
  status: RepairStatus;
  message: string;
}

export interface VerifyReport {
  verifyVersion: typeof VERIFY_VERSION;
  generatedAt: string;
  runId: string;
  only?: string;
  repair: boolean;
  /** provisioned versions checked (manifests listed) */
  versions: number;
  /** functions and assets looked at */
  functions: number;
  assets: number;
  /** drift left at the end (after repair, what is still there) */
  drift: Drift[];
  /** with --repair: the drift found before repairing */
  driftBefore?: Drift[];
  repairs: RepairResult[];
  foreign: ForeignObject[];
  notices: Notice[];
  /** AWS requests sent, by operation ("Lambda.GetFunction") */
  requests: Record<string, number>;
  durationMs: number;
  /** 0 no drift left · 1 drift (DESIGN.md "Exit codes") */
  exitCode: number;
}

/** What status shows: the last verify, summarized. */
export interface LastVerify {
  verifyVersion: typeof VERIFY_VERSION;
  at: string;
  runId: string;
  only?: string;
  repair: boolean;
  versions: number;
  driftCount: number;
  /** the first LAST_VERIFY_MAX_DRIFT drift entries */
  drift: Drift[];
  foreignCount: number;
}
