/**
 * The part of each command's --help that says which environment variables it reads and which exit
 * codes it returns (DESIGN.md "Exit codes" and "Configuration"; README "Configuration" has the full
 * table). Variable names come from src/config.ts ENV, so a renamed variable cannot go stale here.
 */
import { ENV } from '../config';

const EXIT = {
  ok: '0 done (or nothing to do)',
  failed: '1 a bundle failed, was rejected or conflicts',
  usage: '2 usage or configuration error (the message names the variable or flag to fix)',
  locked: '3 another run holds the lock (nothing done)',
  unavailable: '4 AWS unavailable after retries (a Job may retry)',
  stopped: '143 stopped by SIGTERM between writes (the next run completes the work)',
} as const;

const AWS_VARS = [
  ENV.region,
  ENV.endpoint,
  'the AWS credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, ..., IRSA)',
];
const LAMBDA_VARS = [
  ENV.executeRoleName,
  ENV.createIam,
  ENV.invokePolicyName,
  ENV.invokeGroupName,
  ENV.invokeRoleName,
  ENV.lambdaTimeoutSeconds,
  ENV.lambdaMemoryMb,
  ENV.lambdaRequestsPerSecond,
];
const RELEASE_VARS = [ENV.releaseBucket, ENV.releasePrefix];

const MEANING: Record<string, string> = {
  [ENV.appsBucket]: 'the apps bucket: manifests, assets, lock, run records',
  [ENV.releaseBucket]: 'the bucket of release bundles (default: the apps bucket)',
  [ENV.releasePrefix]: 'the key prefix of release bundles, e.g. bundles/',
  [ENV.region]: 'the AWS region',
  [ENV.endpoint]: 'an emulator or other endpoint (path-style S3)',
  [ENV.concurrency]: 'bundles at once (--concurrency wins)',
  [ENV.logLevel]: 'JSON log level on stderr (default info; warn on a terminal)',
  [ENV.lockTtlSeconds]: "the lock's time to live",
  [ENV.executeRoleName]: "the functions' execution role",
  [ENV.createIam]: 'create the role and invoke policy when missing (default true)',
  [ENV.invokePolicyName]: 'the invoke policy',
  [ENV.invokeGroupName]: 'the group the invoke policy is attached to',
  [ENV.invokeRoleName]: "the Mattermost server's role, to attach the invoke policy to",
  [ENV.lambdaTimeoutSeconds]: 'function timeout (s)',
  [ENV.lambdaMemoryMb]: 'function memory (MB)',
  [ENV.lambdaRequestsPerSecond]: 'Lambda control-plane rate limit',
  [ENV.notifyWebhookUrl]: 'Mattermost webhook for success notifications',
  [ENV.alertWebhookUrl]: 'Mattermost webhook for failure alerts',
  [ENV.pushgatewayUrl]: 'Prometheus Pushgateway',
  [ENV.prunePinned]: 'versions prune keeps: app_id@version, comma-separated',
  [ENV.runRetentionDays]: 'run records older than this expire (default 90; the newest 50 kept)',
};

function section(env: readonly string[], exits: readonly string[]): string {
  const width = Math.max(...env.map((v) => (MEANING[v] === undefined ? 0 : v.length)));
  const line = (v: string): string => {
    const meaning = MEANING[v];
    return meaning === undefined ? `  ${v}` : `  ${v.padEnd(width)}  ${meaning}`;
  };
  const envLines = env.length > 0 ? env.map(line) : ['  none (no AWS call)'];
  return ['', 'Environment:', ...envLines, '', 'Exit codes:', ...exits.map((e) => `  ${e}`)].join('\n');
}

export const COMMAND_HELP: Record<string, string> = {
  validate: section(
    [ENV.logLevel],
    [
      '0 every bundle is valid',
      '1 a bundle is invalid or unreadable',
      '2 usage error, or a file that does not exist',
    ],
  ),
  'generate-terraform-data': section(
    [],
    [
      '0 the bundle is valid (its data on stdout)',
      '1 the bundle is invalid',
      '2 usage error, or a file that does not exist',
    ],
  ),
  provision: section(
    [
      `${ENV.provisionAccessKey[0]} / ${ENV.provisionSecretKey[0]} (or ${ENV.provisionAccessKey[1]} / ${ENV.provisionSecretKey[1]})`,
      `${ENV.region} (or ${ENV.provisionRegion})`,
      ENV.endpoint,
      ENV.appsBucket,
      ...LAMBDA_VARS,
      ENV.lockTtlSeconds,
      ENV.logLevel,
    ],
    [
      EXIT.ok,
      '1 the bundle is invalid, conflicts with the provisioned version (see --update) or failed',
      '2 usage or configuration error, or a file that does not exist',
      EXIT.locked,
      EXIT.unavailable,
      EXIT.stopped,
    ],
  ),
  reconcile: section(
    [
      ENV.appsBucket,
      ...RELEASE_VARS,
      ...AWS_VARS,
      ENV.concurrency,
      ...LAMBDA_VARS,
      ENV.lockTtlSeconds,
      ENV.logLevel,
      ENV.notifyWebhookUrl,
      ENV.alertWebhookUrl,
      ENV.pushgatewayUrl,
    ],
    [EXIT.ok, EXIT.failed, EXIT.usage, EXIT.locked, EXIT.unavailable, EXIT.stopped],
  ),
  plan: section(
    [ENV.appsBucket, ...RELEASE_VARS, ...AWS_VARS, ENV.logLevel],
    ['0 the plan is printed (nothing is changed)', EXIT.usage, EXIT.unavailable],
  ),
  upload: section(
    [...RELEASE_VARS, ...AWS_VARS, ENV.logLevel],
    [
      '0 uploaded, or the same bytes were already there',
      '1 the bundle is invalid, or its version exists with other bytes (bump the version)',
      '2 usage or configuration error, or a file that does not exist',
      EXIT.unavailable,
    ],
  ),
  status: section(
    [ENV.appsBucket, ...RELEASE_VARS, ...AWS_VARS],
    ['0 the status is printed', EXIT.usage, EXIT.unavailable],
  ),
  adopt: section(
    [
      ENV.appsBucket,
      ...RELEASE_VARS,
      ENV.releaseLayout,
      ...AWS_VARS,
      ENV.executeRoleName,
      ENV.createIam,
      ENV.invokePolicyName,
      ENV.lambdaEnvironment,
      ENV.overridesFile,
      ENV.lambdaRequestsPerSecond,
      ENV.lockTtlSeconds,
      ENV.logLevel,
    ],
    [
      "0 nothing is left that is not the deployer's: everything found was adopted (--apply), would be (dry run), or was ours already",
      '1 something was reported as not adoptable (other code, other configuration, no manifest, tagged by someone else, an invoke policy that cannot be taken over): left alone',
      EXIT.usage,
      '3 another run holds the lock (--apply; nothing done)',
      EXIT.unavailable,
    ],
  ),
  verify: section(
    [
      ENV.appsBucket,
      ...RELEASE_VARS,
      ...AWS_VARS,
      ...LAMBDA_VARS,
      ENV.overridesFile,
      ENV.lockTtlSeconds,
      ENV.logLevel,
    ],
    [
      '0 no drift (with --repair: none left; foreign objects are reported, not counted)',
      '1 drift found (or left after --repair)',
      EXIT.usage,
      '3 --repair: another run still holds the lock after --wait-lock (nothing repaired)',
      EXIT.unavailable,
      EXIT.stopped,
    ],
  ),
  prune: section(
    [
      ENV.appsBucket,
      ENV.releaseBucket,
      ENV.prunePinned,
      ENV.runRetentionDays,
      ...AWS_VARS,
      ENV.lambdaRequestsPerSecond,
      ENV.lockTtlSeconds,
      ENV.logLevel,
    ],
    [
      '0 the plan is printed (dry run), or every retirement and the retention are done',
      "1 a version's retirement failed (the next prune --apply completes it)",
      EXIT.usage,
      EXIT.locked,
      EXIT.unavailable,
      '143 stopped by SIGTERM between writes (the next prune --apply completes the work)',
    ],
  ),
  unlock: section(
    [ENV.appsBucket, ...AWS_VARS, ENV.lockTtlSeconds],
    [
      '0 the lock is shown, removed, or there is none',
      '1 the lock is not the one shown (--etag): nothing removed',
      '2 usage error (--etag with --yes) or configuration error (e.g. the apps bucket does not exist)',
      EXIT.unavailable,
    ],
  ),
};
