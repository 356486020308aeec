/**
 * Function settings per deployment, from configuration (never from the bundle: app teams must not
 * choose their network). DESIGN.md "Function settings (the Mattermost Cloud deployer's parity)".
 * Parsed and validated here; every problem is pushed to the caller's list (one ConfigError, exit 2).
 */

/** The settings every function of the deployment gets. */
export interface FunctionSettings {
  timeoutSeconds: number;
  memoryMb: number;
  /** VpcConfig: both empty (no VPC) or both set */
  subnetIds: string[];
  securityGroupIds: string[];
  /** environment variables of every function (Lambda's limit: 4 KB in all) */
  environment: Record<string, string>;
  /** retention of the log group /aws/lambda/<name>; undefined: the deployer leaves log groups alone */
  logRetentionDays?: number;
}

export const SETTINGS_ENV = {
  subnetIds: 'APPS_DEPLOYER_LAMBDA_SUBNET_IDS',
  securityGroupIds: 'APPS_DEPLOYER_LAMBDA_SECURITY_GROUP_IDS',
  environment: 'APPS_DEPLOYER_LAMBDA_ENVIRONMENT',
  logRetentionDays: 'APPS_DEPLOYER_LAMBDA_LOG_RETENTION_DAYS',
} as const;

/** The values CloudWatch Logs' PutRetentionPolicy accepts (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Lambda's limits on VpcConfig and environment variables. */
export const MAX_SUBNETS = 16;
export const MAX_SECURITY_GROUPS = 5;
export const MAX_ENVIRONMENT_BYTES = 4096;
export const TIMEOUT_RANGE = { min: 1, max: 900 } as const;
export const MEMORY_RANGE = { min: 128, max: 10240 } as const;

const SUBNET_RE = /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const SECURITY_GROUP_RE = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const ENV_KEY_RE = /^[a-zA-Z][a-zA-Z0-9_]*$/;
/** Keys the Lambda runtime sets itself; CreateFunction refuses them. */
export const RESERVED_ENV_KEYS = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** "a,b , c" → ['a','b','c'] (duplicates removed, order kept). */
export function splitList(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return [
    ...new Set(
      raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}

export function checkIds(
  label: string,
  ids: string[],
  re: RegExp,
  what: string,
  max: number,
  problems: string[],
): void {
  const bad = ids.filter((id) => !re.test(id));
  if (bad.length > 0)
    problems.push(
      `${label}: ${bad.map((b) => `"${b.slice(0, 40)}"`).join(', ')} ${bad.length === 1 ? 'is not a' : 'are not'} ${what} id` +
        `${bad.length === 1 ? '' : 's'} (${what === 'subnet' ? 'subnet-' : 'sg-'} and 8 or 17 hex digits)`,
    );
  if (ids.length > max) problems.push(`${label}: at most ${max} ${what} ids (got ${ids.length})`);
}

export function checkVpc(
  subnetIds: string[],
  securityGroupIds: string[],
  labels: { subnets: string; securityGroups: string },
  problems: string[],
): void {
  checkIds(labels.subnets, subnetIds, SUBNET_RE, 'subnet', MAX_SUBNETS, problems);
  checkIds(
    labels.securityGroups,
    securityGroupIds,
    SECURITY_GROUP_RE,
    'security group',
    MAX_SECURITY_GROUPS,
    problems,
  );
  if ((subnetIds.length === 0) !== (securityGroupIds.length === 0))
    problems.push(
      `${labels.subnets} and ${labels.securityGroups} go together: set both (functions in the VPC) or neither`,
    );
}

/** Checks an environment map already parsed (keys, reserved names, total size). */
export function checkEnvironment(label: string, env: Record<string, string>, problems: string[]): void {
  const badKeys = Object.keys(env).filter((k) => !ENV_KEY_RE.test(k));
  if (badKeys.length > 0)
    problems.push(
      `${label}: ${badKeys.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} not valid variable name(s) (a letter, then letters, digits, _)`,
    );
  const reserved = Object.keys(env).filter((k) => RESERVED_ENV_KEYS.has(k));
  if (reserved.length > 0) problems.push(`${label}: ${reserved.join(', ')} reserved by the Lambda runtime`);
  const size = environmentBytes(env);
  if (size > MAX_ENVIRONMENT_BYTES)
    problems.push(
      `${label}: ${size} bytes; Lambda allows ${MAX_ENVIRONMENT_BYTES} bytes of environment in all`,
    );
}

/** The size Lambda counts: the variables as JSON. */
export function environmentBytes(env: Record<string, string>): number {
  return Object.keys(env).length === 0 ? 0 : Buffer.byteLength(JSON.stringify(env), 'utf8');
}

export function parseEnvironment(
  label: string,
  raw: string | undefined,
  problems: string[],
): Record<string, string> {
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    problems.push(`${label} must be a JSON object of strings, e.g. {"NAME":"value"} (it is not JSON)`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`${label} must be a JSON object of strings, e.g. {"NAME":"value"}`);
    return {};
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  const notStrings = entries.filter(([, v]) => typeof v !== 'string').map(([k]) => k);
  if (notStrings.length > 0) {
    problems.push(
      `${label}: the values of ${notStrings.map((k) => JSON.stringify(k)).join(', ')} must be strings`,
    );
    return {};
  }
  const env = Object.fromEntries(entries) as Record<string, string>;
  checkEnvironment(label, env, problems);
  return env;
}

export function checkRetention(label: string, days: number | undefined, problems: string[]): void {
  if (days !== undefined && !(LOG_RETENTION_DAYS as readonly number[]).includes(days))
    problems.push(
      `${label} must be one of CloudWatch's values: ${LOG_RETENTION_DAYS.join(', ')} (got ${days})`,
    );
}

/** Reads the settings of the deployment from the environment (timeout and memory: config.ts). */
export function loadFunctionSettings(
  str: (name: string) => string | undefined,
  base: { timeoutSeconds: number; memoryMb: number },
  problems: string[],
): FunctionSettings {
  const subnetIds = splitList(str(SETTINGS_ENV.subnetIds));
  const securityGroupIds = splitList(str(SETTINGS_ENV.securityGroupIds));
  checkVpc(
    subnetIds,
    securityGroupIds,
    { subnets: SETTINGS_ENV.subnetIds, securityGroups: SETTINGS_ENV.securityGroupIds },
    problems,
  );
  const environment = parseEnvironment(SETTINGS_ENV.environment, str(SETTINGS_ENV.environment), problems);
  const rawRetention = str(SETTINGS_ENV.logRetentionDays);
  let logRetentionDays: number | undefined;
  if (rawRetention !== undefined) {
    const n = Number(rawRetention);
    if (!Number.isInteger(n)) {
      problems.push(
        `${SETTINGS_ENV.logRetentionDays} must be one of CloudWatch's values: ${LOG_RETENTION_DAYS.join(', ')} (got "${rawRetention}")`,
      );
    } else {
      checkRetention(SETTINGS_ENV.logRetentionDays, n, problems);
      logRetentionDays = n;
    }
  }
  return { ...base, subnetIds, securityGroupIds, environment, logRetentionDays };
}

/** The functions are in a VPC (the execute role then needs AWSLambdaVPCAccessExecutionRole). */
export function usesVpc(s: Pick<FunctionSettings, 'subnetIds'>): boolean {
  return s.subnetIds.length > 0;
}
