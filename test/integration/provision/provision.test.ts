/**
 * The provisioner against moto: a bundle like the upstream test bundle goes live with the right
 * names, configuration, tags, code, assets and manifest; a second provision writes nothing.
 */
import { createHash } from 'node:crypto';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  GetRoleCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { VERSION } from '../../../src/version';
import { FUNCTION_TAGS, MANIFEST_METADATA, type ProvisionEvent } from '../../../src/provision/types';
import { UPSTREAM_FUNCTIONS, UPSTREAM_STATIC, upstreamLikeSpec } from '../../support/bundle-builder';
import { tempSuite } from '../support/suite';
import { assertI1, buildBundle, freshEnv, provisioner, uniqueAppId, writeRequests } from './support';

jest.setTimeout(120_000);

const sanitize = (s: string): string => s.replace(/\./g, '-');

/** The Lambda name rule of DESIGN.md "Names and keys", derived independently of src/bundle. */
function expectedLambdaName(appId: string, version: string, fn: string): string {
  const full = `${sanitize(appId)}_${sanitize(version)}_${fn.replace(/ /g, '-')}`;
  if (full.length <= 64) return full;
  const cut = 64 - appId.length - version.length - 2;
  return `${sanitize(appId)}_${sanitize(version)}_${createHash('sha256').update(full).digest('hex').slice(0, cut)}`;
}

const CONTENT_TYPES: Record<string, string> = {
  'some.json': 'application/json',
  'static file with spaces.txt': 'text/plain',
  'photo.png': 'image/png',
  'text.txt': 'text/plain',
  'static-file-with-very-very-very-very-very-very-very-very-long-name.txt': 'text/plain',
};

describe('Provisioner against the emulator', () => {
  const suite = tempSuite();
  const { clients } = suite;

  it('provisions an upstream-like bundle: 4 functions, 5 assets, the manifest last', async () => {
    // Prepare
    const env = await freshEnv(suite.dir);
    const appId = uniqueAppId();
    const bundle = await buildBundle(suite.dir, 'upstream', await upstreamLikeSpec({ app_id: appId }));
    const events: ProvisionEvent[] = [];
    const p = provisioner(env, env.ports, events);

    // Act
    const { roleArn } = await p.ensureIam();
    const result = await p.provision(bundle, { runId: 'run-upstream-1' });

    // Assess: result
    expect(result.status).toBe('provisioned');
    expect(result.functions.map((f) => f.outcome)).toEqual(['created', 'created', 'created', 'created']);
    expect(result.assets.map((a) => a.outcome)).toEqual([
      'created',
      'created',
      'created',
      'created',
      'created',
    ]);

    // Assess: IAM
    const role = await clients.iam.send(new GetRoleCommand({ RoleName: env.config.executeRoleName }));
    expect(role.Role?.Arn).toBe(roleArn);
    const trust = role.Role?.AssumeRolePolicyDocument ?? '';
    expect(decodeURIComponent(trust)).toContain('lambda.amazonaws.com');
    const rolePolicies = await clients.iam.send(
      new ListAttachedRolePoliciesCommand({ RoleName: env.config.executeRoleName }),
    );
    expect(rolePolicies.AttachedPolicies?.map((p) => p.PolicyName)).toContain('AWSLambdaBasicExecutionRole');
    const groupPolicies = await clients.iam.send(
      new ListAttachedGroupPoliciesCommand({ GroupName: env.config.invokeGroupName }),
    );
    expect(groupPolicies.AttachedPolicies?.map((p) => p.PolicyName)).toEqual([env.config.invokePolicyName]);

    // Assess: functions
    expect(bundle.functions).toHaveLength(UPSTREAM_FUNCTIONS.length);
    for (const spec of UPSTREAM_FUNCTIONS) {
      const fn = bundle.functions.find((f) => f.name === spec.name);
      const name = expectedLambdaName(appId, '0.1.0', spec.name);
      expect(fn?.lambdaName).toBe(name);
      const got = await clients.lambda.send(new GetFunctionCommand({ FunctionName: name }));
      expect(got.Configuration).toMatchObject({
        FunctionName: name,
        Handler: spec.handler,
        Runtime: spec.runtime,
        Role: roleArn,
        CodeSha256: fn?.codeSha256,
        Timeout: env.config.lambdaTimeoutSeconds,
        MemorySize: env.config.lambdaMemoryMb,
        State: 'Active',
      });
      expect(got.Tags).toEqual({
        [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
        [FUNCTION_TAGS.appId]: appId,
        [FUNCTION_TAGS.version]: '0.1.0',
        [FUNCTION_TAGS.bundleSha256]: bundle.sha256Hex,
      });
    }

    // Assess: staged code, content-addressed
    const staged = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: env.bucket, Prefix: 'deployer/code/' }),
    );
    expect(staged.Contents?.map((o) => o.Key).sort()).toEqual(
      bundle.functions.map((f) => `deployer/code/${f.sha256Hex}.zip`).sort(),
    );

    // Assess: assets
    for (const rel of UPSTREAM_STATIC) {
      const key = `static/${appId}_0.1.0_app/${rel.replace(/ /g, '-')}`;
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: key }));
      expect({ key, type: head.ContentType?.split(';')[0] }).toEqual({ key, type: CONTENT_TYPES[rel] });
      expect(head.Metadata?.sha256).toBe(bundle.assets.find((a) => a.key === key)?.sha256Hex);
    }

    // Assess: the manifest, normalized, with its metadata
    const manifest = await clients.s3.send(
      new GetObjectCommand({ Bucket: env.bucket, Key: `manifests/${appId}_0.1.0.json` }),
    );
    const body = JSON.parse(await manifest.Body!.transformToString()) as Record<string, unknown>;
    expect(body.aws_lambda).toEqual({ functions: UPSTREAM_FUNCTIONS.map((f) => ({ ...f })) });
    expect(body.app_id).toBe(appId);
    expect(manifest.Metadata).toEqual({
      [MANIFEST_METADATA.bundleSha256]: bundle.sha256Hex,
      [MANIFEST_METADATA.deployerVersion]: VERSION,
      [MANIFEST_METADATA.runId]: 'run-upstream-1',
      [MANIFEST_METADATA.manifestSha256]: createHash('sha256')
        .update(bundle.storedManifestJson)
        .digest('hex'),
    });
    expect(await assertI1(env, bundle, roleArn)).toBe(true);

    // Assess: the manifest was the last write, and every step reported
    const steps = events.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.step : ''));
    expect(steps[steps.length - 1]).toBe('manifest');
    expect(steps.filter((s) => s === 'function')).toHaveLength(4);
    expect(steps.filter((s) => s === 'asset')).toHaveLength(5);
  });

  it('sends no create/update/put request on a second provision', async () => {
    // Prepare
    const env = await freshEnv(suite.dir);
    const bundle = await buildBundle(suite.dir, 'again', await upstreamLikeSpec({ app_id: uniqueAppId() }));
    await provisioner(env).provision(bundle, { runId: 'first' });
    env.ports.requests.reset();

    // Act: a new run (new provisioner, IAM checked again)
    const result = await provisioner(env).provision(bundle, { runId: 'second' });

    // Assess
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
    expect(env.ports.requests.snapshot()['Lambda.GetFunction']).toBe(4);
    expect(result.status).toBe('already-provisioned');
    expect([...result.functions, ...result.assets].every((r) => r.outcome === 'unchanged')).toBe(true);
  });
});
