/**
 * Switching the VPC off (DESIGN.md "Function settings"): every function leaves the VPC, then the VPC
 * access policy is detached, last. moto (and AWS) only, by design: LocalStack 4.14 run without its EC2
 * service does not keep a function's VpcConfig, so there is no VPC to leave (jest.config.js runs
 * `*.moto.test.ts` on every backend but LocalStack).
 */
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { testPorts } from '../../support/emulator';
import { tempSuite } from '../support/suite';
import { freshEnv, run, uniqueAppId, uploadApp, lambdaName, withConfig } from './support';

jest.setTimeout(180_000);

describe('reconcile and the VPC setting', () => {
  const suite = tempSuite();
  const { lambda, iam } = suite.clients;

  it('switching VPC off takes every function out of the VPC, then detaches the VPC policy, last', async () => {
    // Prepare: two apps in the VPC
    const vpc = {
      lambdaSubnetIds: ['subnet-0a1b2c3d4e5f60718'],
      lambdaSecurityGroupIds: ['sg-0123456789abcdef0'],
    };
    const e = await freshEnv(suite.dir, vpc);
    const [a, b] = [uniqueAppId('va'), uniqueAppId('vb')];
    await uploadApp(e, a, '1.0');
    await uploadApp(e, b, '1.0');
    await run(e);
    const attached = async () =>
      (
        await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: e.config.executeRoleName }))
      ).AttachedPolicies?.map((p) => p.PolicyArn?.split('/').pop());
    const subnetsOf = async (appId: string) =>
      (await lambda.send(new GetFunctionCommand({ FunctionName: lambdaName(appId, '1.0') }))).Configuration
        ?.VpcConfig?.SubnetIds ?? [];
    expect(await attached()).toContain('AWSLambdaVPCAccessExecutionRole');
    expect(await subnetsOf(a)).toEqual(vpc.lambdaSubnetIds);

    // Act: VPC off
    const ports = testPorts();
    const off = await run(withConfig(e, { lambdaSubnetIds: [], lambdaSecurityGroupIds: [] }), {}, { ports });

    // Assess: both apps converged out of the VPC, the policy detached after them
    expect(off.plan?.counts).toEqual({ 'converge-settings': 2 });
    expect(await subnetsOf(a)).toEqual([]);
    expect(await subnetsOf(b)).toEqual([]);
    expect(await attached()).not.toContain('AWSLambdaVPCAccessExecutionRole');
    expect(await attached()).toContain('AWSLambdaBasicExecutionRole');
    expect(ports.requests.snapshot()['IAM.DetachRolePolicy']).toBe(1);
  });
});
