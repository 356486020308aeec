/**
 * judge.ts: a function is adoptable only when its code and everything both deployers set match; the
 * settings the deployer converges on its own (timeout, memory, VPC) are listed, never a refusal.
 */
import type { FunctionConfiguration } from '@aws-sdk/client-lambda';
import { judgeFunction } from '../../../src/adopt/judge';
import type { BundleFunction } from '../../../src/bundle/types';
import type { EffectiveSettings } from '../../../src/settings/effective';

const ROLE = 'arn:aws:iam::123456789012:role/mattermost-apps-execute-lambda-role';
const fn = {
  name: 'send',
  entry: 'send.zip',
  handler: 'index.handler',
  runtime: 'nodejs20.x',
  codeSha256: 'q83vEjRWeJA=',
} as BundleFunction;
const settings: EffectiveSettings = {
  timeoutSeconds: 120,
  memoryMb: 256,
  subnetIds: ['subnet-0123456789abcdef0'],
  securityGroupIds: ['sg-0123456789abcdef0'],
  environment: {},
  architecture: 'x86_64',
};
/** what upstream leaves: name, handler, runtime, role and code; everything else Lambda's default */
const upstream: FunctionConfiguration = {
  FunctionName: 'com-x_1-0-0_send',
  Runtime: 'nodejs20.x',
  Handler: 'index.handler',
  Role: ROLE,
  CodeSha256: fn.codeSha256,
  Timeout: 3,
  MemorySize: 128,
  PackageType: 'Zip',
  Architectures: ['x86_64'],
};

describe('judgeFunction', () => {
  it('adopts what upstream created from the same zip, listing the settings reconcile converges next', () => {
    const j = judgeFunction(upstream, fn, ROLE, settings);
    expect(j.adoptable).toBe(true);
    if (!j.adoptable) return;
    expect(j.settingsToConverge).toEqual([
      'timeout 3 → 120',
      'memory 128 → 256',
      expect.stringContaining('VPC subnets [] → ["subnet-0123456789abcdef0"]') as unknown as string,
    ]);
    // nothing to converge when the settings already match
    const same = judgeFunction(
      {
        ...upstream,
        Timeout: 120,
        MemorySize: 256,
        VpcConfig: { SubnetIds: settings.subnetIds, SecurityGroupIds: settings.securityGroupIds },
      },
      fn,
      ROLE,
      settings,
    );
    expect(same).toMatchObject({ adoptable: true, settingsToConverge: [] });
  });

  it('leaves a function with other code', () => {
    expect(judgeFunction({ ...upstream, CodeSha256: 'other=' }, fn, ROLE, settings)).toMatchObject({
      adoptable: false,
      reason: 'other-code',
      detail: expect.stringContaining('send.zip') as unknown,
    });
  });

  it.each<[string, FunctionConfiguration, string]>([
    [
      'runtime',
      { ...upstream, Runtime: 'nodejs18.x' },
      'runtime "nodejs18.x" (provisioning sets "nodejs20.x")',
    ],
    ['handler', { ...upstream, Handler: 'main.handler' }, 'handler "main.handler"'],
    [
      'role',
      { ...upstream, Role: 'arn:aws:iam::123456789012:role/Admin' },
      'role "arn:aws:iam::123456789012:role/Admin"',
    ],
    ['architecture', { ...upstream, Architectures: ['arm64'] }, 'architecture "arm64"'],
    [
      'environment',
      { ...upstream, Environment: { Variables: { SECRET: 'x' } } },
      'environment variables ["SECRET"]',
    ],
    ['package type', { ...upstream, PackageType: 'Image' }, 'package type "Image"'],
  ])('leaves a function whose %s differs (other-config)', (_what, conf, detail) => {
    expect(judgeFunction(conf, fn, ROLE, settings)).toMatchObject({
      adoptable: false,
      reason: 'other-config',
      detail: expect.stringContaining(detail) as unknown,
    });
  });

  it('compares environment values too, and the configured environment with them', () => {
    const env = { ...settings, environment: { MM_SITE: 'https://a' } };
    const conf = { ...upstream, Environment: { Variables: { MM_SITE: 'https://b' } } };
    expect(judgeFunction(conf, fn, ROLE, env)).toMatchObject({ adoptable: false, reason: 'other-config' });
    const ok = { ...upstream, Environment: { Variables: { MM_SITE: 'https://a' } } };
    expect(judgeFunction(ok, fn, ROLE, env).adoptable).toBe(true);
  });
});
