/**
 * Configuration from the environment; command-line flags override. Validated at start: every problem
 * is collected and reported in one ConfigError (exit 2). Contract: DESIGN.md "Configuration".
 */
import { MAX_BUNDLE_BYTES } from './bundle/limits';
import { ConfigError } from './errors';
import { checkEnvironment, loadFunctionSettings, SETTINGS_ENV } from './settings/config';
import { loadOverrides, type Overrides } from './settings/overrides';
import { parsePinned, type PinnedVersion } from './prune/pins';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsConfig {
  region: string;
  /** AWS_ENDPOINT_URL: an emulator or a sandbox; S3 then uses path-style addressing. */
  endpoint?: string;
  /** Explicit credentials (provision's APPS_PROVISION_AWS_*); otherwise the default chain (IRSA, ...). */
  credentials?: AwsCredentials;
  maxAttempts: number;
  /** APPS_DEPLOYER_RELEASE_ROLE_ARN: requests to the release bucket use this assumed role's
   * credentials (upstream's AppsAssumeRole); everything else the deployer's own */
  releaseAccess?: ReleaseAccess;
}

export interface ReleaseAccess {
  bucket: string;
  roleArn: string;
  externalId?: string;
}

/** APPS_DEPLOYER_RELEASE_LAYOUT: how release keys are shaped (bundle/names.ts releaseKey). */
export type ReleaseLayout = 'flat' | 'per-app';
export const RELEASE_LAYOUTS: readonly ReleaseLayout[] = ['flat', 'per-app'];
/** `flat`, so that an upgrade changes nothing; the chart and README recommend `per-app` for new installs. */
export const DEFAULT_RELEASE_LAYOUT: ReleaseLayout = 'flat';

/** Key prefixes the deployer writes in the apps bucket (static assets, manifests, its own state). */
export const APPS_BUCKET_PREFIXES = ['deployer/', 'manifests/', 'static/'] as const;

export interface DeployerConfig {
  aws: AwsConfig;
  /** MM_APPS_S3_BUCKET: static assets, manifests, deployer state */
  appsBucket: string;
  /** MM_APPS_RELEASE_BUCKET: where GitLab CI uploads bundles (defaults to the apps bucket) */
  releaseBucket: string;
  /** MM_APPS_RELEASE_PREFIX: key prefix of release bundles */
  releasePrefix: string;
  /** APPS_DEPLOYER_RELEASE_LAYOUT */
  releaseLayout: ReleaseLayout;
  executeRoleName: string;
  invokePolicyName: string;
  /** IAM group the invoke policy is attached to (the Mattermost server's principal) */
  invokeGroupName: string;
  /** optional IAM role the invoke policy is attached to as well: the Mattermost server's role when it
   * runs as one (IRSA, an instance profile); the deployer never creates it */
  invokeRoleName?: string;
  /** create the execute role / invoke policy when missing */
  createIam: boolean;
  concurrency: number;
  logLevel: string;
  lambdaTimeoutSeconds: number;
  lambdaMemoryMb: number;
  /** APPS_DEPLOYER_LAMBDA_SUBNET_IDS / _SECURITY_GROUP_IDS: VpcConfig of every function (both or neither) */
  lambdaSubnetIds: string[];
  lambdaSecurityGroupIds: string[];
  /** APPS_DEPLOYER_LAMBDA_ENVIRONMENT: environment variables of every function */
  lambdaEnvironment: Record<string, string>;
  /** APPS_DEPLOYER_LAMBDA_LOG_RETENTION_DAYS: the log groups /aws/lambda/<name> are created with it */
  lambdaLogRetentionDays?: number;
  /** APPS_DEPLOYER_OVERRIDES_FILE: per-app settings, by app id (settings/overrides.ts) */
  overridesFile?: string;
  appOverrides: Overrides;
  /** client-side rate limit on the Lambda control plane */
  lambdaRequestsPerSecond: number;
  lockTtlSeconds: number;
  pushgatewayUrl?: string;
  notifyWebhookUrl?: string;
  alertWebhookUrl?: string;
  /** APPS_DEPLOYER_TMP_BUDGET: bytes the run's temp files may take at once (at least the bundle limit) */
  tmpBudgetBytes: number;
  /** APPS_DEPLOYER_PRUNE_PINNED: versions `prune` keeps (`app_id@version`); absent = none */
  prunePinned?: PinnedVersion[];
  /** APPS_DEPLOYER_RUN_RETENTION_DAYS: `prune` expires run records older than this (absent = the default) */
  runRetentionDays?: number;
}

export const DEFAULTS = {
  region: 'us-east-1',
  appsBucket: 'mattermost-apps-bucket',
  releasePrefix: 'bundles/',
  executeRoleName: 'mattermost-apps-execute-lambda-role',
  invokePolicyName: 'mattermost-apps-invoke-policy',
  invokeGroupName: 'mattermost-apps-invoke-group',
  concurrency: 4,
  maxConcurrency: 32,
  logLevel: 'info',
  lambdaTimeoutSeconds: 30,
  lambdaMemoryMb: 128,
  lambdaRequestsPerSecond: 10,
  lockTtlSeconds: 300,
  maxAttempts: 8,
  maxMaxAttempts: 20,
  /** 4 bundles of the largest size at once */
  tmpBudgetBytes: 4 * MAX_BUNDLE_BYTES,
  /** run records `prune` keeps (the newest are kept whatever their age: see prune/retention.ts) */
  runRetentionDays: 90,
} as const;

/** Environment variable names, in one place (README "Configuration" lists the same). */
export const ENV = {
  appsBucket: 'MM_APPS_S3_BUCKET',
  releaseBucket: 'MM_APPS_RELEASE_BUCKET',
  releasePrefix: 'MM_APPS_RELEASE_PREFIX',
  releaseLayout: 'APPS_DEPLOYER_RELEASE_LAYOUT',
  region: 'AWS_REGION',
  endpoint: 'AWS_ENDPOINT_URL',
  // ours first, then upstream's: appsctl 1.x (MM_APPS_DEPLOY_*), appsctl 0.7 (MM_APPS_PROVISION_*)
  provisionAccessKey: [
    'APPS_PROVISION_AWS_ACCESS_KEY',
    'MM_APPS_DEPLOY_AWS_ACCESS_KEY',
    'MM_APPS_PROVISION_AWS_ACCESS_KEY',
  ],
  provisionSecretKey: [
    'APPS_PROVISION_AWS_SECRET_KEY',
    'MM_APPS_DEPLOY_AWS_SECRET_KEY',
    'MM_APPS_PROVISION_AWS_SECRET_KEY',
  ],
  provisionRegion: 'MM_APPS_AWS_REGION',
  executeRoleName: 'APPS_DEPLOYER_EXECUTE_ROLE',
  invokePolicyName: 'APPS_DEPLOYER_INVOKE_POLICY',
  invokeGroupName: 'APPS_DEPLOYER_INVOKE_GROUP',
  invokeRoleName: 'APPS_DEPLOYER_INVOKE_ROLE',
  createIam: 'APPS_DEPLOYER_CREATE_IAM',
  concurrency: 'APPS_DEPLOYER_CONCURRENCY',
  logLevel: 'APPS_DEPLOYER_LOG_LEVEL',
  lambdaTimeoutSeconds: 'APPS_DEPLOYER_LAMBDA_TIMEOUT',
  lambdaMemoryMb: 'APPS_DEPLOYER_LAMBDA_MEMORY',
  lambdaSubnetIds: SETTINGS_ENV.subnetIds,
  lambdaSecurityGroupIds: SETTINGS_ENV.securityGroupIds,
  lambdaEnvironment: SETTINGS_ENV.environment,
  lambdaLogRetentionDays: SETTINGS_ENV.logRetentionDays,
  overridesFile: 'APPS_DEPLOYER_OVERRIDES_FILE',
  releaseRoleArn: 'APPS_DEPLOYER_RELEASE_ROLE_ARN',
  releaseExternalId: 'APPS_DEPLOYER_RELEASE_EXTERNAL_ID',
  lambdaRequestsPerSecond: 'APPS_DEPLOYER_LAMBDA_RPS',
  lockTtlSeconds: 'APPS_DEPLOYER_LOCK_TTL_SECONDS',
  pushgatewayUrl: 'APPS_DEPLOYER_PUSHGATEWAY_URL',
  notifyWebhookUrl: 'APPS_DEPLOYER_NOTIFY_WEBHOOK_URL',
  alertWebhookUrl: 'APPS_DEPLOYER_ALERT_WEBHOOK_URL',
  tmpBudget: 'APPS_DEPLOYER_TMP_BUDGET',
  awsMaxAttempts: 'APPS_DEPLOYER_AWS_MAX_ATTEMPTS',
  prunePinned: 'APPS_DEPLOYER_PRUNE_PINNED',
  runRetentionDays: 'APPS_DEPLOYER_RUN_RETENTION_DAYS',
} as const;

/** Values given on the command line; they win over the environment. */
export interface ConfigOverrides {
  appsBucket?: string;
  releaseBucket?: string;
  releasePrefix?: string;
  region?: string;
  endpoint?: string;
  concurrency?: string | number;
  logLevel?: string;
}

export interface LoadOptions {
  /** provision: read APPS_PROVISION_AWS_* credentials (the third-party path) */
  provisionCredentials?: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: ConfigOverrides = {},
  options: LoadOptions = {},
): DeployerConfig {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const firstOf = (names: readonly string[]): string | undefined =>
    names.map(str).find((v) => v !== undefined);
  const int = (
    label: string,
    raw: string | number | undefined,
    def: number,
    min: number,
    max: number,
  ): number => {
    if (raw === undefined) return def;
    const n = typeof raw === 'number' ? raw : Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${label} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return def;
    }
    return n;
  };
  const bool = (name: string, def: boolean): boolean => {
    const v = str(name);
    if (v === undefined) return def;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    problems.push(`${name} must be true or false (got "${v}")`);
    return def;
  };
  const url = (label: string, v: string | undefined): string | undefined => {
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
      return v;
    } catch {
      problems.push(`${label} must be an http(s) URL`);
      return undefined;
    }
  };
  const iamName = (label: string, v: string | undefined): string | undefined => {
    if (v !== undefined && !/^[A-Za-z0-9+=,.@_-]{1,64}$/.test(v))
      problems.push(`${label} "${v}" is not a valid IAM role name`);
    return v;
  };
  const bucket = (label: string, v: string): string => {
    if (!BUCKET_RE.test(v)) problems.push(`${label} "${v}" is not a valid S3 bucket name`);
    return v;
  };

  const region =
    overrides.region ??
    str(ENV.region) ??
    (options.provisionCredentials ? str(ENV.provisionRegion) : undefined) ??
    str('AWS_DEFAULT_REGION') ??
    DEFAULTS.region;
  const endpoint = url(`${ENV.endpoint}`, overrides.endpoint ?? str(ENV.endpoint));

  let credentials: AwsCredentials | undefined;
  if (options.provisionCredentials) {
    const accessKeyId = firstOf(ENV.provisionAccessKey);
    const secretAccessKey = firstOf(ENV.provisionSecretKey);
    if (accessKeyId && secretAccessKey) credentials = { accessKeyId, secretAccessKey };
    else if (accessKeyId || secretAccessKey)
      problems.push(
        `set both ${ENV.provisionAccessKey[0]} and ${ENV.provisionSecretKey[0]} (or neither, to use the default AWS credential chain)`,
      );
  }

  const appsBucket = bucket(
    ENV.appsBucket,
    overrides.appsBucket ?? str(ENV.appsBucket) ?? DEFAULTS.appsBucket,
  );
  const releaseBucket = bucket(
    ENV.releaseBucket,
    overrides.releaseBucket ?? str(ENV.releaseBucket) ?? appsBucket,
  );
  const releasePrefix = overrides.releasePrefix ?? env[ENV.releasePrefix] ?? DEFAULTS.releasePrefix;
  if (releasePrefix !== '' && !releasePrefix.endsWith('/'))
    problems.push(`${ENV.releasePrefix} must be empty or end with "/" (got "${releasePrefix}")`);
  const overlap = releasePrefixOverlap(appsBucket, releaseBucket, releasePrefix);
  if (overlap) problems.push(overlap);
  const layout = str(ENV.releaseLayout) ?? DEFAULT_RELEASE_LAYOUT;
  if (!(RELEASE_LAYOUTS as readonly string[]).includes(layout))
    problems.push(`${ENV.releaseLayout} must be one of ${RELEASE_LAYOUTS.join(', ')} (got "${layout}")`);
  const executeRoleName = iamName(ENV.executeRoleName, str(ENV.executeRoleName)) ?? DEFAULTS.executeRoleName;
  const invokeRoleName = iamName(ENV.invokeRoleName, str(ENV.invokeRoleName));
  // IAM role names are unique regardless of case
  if (invokeRoleName !== undefined && invokeRoleName.toLowerCase() === executeRoleName.toLowerCase())
    problems.push(
      `${ENV.invokeRoleName} "${invokeRoleName}" is the functions' execute role (${ENV.executeRoleName}): ` +
        'app functions could then invoke every app function; name the role the Mattermost server runs as',
    );

  const logLevel = overrides.logLevel ?? str(ENV.logLevel) ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`${ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);

  const tmpBudgetBytes = byteSize(ENV.tmpBudget, str(ENV.tmpBudget), DEFAULTS.tmpBudgetBytes, problems);
  if (tmpBudgetBytes < MAX_BUNDLE_BYTES)
    problems.push(
      `${ENV.tmpBudget} must be at least the bundle size limit, ${MAX_BUNDLE_BYTES} bytes (1Gi) (got ${tmpBudgetBytes})`,
    );
  const maxAttempts = int(
    ENV.awsMaxAttempts,
    str(ENV.awsMaxAttempts),
    DEFAULTS.maxAttempts,
    1,
    DEFAULTS.maxMaxAttempts,
  );

  const lambdaTimeoutSeconds = int(
    ENV.lambdaTimeoutSeconds,
    str(ENV.lambdaTimeoutSeconds),
    DEFAULTS.lambdaTimeoutSeconds,
    1,
    900,
  );
  const lambdaMemoryMb = int(
    ENV.lambdaMemoryMb,
    str(ENV.lambdaMemoryMb),
    DEFAULTS.lambdaMemoryMb,
    128,
    10240,
  );
  const settings = loadFunctionSettings(
    str,
    { timeoutSeconds: lambdaTimeoutSeconds, memoryMb: lambdaMemoryMb },
    problems,
  );
  const overridesFile = str(ENV.overridesFile);
  const appOverrides = loadOverrides(overridesFile, ENV.overridesFile, problems);
  for (const [appId, o] of Object.entries(appOverrides)) {
    if (o.environment !== undefined)
      checkEnvironment(
        `${overridesFile}: /apps/${appId}/environment (with ${ENV.lambdaEnvironment})`,
        { ...settings.environment, ...o.environment },
        problems,
      );
  }

  const releaseAccess = loadReleaseAccess(str, releaseBucket, appsBucket, problems);

  const config: DeployerConfig = {
    aws: {
      region,
      endpoint,
      credentials,
      maxAttempts,
      ...(releaseAccess ? { releaseAccess } : {}),
    },
    appsBucket,
    releaseBucket,
    releasePrefix,
    releaseLayout: layout as ReleaseLayout,
    executeRoleName,
    invokePolicyName: str(ENV.invokePolicyName) ?? DEFAULTS.invokePolicyName,
    invokeGroupName: str(ENV.invokeGroupName) ?? DEFAULTS.invokeGroupName,
    invokeRoleName,
    createIam: bool(ENV.createIam, true),
    concurrency: int(
      overrides.concurrency !== undefined ? '--concurrency' : ENV.concurrency,
      overrides.concurrency ?? str(ENV.concurrency),
      DEFAULTS.concurrency,
      1,
      DEFAULTS.maxConcurrency,
    ),
    logLevel,
    lambdaTimeoutSeconds,
    lambdaMemoryMb,
    lambdaSubnetIds: settings.subnetIds,
    lambdaSecurityGroupIds: settings.securityGroupIds,
    lambdaEnvironment: settings.environment,
    lambdaLogRetentionDays: settings.logRetentionDays,
    overridesFile,
    appOverrides,
    lambdaRequestsPerSecond: int(
      ENV.lambdaRequestsPerSecond,
      str(ENV.lambdaRequestsPerSecond),
      DEFAULTS.lambdaRequestsPerSecond,
      1,
      15, // AWS's shared control-plane pool: 15 req/s per account (aws/rate-limit.ts)
    ),
    // DESIGN.md "One writer": a TTL of at least 60 s (reconcile/lock.ts holds its deadlines at 60 s)
    lockTtlSeconds: int(ENV.lockTtlSeconds, str(ENV.lockTtlSeconds), DEFAULTS.lockTtlSeconds, 60, 3600),
    pushgatewayUrl: url(ENV.pushgatewayUrl, str(ENV.pushgatewayUrl)),
    notifyWebhookUrl: url(ENV.notifyWebhookUrl, str(ENV.notifyWebhookUrl)),
    alertWebhookUrl: url(ENV.alertWebhookUrl, str(ENV.alertWebhookUrl)),
    tmpBudgetBytes,
    prunePinned: parsePinned(ENV.prunePinned, str(ENV.prunePinned), problems),
    runRetentionDays: int(
      ENV.runRetentionDays,
      str(ENV.runRetentionDays),
      DEFAULTS.runRetentionDays,
      1,
      36_500,
    ),
  };
  if (problems.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  - ${problems.join('\n  - ')}`,
      'fix the environment variables or flags named above (see README "Configuration")',
    );
  }
  return config;
}

const ROLE_ARN_RE = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID_RE = /^[\w+=,.@:/-]{2,1224}$/;

/** The cross-account release bucket's role (DESIGN.md "Cross-account release bucket"). */
function loadReleaseAccess(
  str: (name: string) => string | undefined,
  releaseBucket: string,
  appsBucket: string,
  problems: string[],
): ReleaseAccess | undefined {
  const roleArn = str(ENV.releaseRoleArn);
  const externalId = str(ENV.releaseExternalId);
  if (roleArn === undefined) {
    if (externalId !== undefined)
      problems.push(`${ENV.releaseExternalId} is set without ${ENV.releaseRoleArn}`);
    return undefined;
  }
  if (!ROLE_ARN_RE.test(roleArn))
    problems.push(
      `${ENV.releaseRoleArn} "${roleArn.slice(0, 100)}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
    );
  if (externalId !== undefined && !EXTERNAL_ID_RE.test(externalId))
    problems.push(`${ENV.releaseExternalId} must be 2 to 1224 characters of letters, digits and +=,.@:/-_`);
  if (releaseBucket === appsBucket)
    problems.push(
      `${ENV.releaseRoleArn} needs a release bucket of its own (${ENV.releaseBucket}): the apps bucket is written with the deployer's own credentials`,
    );
  return { bucket: releaseBucket, roleArn, ...(externalId !== undefined ? { externalId } : {}) };
}

/**
 * When releases share the apps bucket, the release prefix and each of the deployer's own prefixes
 * (deployer/, manifests/, static/) must be disjoint: neither may contain the other. A release prefix
 * inside them (e.g. "deployer/bundles/") lets whoever may upload write next to the deployer's state;
 * one containing them (e.g. "" — the whole bucket) makes every run list the deployer's own objects as
 * release objects and reject them. Both prefixes end with "/", so "contains" is a folder relation.
 * Undefined when the configuration is fine.
 */
export function releasePrefixOverlap(
  appsBucket: string,
  releaseBucket: string,
  releasePrefix: string,
): string | undefined {
  if (releaseBucket !== appsBucket) return undefined;
  const clash = APPS_BUCKET_PREFIXES.find((p) => p.startsWith(releasePrefix) || releasePrefix.startsWith(p));
  if (clash === undefined) return undefined;
  const how = clash.startsWith(releasePrefix)
    ? `contains the deployer's own prefix "${clash}"`
    : `is inside the deployer's own prefix "${clash}"`;
  return (
    `${ENV.releasePrefix} "${releasePrefix}" ${how} in the same bucket (${ENV.releaseBucket} = ${ENV.appsBucket}); ` +
    `use a prefix of its own such as "${DEFAULTS.releasePrefix}", or a separate release bucket`
  );
}

/** A Kubernetes quantity: a decimal number, then a binary (Ki…Ei) or decimal (k…E) suffix or an exponent. */
const QUANTITY_RE = /^(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E))?$/;
const QUANTITY_FACTORS: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** Bytes, or a Kubernetes quantity ("4Gi", "1.5Gi", "2G", "4e9"), so the chart can pass its /tmp
 * sizeLimit as it is. */
export function parseByteSize(raw: string): number | undefined {
  const m = QUANTITY_RE.exec(raw.trim());
  if (!m) return undefined;
  const factor =
    m[2] !== undefined ? 10 ** Number(m[2]) : m[3] !== undefined ? (QUANTITY_FACTORS[m[3]] ?? 1) : 1;
  const bytes = Math.floor(Number(m[1]) * factor);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

function byteSize(label: string, raw: string | undefined, def: number, problems: string[]): number {
  if (raw === undefined) return def;
  const bytes = parseByteSize(raw);
  if (bytes === undefined) {
    problems.push(`${label} must be a number of bytes or a quantity such as 4Gi (got "${raw}")`);
    return def;
  }
  return bytes;
}
