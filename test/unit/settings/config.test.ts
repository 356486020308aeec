/**
 * Function settings per deployment (DESIGN.md "Function settings"): every value validated at start,
 * every problem named with its variable in ONE ConfigError (exit 2).
 */
import { loadConfig } from '../../../src/config';
import { deploymentSettings } from '../../../src/settings/effective';
import { configProblem as problem, loadFrom as load } from '../support/config';

const SUBNETS = 'subnet-0123456789abcdef0, subnet-89abcdef';
const SGS = 'sg-0123456789abcdef0';

describe('function settings from the environment', () => {
  it('defaults: 30 s, 128 MB, no VPC, no environment, log groups left alone', () => {
    expect(deploymentSettings(load({}))).toEqual({
      timeoutSeconds: 30,
      memoryMb: 128,
      subnetIds: [],
      securityGroupIds: [],
      environment: {},
      logRetentionDays: undefined,
    });
  });

  it('reads the Cloud deployer’s settings', () => {
    const config = load({
      APPS_DEPLOYER_LAMBDA_TIMEOUT: '120',
      APPS_DEPLOYER_LAMBDA_MEMORY: '512',
      APPS_DEPLOYER_LAMBDA_SUBNET_IDS: SUBNETS,
      APPS_DEPLOYER_LAMBDA_SECURITY_GROUP_IDS: SGS,
      APPS_DEPLOYER_LAMBDA_ENVIRONMENT: '{"MM_ENV":"cloud","EMPTY":""}',
      APPS_DEPLOYER_LAMBDA_LOG_RETENTION_DAYS: '14',
    });
    expect(deploymentSettings(config)).toEqual({
      timeoutSeconds: 120,
      memoryMb: 512,
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-89abcdef'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      environment: { MM_ENV: 'cloud', EMPTY: '' },
      logRetentionDays: 14,
    });
  });

  it('names every bad value and its variable in one message', () => {
    const message = problem({
      APPS_DEPLOYER_LAMBDA_TIMEOUT: '901',
      APPS_DEPLOYER_LAMBDA_MEMORY: '100',
      APPS_DEPLOYER_LAMBDA_SUBNET_IDS: 'subnet-0123456789abcdef0,vpc-12345678',
      APPS_DEPLOYER_LAMBDA_SECURITY_GROUP_IDS: 'sg-xyz',
      APPS_DEPLOYER_LAMBDA_ENVIRONMENT: JSON.stringify({ BIG: 'x'.repeat(4100) }),
      APPS_DEPLOYER_LAMBDA_LOG_RETENTION_DAYS: '10',
    });
    const lines = message.split('\n  - ').slice(1);
    expect(lines).toHaveLength(6);
    expect(message).toMatch(/APPS_DEPLOYER_LAMBDA_TIMEOUT must be a whole number from 1 to 900/);
    expect(message).toMatch(/APPS_DEPLOYER_LAMBDA_MEMORY must be a whole number from 128 to 10240/);
    expect(message).toMatch(/APPS_DEPLOYER_LAMBDA_SUBNET_IDS: "vpc-12345678" is not a subnet id/);
    expect(message).toMatch(/APPS_DEPLOYER_LAMBDA_SECURITY_GROUP_IDS: "sg-xyz" is not a security group id/);
    expect(message).toMatch(/APPS_DEPLOYER_LAMBDA_ENVIRONMENT: \d+ bytes; Lambda allows 4096/);
    expect(message).toMatch(
      /APPS_DEPLOYER_LAMBDA_LOG_RETENTION_DAYS must be one of CloudWatch's values: 1, 3, 5/,
    );
  });

  it('wants subnets and security groups together', () => {
    expect(problem({ APPS_DEPLOYER_LAMBDA_SUBNET_IDS: SUBNETS })).toMatch(
      /APPS_DEPLOYER_LAMBDA_SUBNET_IDS and APPS_DEPLOYER_LAMBDA_SECURITY_GROUP_IDS go together/,
    );
  });

  it('limits the VPC to what Lambda accepts (16 subnets, 5 security groups)', () => {
    const sgs = Array.from({ length: 6 }, (_, i) => `sg-0000000${i}`).join(',');
    expect(
      problem({ APPS_DEPLOYER_LAMBDA_SUBNET_IDS: SUBNETS, APPS_DEPLOYER_LAMBDA_SECURITY_GROUP_IDS: sgs }),
    ).toMatch(/at most 5 security group ids \(got 6\)/);
  });

  it.each([
    ['[]', /must be a JSON object of strings/],
    ['{not json', /it is not JSON/],
    ['{"N":1}', /the values of "N" must be strings/],
    ['{"1BAD":"x"}', /"1BAD" not valid variable name/],
    ['{"AWS_REGION":"x"}', /AWS_REGION reserved by the Lambda runtime/],
  ])('refuses the environment %s', (raw, expected) => {
    expect(problem({ APPS_DEPLOYER_LAMBDA_ENVIRONMENT: raw })).toMatch(expected);
  });

  it('accepts an environment of exactly 4 KB and refuses one byte more', () => {
    const base = JSON.stringify({ V: '' }).length;
    expect(
      load({ APPS_DEPLOYER_LAMBDA_ENVIRONMENT: JSON.stringify({ V: 'x'.repeat(4096 - base) }) })
        .lambdaEnvironment.V,
    ).toHaveLength(4096 - base);
    expect(
      problem({ APPS_DEPLOYER_LAMBDA_ENVIRONMENT: JSON.stringify({ V: 'x'.repeat(4097 - base) }) }),
    ).toMatch(/4097 bytes/);
  });

  it('accepts every CloudWatch retention value and nothing else', () => {
    expect(load({ APPS_DEPLOYER_LAMBDA_LOG_RETENTION_DAYS: '3653' }).lambdaLogRetentionDays).toBe(3653);
    expect(problem({ APPS_DEPLOYER_LAMBDA_LOG_RETENTION_DAYS: 'forever' })).toMatch(/got "forever"/);
  });
});

describe('upstream credential names', () => {
  const provision = (env: Record<string, string>) => loadConfig(env, {}, { provisionCredentials: true });

  it('accepts appsctl 0.7’s MM_APPS_PROVISION_AWS_* names', () => {
    expect(
      provision({ MM_APPS_PROVISION_AWS_ACCESS_KEY: 'AKID07', MM_APPS_PROVISION_AWS_SECRET_KEY: 's07' }).aws
        .credentials,
    ).toEqual({ accessKeyId: 'AKID07', secretAccessKey: 's07' });
  });

  it('prefers ours, then appsctl 1.x’s, then 0.7’s', () => {
    const creds = provision({
      MM_APPS_PROVISION_AWS_ACCESS_KEY: 'AKID07',
      MM_APPS_PROVISION_AWS_SECRET_KEY: 's07',
      MM_APPS_DEPLOY_AWS_ACCESS_KEY: 'AKID1X',
      MM_APPS_DEPLOY_AWS_SECRET_KEY: 's1x',
    }).aws.credentials;
    expect(creds).toEqual({ accessKeyId: 'AKID1X', secretAccessKey: 's1x' });
  });
});
