#!/usr/bin/env -S node --max-old-space-size=384
/**
 * The thin CLI: parse, load the command's module only when it runs, map errors to exit codes.
 * Every command module exports `run(...)` returning the exit code; nothing below src/cli prints.
 *
 * The first line sizes V8's old generation the same on every host (BENCHMARKS.md, "V8's heap sized by
 * the CLI"). By default Node sizes it from the memory it sees (the host's, or the cgroup's where libuv
 * reads it), and V8 lets the old space grow past the live heap by a factor that rises with that size
 * (up to 4x from 2 GB): on a large host a run's peak depended on the host and on how long the run
 * lasted, not on what it keeps (~20 MB). At 384 MB the factor stays near 1.35x; 384 MB also fits
 * under the chart's smallest memory limit (512Mi). Run by `node` directly (`node dist/cli/main.js`),
 * the line is ignored and the operator's own flags apply (README, "Memory: V8's heap").
 */
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, errorMessage, exitCodeFor, DeployerError } from '../errors';
import { escapeTerminal } from '../text/escape';
import { VERSION } from '../version';
import { COMMAND_HELP } from './help';

// The SDK warns on every run under Node 20 that its releases after January 2027 need Node 22. Our SDK
// versions are locked (package-lock.json) and the image is Node 20 on purpose: the warning would only
// add noise to every CronJob log. An operator can still turn it on by setting the variable to "false".
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

type Action = () => Promise<number>;

async function execute(action: Action): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (err) {
    const code = exitCodeFor(err);
    // messages name bundles, entries and keys: escaped, so none can drive the terminal
    process.stderr.write(`apps-deployer: error: ${escapeTerminal(errorMessage(err))}\n`);
    if (!(err instanceof DeployerError) && process.env.APPS_DEPLOYER_DEBUG) {
      process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    }
    process.exitCode = code;
  }
}

const jsonOption = () => new Option('--json', 'print the result as JSON on stdout');

export function buildProgram(): Command {
  const program = new Command('apps-deployer')
    .description('Deploys Mattermost app bundles (Lambda functions, static assets, manifests) to AWS.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Exit codes: 0 converged or nothing to do · 1 a bundle failed, was rejected or conflicts · 2 usage or
configuration error (missing bucket, no credentials, access denied) · 3 another run holds the lock ·
4 AWS unavailable before any bundle work (retry) · 143 stopped by SIGTERM (the next run completes it).
Configuration comes from the environment (MM_APPS_S3_BUCKET, MM_APPS_RELEASE_BUCKET, MM_APPS_RELEASE_PREFIX,
AWS_REGION, AWS_ENDPOINT_URL, ...); see README "Configuration".`,
  );

  program
    .command('validate')
    .description('check app bundles without touching AWS; exit 0 all valid, 1 any invalid')
    .argument('<bundle...>', 'bundle zip files')
    .addOption(jsonOption())
    .action((files: string[], opts: { json?: boolean }) =>
      execute(async () => (await import('./commands/validate')).run(files, opts)),
    );

  program
    .command('generate-terraform-data')
    .description('print the AWS names and keys a bundle will produce (upstream appsctl format)')
    .argument('<bundle>', 'bundle zip file')
    .action((file: string) =>
      execute(async () => (await import('./commands/generate-terraform-data')).run(file)),
    );

  program
    .command('provision')
    .description('provision one bundle from local disk (the third-party path)')
    .argument('<bundle>', 'bundle zip file')
    .option('--update', 'redeploy a version that is already provisioned (replaces its code)')
    .option('--dry-run', 'validate and show what would be done, without writing to AWS')
    .addOption(jsonOption())
    .action((file: string, opts: { update?: boolean; dryRun?: boolean; json?: boolean }) =>
      execute(async () => (await import('./commands/provision')).run(file, opts)),
    );

  program
    .command('reconcile')
    .description('provision every release bundle that is not deployed yet (the hourly job)')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--concurrency <n>', 'bundles provisioned at once (default 4)')
    .option('--only <app_id>', 'limit the run to one app')
    .option('--replace', 'redeploy versions whose release bundle changed')
    .option('--retry-failed', 'judge again the bundles AWS refused (marked failed); with --only, one app')
    .addOption(jsonOption())
    .action((opts: Record<string, unknown>) =>
      execute(async () => (await import('./commands/reconcile')).run(opts)),
    );

  program
    .command('plan')
    .description('print what reconcile would do (= reconcile --dry-run)')
    .option('--only <app_id>', 'limit the plan to one app')
    .addOption(jsonOption())
    .action((opts: Record<string, unknown>) =>
      execute(async () => (await import('./commands/reconcile')).run({ ...opts, dryRun: true })),
    );

  program
    .command('upload')
    .description('validate a bundle, then put it under its canonical release key (for GitLab CI)')
    .argument('<bundle>', 'bundle zip file')
    .addOption(jsonOption())
    .action((file: string, opts: { json?: boolean }) =>
      execute(async () => (await import('./commands/upload')).run(file, opts)),
    );

  program
    .command('status')
    .argument('[APP_ID]', 'one app: its versions with their details (manifest metadata, every reason)')
    .description(
      'show provisioned apps, pending, rejected, conflicting and failed bundles, and the last runs; ' +
        "with APP_ID, that app's versions in detail",
    )
    .option(
      '--runs <n>',
      'last run records to show, reconcile and provision (default 5, at most 1000); ' +
        'the list says "5 of N" when there are more',
    )
    .addOption(jsonOption())
    .action((appId: string | undefined, opts: { json?: boolean; runs?: string }) =>
      execute(async () => (await import('./commands/status')).run({ ...opts, appId })),
    );

  program
    .command('adopt')
    .description(
      "take over the functions appsctl or the upstream deployer created, where they match a provisioned manifest and its release bundle, and upstream's invoke policy (a dry run unless --apply)",
    )
    .option('--only <app_id>', 'limit adoption to one app')
    .option('--apply', 'tag what matches and take the invoke policy over (takes the reconcile lock)')
    .addOption(jsonOption())
    .action((opts: { only?: string; apply?: boolean; json?: boolean }) =>
      execute(async () => (await import('./commands/adopt')).run(opts)),
    );

  program
    .command('verify')
    .description(
      'check every provisioned version (functions, code, settings, tags, assets, manifest) for drift; ' +
        '--repair converges it from the release bundles',
    )
    .option('--repair', 'converge the drift from the release bundles (takes the lock)')
    .option('--wait-lock <seconds>', 'with --repair: wait this long for the lock (default 0)')
    .option('--only <app_id>', 'check one app only')
    .addOption(jsonOption())
    .action((opts: { repair?: boolean; waitLock?: string; only?: string; json?: boolean }) =>
      execute(async () => (await import('./commands/verify')).run(opts)),
    );

  program
    .command('prune')
    .description(
      'retire old versions (retired marker, manifest, functions, assets) and expire run records and ' +
        'unused staged code; a dry run unless --apply (a manual operation)',
    )
    .option('--keep <n>', 'versions of each app always kept, newest first (default 3; the newest always)')
    .option('--older-than <days>', 'retire only versions deployed at least this many days ago (default 30)')
    .option('--only <app_id>', 'limit the retirements to one app')
    .option('--apply', 'do it, under the lock (without it: print the plan, take no lock, write nothing)')
    .addOption(jsonOption())
    .action((opts: { keep?: string; olderThan?: string; only?: string; apply?: boolean; json?: boolean }) =>
      execute(async () => (await import('./commands/prune')).run(opts)),
    );

  program
    .command('unlock')
    .description('remove the reconcile lock (only when its holder is gone)')
    .option('--etag <etag>', 'the lock ETag shown by a first unlock call; removes only that lock')
    .addOption(new Option('--yes', 'remove the lock shown without asking for its ETag').conflicts('etag'))
    .action((opts: { etag?: string; yes?: boolean }) =>
      execute(async () => (await import('./commands/unlock')).run(opts)),
    );

  for (const command of program.commands) {
    const help = COMMAND_HELP[command.name()];
    if (help !== undefined) command.addHelpText('after', help);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; parse errors are usage errors (exit 2)
      process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      return;
    }
    throw err;
  }
}

if (require.main === module) {
  void main(process.argv);
}
