/**
 * Function settings per deployment against moto (DESIGN.md "Function settings"): VPC, a 120 s
 * timeout, environment variables and log retention land on every function exactly; the execute role
 * gets the VPC access policy; a changed timeout converges every function and the run after that
 * sends no Lambda write; leaving the VPC takes the functions out of it.
 * moto does not check that subnet and security-group ids exist (AWS does): well-formed ids suffice.
 */
import { GetFunctionCommand, GetFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Bundle } from '../../../src/bundle/types';
import type { DeployerConfig } from '../../../src/config';
import { simpleAppSpec } from '../../support/bundle-builder';
import { backendName, testAwsConfig } from '../../support/emulator';
import { tempSuite } from '../support/suite';
import { buildBundle, freshEnv, provisioner, uniqueAppId, writeRequests, type Env } from './support';

jest.setTimeout(180_000);

const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'];
const SGS = ['sg-0123456789abcdef0'];
const ENVIRONMENT = { MM_CLOUD: 'true', GREETING: 'hello, world' };
const VPC_POLICY = 'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole';

/** LocalStack 4.14 (run without its EC2 service) does not keep a function's VpcConfig: there the VPC part
 * is left out and asserted on moto (and AWS) only, by design; the test says which it saw. */
const VPC_KEPT = backendName() !== 'localstack';

const cloudSettings: Partial<DeployerConfig> = {
  lambdaTimeoutSeconds: 120,
  lambdaMemoryMb: 256,
  lambdaSubnetIds: VPC_KEPT ? SUBNETS : [],
  lambdaSecurityGroupIds: VPC_KEPT ? SGS : [],
  lambdaEnvironment: ENVIRONMENT,
  lambdaLogRetentionDays: 14,
};

describe('function settings per deployment', () => {
  const suite = tempSuite();
  const { clients } = suite;
  const c = testAwsConfig();
  const logs = new CloudWatchLogsClient({
    region: c.region,
    endpoint: c.endpoint,
    credentials: c.credentials,
  });

  afterAll(() => logs.destroy());

  const configurationOf = async (name: string) =>
    (await clients.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration;
  const retentionOf = async (name: string) => {
    const out = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/lambda/${name}` }));
    return out.logGroups
      ?.filter((g) => g.logGroupName === `/aws/lambda/${name}`)
      .map((g) => g.retentionInDays);
  };
  const attachedToRole = async (env: Env) =>
    (
      await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: env.config.executeRoleName }))
    ).AttachedPolicies?.map((p) => p.PolicyArn);

  /** provisions (or re-provisions) every bundle with `config` */
  async function provisionAll(env: Env, bundles: Bundle[], config: DeployerConfig) {
    const p = provisioner(env, env.ports, undefined, config);
    const { roleArn } = await p.ensureIam();
    const results = [];
    for (const [i, b] of bundles.entries())
      results.push(await p.provision(b, { runId: `run-settings-${i}` }));
    return { roleArn, results };
  }

  it('applies VPC, timeout, memory, environment and log retention; converges a change; then writes nothing', async () => {
    // Prepare: two apps, three functions, the Cloud's settings
    const env = await freshEnv(suite.dir, cloudSettings);
    const bundles = [
      await buildBundle(suite.dir, 'a', await simpleAppSpec(uniqueAppId('sa'), '1.0.0', { functions: 2 })),
      await buildBundle(suite.dir, 'b', await simpleAppSpec(uniqueAppId('sb'), '2.0.0')),
    ];
    const names = bundles.flatMap((b) => b.functions.map((f) => f.lambdaName));
    expect(names).toHaveLength(3);

    // Act 1: first provision
    console.log(
      `function settings on ${backendName()}: VPC ${VPC_KEPT ? 'asserted' : 'left out (not kept by this emulator)'}`,
    );
    await provisionAll(env, bundles, env.config);

    // Assess 1: every function carries exactly the settings; log groups with the retention; VPC policy
    for (const name of names) {
      const conf = await configurationOf(name);
      expect({
        name,
        Timeout: conf?.Timeout,
        MemorySize: conf?.MemorySize,
        SubnetIds: [...(conf?.VpcConfig?.SubnetIds ?? [])].sort(),
        SecurityGroupIds: [...(conf?.VpcConfig?.SecurityGroupIds ?? [])],
        Environment: conf?.Environment?.Variables,
      }).toEqual({
        name,
        Timeout: 120,
        MemorySize: 256,
        SubnetIds: VPC_KEPT ? [...SUBNETS].sort() : [],
        SecurityGroupIds: VPC_KEPT ? SGS : [],
        Environment: ENVIRONMENT,
      });
      expect({ name, retention: await retentionOf(name) }).toEqual({ name, retention: [14] });
    }
    if (VPC_KEPT) expect(await attachedToRole(env)).toEqual(expect.arrayContaining([VPC_POLICY]));

    // Act 2: the operator changes the timeout (and the retention); every function converges
    const changed: DeployerConfig = { ...env.config, lambdaTimeoutSeconds: 90, lambdaLogRetentionDays: 30 };
    env.ports.requests.reset();
    const second = await provisionAll(env, bundles, changed);

    // Assess 2
    expect(second.results.flatMap((r) => r.functions.map((f) => f.outcome))).toEqual([
      'updated',
      'updated',
      'updated',
    ]);
    expect(env.ports.requests.snapshot()['Lambda.UpdateFunctionConfiguration']).toBe(3);
    expect(env.ports.requests.snapshot()['Lambda.UpdateFunctionCode']).toBeUndefined();
    for (const name of names) {
      const conf = await configurationOf(name);
      expect({ name, Timeout: conf?.Timeout, env: conf?.Environment?.Variables }).toEqual({
        name,
        Timeout: 90,
        env: ENVIRONMENT,
      });
      expect({ name, retention: await retentionOf(name) }).toEqual({ name, retention: [30] });
    }

    // Act 3: the same settings again
    env.ports.requests.reset();
    const third = await provisionAll(env, bundles, changed);

    // Assess 3: no Lambda, Logs or other write at all
    expect(third.results.flatMap((r) => r.functions.map((f) => f.outcome))).toEqual([
      'unchanged',
      'unchanged',
      'unchanged',
    ]);
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
  });

  it('takes functions out of the VPC and drops their environment when the settings are removed', async () => {
    // Prepare
    const env = await freshEnv(suite.dir, cloudSettings);
    const bundle = await buildBundle(suite.dir, 'c', await simpleAppSpec(uniqueAppId('sc'), '1.0.0'));
    const name = bundle.functions[0]?.lambdaName as string;
    await provisionAll(env, [bundle], env.config);
    expect((await configurationOf(name))?.VpcConfig?.SubnetIds?.length ?? 0).toBe(VPC_KEPT ? 2 : 0);

    // Act
    const outside: DeployerConfig = {
      ...env.config,
      lambdaSubnetIds: [],
      lambdaSecurityGroupIds: [],
      lambdaEnvironment: {},
    };
    await provisionAll(env, [bundle], outside);

    // Assess
    const conf = await configurationOf(name);
    expect(conf?.VpcConfig?.SubnetIds ?? []).toEqual([]);
    expect(conf?.VpcConfig?.SecurityGroupIds ?? []).toEqual([]);
    expect(conf?.Environment?.Variables ?? {}).toEqual({});
    env.ports.requests.reset();
    await provisionAll(env, [bundle], outside);
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
  });

  it('gives one app arm64 and reserved concurrency from the overrides; removing them converges', async () => {
    // Prepare
    const env = await freshEnv(suite.dir);
    const [heavy, light] = [uniqueAppId('oh'), uniqueAppId('ol')];
    const bundles = [
      await buildBundle(suite.dir, 'heavy', await simpleAppSpec(heavy, '1.0.0')),
      await buildBundle(suite.dir, 'light', await simpleAppSpec(light, '1.0.0')),
    ];
    const [heavyFn, lightFn] = bundles.map((b) => b.functions[0]?.lambdaName as string);
    const withOverrides: DeployerConfig = {
      ...env.config,
      appOverrides: { [heavy]: { architecture: 'arm64', reservedConcurrency: 5, timeout: 300 } },
    };
    const reservedOf = async (name: string) =>
      (await clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: name })))
        .ReservedConcurrentExecutions;

    // Act
    await provisionAll(env, bundles, withOverrides);

    // Assess: only the overridden app carries them
    const h = await configurationOf(heavyFn as string);
    const l = await configurationOf(lightFn as string);
    expect([h?.Architectures, h?.Timeout, await reservedOf(heavyFn as string)]).toEqual([['arm64'], 300, 5]);
    expect([l?.Architectures, l?.Timeout, await reservedOf(lightFn as string)]).toEqual([
      ['x86_64'],
      env.config.lambdaTimeoutSeconds,
      undefined,
    ]);
    env.ports.requests.reset();
    await provisionAll(env, bundles, withOverrides);
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});

    // Act: the reserved concurrency is dropped from the overrides
    const dropped: DeployerConfig = {
      ...env.config,
      appOverrides: { [heavy]: { architecture: 'arm64', timeout: 300 } },
    };
    env.ports.requests.reset();
    await provisionAll(env, bundles, dropped);

    // Assess
    expect(await reservedOf(heavyFn as string)).toBeUndefined();
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({ 'Lambda.DeleteFunctionConcurrency': 1 });
  });
});
