/**
 * Named limits and deadlines of the provisioner. Every wait and every retry loop has a deadline; every
 * fan-out has a bound. Tests shorten the deadlines through ProvisionerDeps.tuning.
 */

/** Functions of one bundle staged and created/converged at once (Lambda is rate-limited anyway). */
export const FUNCTION_CONCURRENCY = 2;
/** Static assets of one bundle uploaded at once. */
export const ASSET_CONCURRENCY = 4;

/** Key prefix of staged function code in the apps bucket: deployer/code/<sha256 hex>.zip */
export const CODE_PREFIX = 'deployer/code/';

/** User-metadata key (lower case) holding an object's sha256 hex (static assets, staged code). */
export const SHA256_METADATA = 'sha256';

/** The managed policy that lets Lambda write logs; attached to the execute role. */
export const BASIC_EXECUTION_POLICY_PATH = 'policy/service-role/AWSLambdaBasicExecutionRole';
/** The managed policy functions in a VPC need (ENIs); attached to the execute role when VPC is set. */
export const VPC_EXECUTION_POLICY_PATH = 'policy/service-role/AWSLambdaVPCAccessExecutionRole';

export interface ProvisionTuning {
  /** FunctionActiveV2 after CreateFunction (seconds) */
  waitActiveSeconds: number;
  /** FunctionUpdatedV2 after any update (seconds) */
  waitUpdatedSeconds: number;
  /** how long "cannot be assumed by Lambda" is retried while the execute role is new (ms) */
  iamPropagationDeadlineMs: number;
  /** a role created less than this long ago counts as new (IAM propagation may still be running) */
  roleNewWindowMs: number;
  /** ResourceConflictException (update in progress) and throttling retried for this long (ms) */
  conflictDeadlineMs: number;
  /** backoff: first delay and cap (ms), full jitter */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

export const DEFAULT_TUNING: ProvisionTuning = {
  waitActiveSeconds: 300,
  waitUpdatedSeconds: 300,
  iamPropagationDeadlineMs: 180_000,
  roleNewWindowMs: 600_000,
  conflictDeadlineMs: 120_000,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 10_000,
};
