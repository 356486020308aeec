/**
 * Configuration from the environment; command-line flags override. Validated at start: every problem
 * is collected and reported in one ConfigError (exit 2). Contract: DESIGN.md "Configuration".
 */
import { ConfigError } from './errors';

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
}

export interface DeployerConfig {
  aws: AwsConfig;
  /** MM_APPS_S3_BUCKET: static assets, manifests, deployer state */
  appsBucket: string;
  /** MM_APPS_RELEASE_BUCKET: where GitLab CI uploads bundles (defaults to the apps bucket) */
  releaseBucket: string;
  /** MM_APPS_RELEASE_PREFIX: key prefix of release bundles */
  releasePrefix: string;
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
  /** client-side rate limit on the Lambda control plane */
  lambdaRequestsPerSecond: number;
  lockTtlSeconds: number;
  pushgatewayUrl?: string;
  notifyWebhookUrl?: string;
  alertWebhookUrl?: string;
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
} as const;

/** Environment variable names, in one place (README "Configuration" lists the same). */
export const ENV = {
  appsBucket: 'MM_APPS_S3_BUCKET',
  releaseBucket: 'MM_APPS_RELEASE_BUCKET',
  releasePrefix: 'MM_APPS_RELEASE_PREFIX',
  region: 'AWS_REGION',
  endpoint: 'AWS_ENDPOINT_URL',
  provisionAccessKey: ['APPS_PROVISION_AWS_ACCESS_KEY', 'MM_APPS_DEPLOY_AWS_ACCESS_KEY'],
  provisionSecretKey: ['APPS_PROVISION_AWS_SECRET_KEY', 'MM_APPS_DEPLOY_AWS_SECRET_KEY'],
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
  lambdaRequestsPerSecond: 'APPS_DEPLOYER_LAMBDA_RPS',
  lockTtlSeconds: 'APPS_DEPLOYER_LOCK_TTL_SECONDS',
  pushgatewayUrl: 'APPS_DEPLOYER_PUSHGATEWAY_URL',
  notifyWebhookUrl: 'APPS_DEPLOYER_NOTIFY_WEBHOOK_URL',
  alertWebhookUrl: 'APPS_DEPLOYER_ALERT_WEBHOOK_URL',
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
  if (
    releaseBucket === appsBucket &&
    ['manifests/', 'static/', 'deployer/', ''].some((p) => releasePrefix === p)
  )
    problems.push(
      `${ENV.releasePrefix} "${releasePrefix}" overlaps the apps bucket's own keys; use a prefix such as "bundles/"`,
    );

  const logLevel = overrides.logLevel ?? str(ENV.logLevel) ?? DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel))
    problems.push(`${ENV.logLevel} must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);

  const config: DeployerConfig = {
    aws: { region, endpoint, credentials, maxAttempts: DEFAULTS.maxAttempts },
    appsBucket,
    releaseBucket,
    releasePrefix,
    executeRoleName: str(ENV.executeRoleName) ?? DEFAULTS.executeRoleName,
    invokePolicyName: str(ENV.invokePolicyName) ?? DEFAULTS.invokePolicyName,
    invokeGroupName: str(ENV.invokeGroupName) ?? DEFAULTS.invokeGroupName,
    invokeRoleName: iamName(ENV.invokeRoleName, str(ENV.invokeRoleName)),
    createIam: bool(ENV.createIam, true),
    concurrency: int(
      overrides.concurrency !== undefined ? '--concurrency' : ENV.concurrency,
      overrides.concurrency ?? str(ENV.concurrency),
      DEFAULTS.concurrency,
      1,
      DEFAULTS.maxConcurrency,
    ),
    logLevel,
    lambdaTimeoutSeconds: int(
      ENV.lambdaTimeoutSeconds,
      str(ENV.lambdaTimeoutSeconds),
      DEFAULTS.lambdaTimeoutSeconds,
      1,
      900,
    ),
    lambdaMemoryMb: int(ENV.lambdaMemoryMb, str(ENV.lambdaMemoryMb), DEFAULTS.lambdaMemoryMb, 128, 10240),
    lambdaRequestsPerSecond: int(
      ENV.lambdaRequestsPerSecond,
      str(ENV.lambdaRequestsPerSecond),
      DEFAULTS.lambdaRequestsPerSecond,
      1,
      100,
    ),
    lockTtlSeconds: int(ENV.lockTtlSeconds, str(ENV.lockTtlSeconds), DEFAULTS.lockTtlSeconds, 10, 3600),
    pushgatewayUrl: url(ENV.pushgatewayUrl, str(ENV.pushgatewayUrl)),
    notifyWebhookUrl: url(ENV.notifyWebhookUrl, str(ENV.notifyWebhookUrl)),
    alertWebhookUrl: url(ENV.alertWebhookUrl, str(ENV.alertWebhookUrl)),
  };
  if (problems.length > 0) {
    throw new ConfigError(
      `invalid configuration:\n  - ${problems.join('\n  - ')}`,
      'fix the environment variables or flags named above (see README "Configuration")',
    );
  }
  return config;
}
