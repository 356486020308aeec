/**
 * The one classifier of failures (DESIGN.md "Reconcile: the contract" → "Failure classes"). Every
 * error the deployer meets — an SDK exception, a network error, one of our own DeployerErrors wrapping
 * either — is judged here by a table, never by a try/catch of its own:
 *
 *  - transient: throttling, 5xx, network errors and timeouts, waiter deadlines, a lost lock, IAM
 *    propagation. Nothing is marked; the next run retries.
 *  - configuration: access denied, a missing bucket or role, missing or invalid credentials, an
 *    account quota. Nothing is marked; the run stops with exit 2 and the message names what to fix.
 *  - permanent: ONLY the listed errors that the bundle's content causes (AWS refusing the function's
 *    code or handler after our validation; a manifest S3 refuses to store). Marked `failed` by ETag,
 *    alerted once, retried only with `reconcile --retry-failed`.
 *
 * An error no row matches is transient, and its class name (err.name) is reported with it, so that
 * the table can grow. Rows are tried in order; the first match wins.
 */
import { DeployerError, ExitCode } from '../errors';
import { AwsConfigurationError, AwsUnavailableError, THROTTLING_NAMES, httpStatusOf } from './errors';

export type FailureClass = 'transient' | 'configuration' | 'permanent';

export interface Classification {
  failureClass: FailureClass;
  /** the table row that matched ("unknown" when none did) */
  rule: string;
  /** the root cause's class name or code (err.name, Code, or a Node error code) */
  name: string;
  /** the root cause's message */
  detail: string;
  /** what the operator should fix (configuration), or what happened (permanent) */
  fix?: string;
  /** the provisioning step the failure happened in, when known ("function", "manifest", ...) */
  step?: string;
}

interface Rule {
  id: string;
  failureClass: FailureClass;
  /** error names, service codes (Code) or Node error codes (ECONNREFUSED) */
  names?: readonly string[];
  /** HTTP status predicate */
  status?: (status: number) => boolean;
  /** the message must match (with names or status) */
  message?: RegExp;
  /** only in these steps (ProvisionStepError.step) */
  steps?: readonly string[];
  fix?: string;
}

export const CREDENTIALS_FIX =
  'provide AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or IRSA ' +
  '(AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE); for `provision`, APPS_PROVISION_AWS_ACCESS_KEY and ' +
  'APPS_PROVISION_AWS_SECRET_KEY';
export const BUCKET_FIX =
  'set MM_APPS_S3_BUCKET / MM_APPS_RELEASE_BUCKET to buckets that exist in AWS_REGION (and check AWS_ENDPOINT_URL)';
export const ACCESS_FIX =
  "grant the deployer's principal the IAM permission named in the message (deploy/iam/deployer-policy.json " +
  'lists every action it needs) on MM_APPS_S3_BUCKET / MM_APPS_RELEASE_BUCKET, its functions and roles';
const QUOTA_FIX =
  'an account quota is reached: raise it in AWS Service Quotas, or retire old versions (`apps-deployer prune`)';
const SETTINGS_FIX =
  'Lambda refused a function setting that comes from configuration: check APPS_DEPLOYER_LAMBDA_* ' +
  '(subnets, security groups, memory, timeout, environment), APPS_DEPLOYER_OVERRIDES_FILE and the execute role';

/** The table, in order. Exported for tests and for the README's list. */
export const FAILURE_RULES: readonly Rule[] = [
  // --- permanent: the bundle's content, refused by AWS after our validation
  {
    id: 'lambda-code-refused',
    failureClass: 'permanent',
    names: [
      'CodeVerificationFailedException',
      'InvalidCodeSignatureException',
      'RequestEntityTooLargeException',
    ],
    fix: "Lambda refused the function's code",
  },
  {
    id: 'iam-propagation',
    failureClass: 'transient',
    names: ['InvalidParameterValueException'],
    message: /cannot be assumed by Lambda/i,
  },
  {
    id: 'lambda-code-invalid',
    failureClass: 'permanent',
    names: ['InvalidParameterValueException'],
    message: /unzip|zip file|non-empty zip|handler|runtime/i,
    steps: ['function'],
    fix: "Lambda refused the function's code, handler or runtime",
  },
  {
    id: 'manifest-refused',
    failureClass: 'permanent',
    names: ['InvalidArgument', 'MetadataTooLarge', 'EntityTooLarge', 'KeyTooLongError', 'InvalidRequest'],
    steps: ['manifest'],
    fix: 'S3 refused to store the manifest',
  },
  // --- configuration
  {
    id: 'lambda-settings',
    failureClass: 'configuration',
    names: ['InvalidParameterValueException', 'InvalidSubnetIDException', 'InvalidSecurityGroupIDException'],
    message: /subnet|security ?group|vpc|kms|memory|timeout|environment|role|architecture/i,
    fix: SETTINGS_FIX,
  },
  {
    id: 'quota',
    failureClass: 'configuration',
    names: [
      'CodeStorageExceededException',
      'LimitExceeded',
      'LimitExceededException',
      'ResourceLimitExceeded',
      'ResourceLimitExceededException',
      'ServiceQuotaExceededException',
      'EC2ThrottledException',
      'ENILimitReachedException',
      'TooManyBuckets',
      'QuotaExceeded',
    ],
    fix: QUOTA_FIX,
  },
  {
    id: 'credentials',
    failureClass: 'configuration',
    names: [
      'CredentialsProviderError',
      'InvalidAccessKeyId',
      'SignatureDoesNotMatch',
      'InvalidClientTokenId',
      'UnrecognizedClientException',
      'ExpiredToken',
      'ExpiredTokenException',
      'InvalidToken',
      'TokenRefreshRequired',
      'IncompleteSignature',
      'MissingAuthenticationToken',
    ],
    fix: CREDENTIALS_FIX,
  },
  {
    id: 'access-denied',
    failureClass: 'configuration',
    names: [
      'AccessDenied',
      'AccessDeniedException',
      'UnauthorizedOperation',
      'AuthorizationError',
      'Forbidden',
    ],
    fix: ACCESS_FIX,
  },
  { id: 'forbidden', failureClass: 'configuration', status: (s) => s === 403, fix: ACCESS_FIX },
  { id: 'no-such-bucket', failureClass: 'configuration', names: ['NoSuchBucket'], fix: BUCKET_FIX },
  {
    id: 'missing-role',
    failureClass: 'configuration',
    names: ['NoSuchEntity', 'NoSuchEntityException'],
    steps: ['iam'],
    fix: 'the execute role or the invoke principal is missing: create it, or set APPS_DEPLOYER_CREATE_IAM=true, or fix APPS_DEPLOYER_EXECUTE_ROLE / APPS_DEPLOYER_INVOKE_GROUP / APPS_DEPLOYER_INVOKE_ROLE',
  },
  // --- transient
  { id: 'throttling', failureClass: 'transient', names: THROTTLING_NAMES },
  { id: 'throttling-429', failureClass: 'transient', status: (s) => s === 429 },
  {
    id: 'update-in-progress',
    failureClass: 'transient',
    names: ['ResourceConflictException'],
  },
  {
    id: 'conditional-conflict',
    failureClass: 'transient',
    names: ['ConditionalRequestConflict', 'OperationAborted', 'PreconditionFailed'],
  },
  {
    id: 'server-error',
    failureClass: 'transient',
    names: [
      'ServiceException',
      'InternalError',
      'InternalFailure',
      'InternalServerError',
      'ServiceUnavailable',
      'ServiceUnavailableException',
      'ServiceFailure',
    ],
  },
  { id: 'server-error-5xx', failureClass: 'transient', status: (s) => s >= 500 },
  {
    id: 'network',
    failureClass: 'transient',
    names: [
      'ECONNREFUSED',
      'ECONNRESET',
      'ECONNABORTED',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'TimeoutError',
      'RequestTimeout',
      'RequestTimeoutException',
      'NetworkingError',
    ],
  },
  { id: 'network-message', failureClass: 'transient', message: /socket hang up|network|timed? ?out/i },
];

/** Our own errors whose code decides the class (the others are judged by their cause). */
const DEPLOYER_CODES: Readonly<Record<string, FailureClass>> = {
  CONFIG: 'configuration',
  USAGE: 'configuration',
  IAM: 'configuration',
  AWS_CONFIGURATION: 'configuration',
  AWS_UNAVAILABLE: 'transient',
  LOCK_LOST: 'transient',
  ABORTED: 'transient',
  DEADLINE: 'transient',
  AWS_WAIT_TIMEOUT: 'transient',
  CONCURRENT_WRITE: 'transient',
  RELEASE_CHANGED: 'transient',
};

/** Every name an error answers to: class name, service code (Code / code), Node error code. */
function namesOf(err: unknown): string[] {
  if (typeof err !== 'object' || err === null) return [];
  const e = err as { name?: unknown; Code?: unknown; code?: unknown; errno?: unknown };
  return [e.name, e.Code, e.code].filter((v): v is string => typeof v === 'string' && v !== '');
}

function mainName(err: unknown): string {
  const names = namesOf(err);
  // a Node network error is an "Error" whose code says what happened
  return names.find((n) => n !== 'Error') ?? names[0] ?? typeof err;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function matches(rule: Rule, err: unknown, step: string | undefined): boolean {
  if (rule.steps && (step === undefined || !rule.steps.includes(step))) return false;
  const names = namesOf(err);
  if (rule.names && !rule.names.some((n) => names.includes(n))) return false;
  if (rule.status) {
    const status = httpStatusOf(err);
    if (status === undefined || !rule.status(status)) return false;
  }
  if (rule.message && !rule.message.test(messageOf(err))) return false;
  return rule.names !== undefined || rule.status !== undefined || rule.message !== undefined;
}

/** The AWS (or network) error under our wrappers, and the step it happened in. */
function unwrap(err: unknown): { root: unknown; step?: string; code?: string } {
  let current: unknown = err;
  let step: string | undefined;
  for (let depth = 0; depth < 8; depth++) {
    if (!(current instanceof DeployerError)) return { root: current, step };
    if (DEPLOYER_CODES[current.code] !== undefined) return { root: current, step, code: current.code };
    const s = (current as { step?: unknown }).step;
    if (typeof s === 'string') step ??= s;
    if (current.cause === undefined) return { root: current, step };
    current = current.cause;
  }
  return { root: current, step };
}

/** Rows of the table where AWS failed or did not answer (throttling, 5xx, network): worth trying the
 * same request again a little later, within a run. */
export const RETRYABLE_RULES: ReadonlySet<string> = new Set([
  'throttling',
  'throttling-429',
  'server-error',
  'server-error-5xx',
  'network',
  'network-message',
]);

/** True when AWS failed or did not answer (a row of RETRYABLE_RULES): not a refusal, not unknown. */
export function isRetryableFailure(err: unknown): boolean {
  return RETRYABLE_RULES.has(classifyFailure(err).rule);
}

/** Judges one error by the table. */
export function classifyFailure(err: unknown, context: { step?: string } = {}): Classification {
  const { root, step: innerStep, code } = unwrap(err);
  const step = innerStep ?? context.step;
  if (code !== undefined) {
    return {
      failureClass: DEPLOYER_CODES[code] as FailureClass,
      rule: `deployer:${code}`,
      name: (root as Error).name,
      detail: messageOf(root),
      ...(root instanceof DeployerError && root.hint ? { fix: root.hint } : {}),
      ...(step ? { step } : {}),
    };
  }
  for (const rule of FAILURE_RULES) {
    if (!matches(rule, root, step)) continue;
    return {
      failureClass: rule.failureClass,
      rule: rule.id,
      name: mainName(root),
      detail: messageOf(root),
      ...(rule.fix ? { fix: rule.fix } : {}),
      ...(step ? { step } : {}),
    };
  }
  return {
    failureClass: 'transient',
    rule: 'unknown',
    name: mainName(root),
    detail: messageOf(root),
    ...(step ? { step } : {}),
  };
}

/**
 * An error of the run itself, before any bundle work (the lock, the listings): configuration → exit 2
 * naming what to fix; transient → exit 4 (the Job may retry); errors with their own exit code (the
 * lock held: 3) pass through.
 */
export function toRunError(err: unknown, action: string): unknown {
  if (err instanceof DeployerError && err.exitCode !== ExitCode.Failed) return err;
  const c = classifyFailure(err);
  const resource = err instanceof DeployerError ? err.resource : undefined;
  const what = `cannot ${action}${resource ? ` (${resource})` : ''}: ${c.name}: ${c.detail}`;
  if (c.failureClass === 'configuration')
    return new AwsConfigurationError(what, {
      resource,
      fix: c.fix ?? 'check the configuration (README "Configuration")',
      awsName: c.name,
      cause: err,
    });
  if (c.failureClass === 'transient')
    return new AwsUnavailableError(what, { resource, awsName: c.name, cause: err });
  return err;
}
