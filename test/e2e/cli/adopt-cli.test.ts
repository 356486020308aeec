/**
 * `apps-deployer adopt` as a subprocess (the built CLI) against the test backend: --help names its
 * environment and exit codes; with functions the upstream deployer made, one with other code, a dry
 * run and --apply exit 1 (something left), --apply tags only the match; once the rest is retired,
 * --apply takes the invoke policy over and exits 0; a bad --only and a missing execute role exit 2; a
 * live lock exits 3 with nothing done.
 */
import { DeleteFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ENV, type DeployerConfig } from '../../../src/config';
import { FUNCTION_TAGS } from '../../../src/provision/types';
import { functionZip } from '../../support/bundle-builder';
import { testClients, testDeployerConfig } from '../../support/emulator';
import { upstreamApp, upstreamExecuteRole, upstreamInvokePolicy } from '../../integration/adopt/support';
import type { Env } from '../../integration/reconcile/support';
import { assertBuilt, cli, e2eEnv, uniqueAppId, type E2eEnv } from '../reconcile/support';

jest.setTimeout(120_000);
beforeAll(() => assertBuilt());

interface Report {
  adoptVersion: number;
  dryRun: boolean;
  functions: { lambdaName: string; status: string; reason?: string }[];
  invokePolicy: { status: string };
  exitCode: number;
}

const parse = (stdout: string): Report => JSON.parse(stdout) as Report;
const statusOf = (r: Report, name: string): string | undefined =>
  r.functions.find((f) => f.lambdaName === name)?.status;

/** The upstream helpers' view of the same names the CLI gets from the environment. */
function upstreamEnv(e: E2eEnv): Env {
  const config: DeployerConfig = testDeployerConfig({
    appsBucket: e.appsBucket,
    releaseBucket: e.releaseBucket,
    releasePrefix: e.vars[ENV.releasePrefix],
    executeRoleName: e.vars[ENV.executeRoleName],
    invokePolicyName: e.vars[ENV.invokePolicyName],
    invokeGroupName: e.vars[ENV.invokeGroupName],
  });
  return {
    config,
    appsBucket: e.appsBucket,
    releaseBucket: e.releaseBucket,
    s3: testClients().s3,
    tmpRoot: '',
  };
}

describe('apps-deployer adopt', () => {
  it('--help names its environment and exit codes', async () => {
    const r = await cli(['adopt', '--help'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--apply');
    expect(r.stdout).toContain('--only');
    const [, after = ''] = r.stdout.split('\nEnvironment:\n');
    const [environment = '', exits = ''] = after.split('\nExit codes:\n');
    for (const v of [ENV.appsBucket, ENV.releaseBucket, ENV.executeRoleName, ENV.invokePolicyName])
      expect(environment).toMatch(new RegExp(`^  ${v}\\b`, 'm'));
    expect([...exits.matchAll(/^ {2}(\d+) /gm)].map((m) => Number(m[1]))).toEqual([0, 1, 2, 3, 4]);
  });

  it('adopts the match, reports the rest, and exits 0 once nothing is left', async () => {
    const e = await e2eEnv();
    const env = upstreamEnv(e);
    const roleArn = await upstreamExecuteRole(env);
    const good = await upstreamApp(env, roleArn, uniqueAppId('ea'), '1.0.0');
    const other = await upstreamApp(env, roleArn, uniqueAppId('ea'), '1.0.0', {
      code: await functionZip({ 'index.js': 'exports.handler = async () => 1;\n' }),
    });
    await upstreamInvokePolicy(env, [...good.arns, ...other.arns]);
    const [goodFn, otherFn] = [good.names[0] as string, other.names[0] as string];

    const dry = await cli(['adopt', '--json'], e.vars);
    expect({ code: dry.code, stderr: dry.stderr.includes('error') ? dry.stderr : '' }).toEqual({
      code: 1,
      stderr: '',
    });
    const planned = parse(dry.stdout);
    expect(planned.adoptVersion).toBe(1);
    expect(planned.dryRun).toBe(true);
    expect(statusOf(planned, goodFn)).toBe('adopt');
    expect(planned.functions.find((f) => f.lambdaName === otherFn)).toMatchObject({
      status: 'left',
      reason: 'other-code',
    });

    const human = await cli(['adopt'], e.vars);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain('dry run');
    expect(human.stdout).toMatch(new RegExp(`left\\s+${otherFn} \\(other-code\\)`));

    const { lambda, s3 } = testClients();
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: goodFn }))).Tags ?? {}).toEqual({});
    const applied = await cli(['adopt', '--apply', '--json'], e.vars);
    expect(applied.code).toBe(1);
    expect(statusOf(parse(applied.stdout), goodFn)).toBe('adopted');
    const tags = (await lambda.send(new GetFunctionCommand({ FunctionName: goodFn }))).Tags ?? {};
    expect(tags[FUNCTION_TAGS.managedBy]).toBe(FUNCTION_TAGS.managedByValue);
    expect(tags[FUNCTION_TAGS.appId]).toBe(good.appId);
    expect((await lambda.send(new GetFunctionCommand({ FunctionName: otherFn }))).Tags ?? {}).toEqual({});

    // the operator retires the function with other code: nothing is left, the policy is taken over
    await lambda.send(new DeleteFunctionCommand({ FunctionName: otherFn }));
    await s3.send(new DeleteObjectCommand({ Bucket: e.appsBucket, Key: other.manifestKey }));
    const done = await cli(['adopt', '--apply', '--json'], e.vars);
    expect(done.code).toBe(0);
    expect(parse(done.stdout).invokePolicy.status).toBe('taken-over');
    const again = await cli(['adopt', '--apply'], e.vars);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('0 adopted, 1 already ours, 0 left alone');
  });

  it('exits 2 for a bad --only or a missing execute role, 3 when another run holds the lock', async () => {
    const e = await e2eEnv();
    const bad = await cli(['adopt', '--only', 'x'], e.vars);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--only');

    const noRole = await cli(['adopt'], e.vars);
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toContain(ENV.executeRoleName);

    const env = upstreamEnv(e);
    await upstreamExecuteRole(env);
    const { s3 } = testClients();
    const lock = {
      runId: 'other-run',
      host: 'elsewhere',
      pid: 1,
      startedAt: new Date().toISOString(),
      ttlSeconds: 600,
    };
    await s3.send(
      new PutObjectCommand({ Bucket: e.appsBucket, Key: 'deployer/lock', Body: JSON.stringify(lock) }),
    );
    const locked = await cli(['adopt', '--apply'], e.vars);
    expect(locked.code).toBe(3);
    expect(locked.stderr).toContain('other-run');
    // a dry run takes no lock
    expect((await cli(['adopt'], e.vars)).code).toBe(0);
  });
});
