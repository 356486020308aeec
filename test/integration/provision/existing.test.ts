/**
 * Existing resources (DESIGN.md "Existing functions", "Re-uploads", "IAM"): immutable versions,
 * replace, functions left by a crashed run, name collisions, configuration drift, IAM creation
 * disabled, the write guard, and multipart assets.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  TagResourceCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import {
  decodePolicyDocument,
  MANAGED_IAM_TAG,
  wantedInvokePolicyDocument,
} from '../../../src/provision/iam';
import { ConfigError, DeployerError } from '../../../src/errors';
import { ConflictError, IamError } from '../../../src/provision/errors';
import { MANIFEST_METADATA } from '../../../src/provision/types';
import { functionZip, upstreamLikeSpec, simpleAppSpec } from '../../support/bundle-builder';
import { uniqueName } from '../../support/emulator';
import { tempSuite } from '../support/suite';
import {
  assertI1,
  buildBundle,
  freshEnv,
  provisioner,
  uniqueAppId,
  writeRequests,
  writeTap,
} from './support';

jest.setTimeout(180_000);

describe('provisioning over existing resources', () => {
  const suite = tempSuite();
  const { clients } = suite;

  const codeOf = async (name: string) =>
    (await clients.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration?.CodeSha256;
  const etagOf = async (bucket: string, key: string) =>
    (await clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;

  it('refuses other code for a provisioned version and overwrites nothing', async () => {
    // Prepare
    const env = await freshEnv(suite.dir);
    const appId = uniqueAppId();
    const v1 = await buildBundle(suite.dir, 'imm-1', await upstreamLikeSpec({ app_id: appId }, 'one'));
    const v1b = await buildBundle(suite.dir, 'imm-2', await upstreamLikeSpec({ app_id: appId }, 'two'));
    await provisioner(env).provision(v1, { runId: 'first' });
    const manifestEtag = await etagOf(env.bucket, v1.manifestKey);
    const assetEtags = await Promise.all(v1.assets.map((a) => etagOf(env.bucket, a.key)));
    env.ports.requests.reset();

    // Act
    const attempt = provisioner(env).provision(v1b, { runId: 'second' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining('immutable'),
    });
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
    for (const fn of v1.functions) expect(await codeOf(fn.lambdaName)).toBe(fn.codeSha256);
    expect(await etagOf(env.bucket, v1.manifestKey)).toBe(manifestEtag);
    expect(await Promise.all(v1.assets.map((a) => etagOf(env.bucket, a.key)))).toEqual(assetEtags);
  });

  it('replaces a provisioned version (--update), keeping I1 after every write', async () => {
    // Prepare
    const env = await freshEnv(suite.dir);
    const appId = uniqueAppId();
    const v1 = await buildBundle(suite.dir, 'rep-1', await upstreamLikeSpec({ app_id: appId }, 'one'));
    const v1b = await buildBundle(suite.dir, 'rep-2', {
      ...(await upstreamLikeSpec({ app_id: appId }, 'two')),
      static: { 'photo.png': 'a new photo', 'text.txt': 'new text' },
    });
    const p = provisioner(env);
    const { roleArn } = await p.ensureIam();
    await p.provision(v1, { runId: 'first' });
    const checks: { write: string; published: boolean; bundle: string }[] = [];
    const tap = writeTap(env.ports, {
      onWrite: async (write) => {
        // whichever bundle the manifest names, I1 must hold for it
        const head = await clients.s3
          .send(new HeadObjectCommand({ Bucket: env.bucket, Key: v1.manifestKey }))
          .catch(() => undefined);
        const sha = head?.Metadata?.[MANIFEST_METADATA.bundleSha256];
        const current = sha === v1.sha256Hex ? v1 : v1b;
        checks.push({
          write,
          published: await assertI1(env, current, roleArn),
          bundle: current === v1 ? 'v1' : 'v1b',
        });
      },
    });

    // Act
    const result = await provisioner(env, tap.ports).provision(v1b, { runId: 'replace', replace: true });

    // Assess
    expect(result.status).toBe('provisioned');
    expect(result.functions.map((f) => f.outcome)).toEqual(['updated', 'updated', 'updated', 'updated']);
    expect(tap.writes[0]).toBe('s3.deleteObject'); // unpublished first
    expect(checks[0]).toEqual({ write: 's3.deleteObject', published: false, bundle: 'v1b' });
    expect(checks[checks.length - 1]).toEqual({ write: 's3.putObject', published: true, bundle: 'v1b' });
    for (const fn of v1b.functions) expect(await codeOf(fn.lambdaName)).toBe(fn.codeSha256);
    const meta = (await clients.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: v1b.manifestKey })))
      .Metadata;
    expect(meta?.[MANIFEST_METADATA.bundleSha256]).toBe(v1b.sha256Hex);
    expect(meta?.[MANIFEST_METADATA.runId]).toBe('replace');
  });

  it('converges a function left by a crashed run (our tags, no manifest) instead of calling it a conflict', async () => {
    // Prepare: a run of a first build dies before its manifest; the fixed bundle has other code
    const env = await freshEnv(suite.dir);
    const appId = uniqueAppId();
    const broken = await buildBundle(
      suite.dir,
      'crash-1',
      await upstreamLikeSpec({ app_id: appId }, 'broken'),
    );
    const fixed = await buildBundle(suite.dir, 'crash-2', await upstreamLikeSpec({ app_id: appId }, 'fixed'));
    const tap = writeTap(env.ports, { interrupt: { at: 5 + 4 + 4, when: 'before' } }); // all functions made
    await expect(provisioner(env, tap.ports).provision(broken, { runId: 'dies' })).rejects.toBeDefined();
    for (const fn of broken.functions) expect(await codeOf(fn.lambdaName)).toBe(fn.codeSha256);

    // Act
    const result = await provisioner(env).provision(fixed, { runId: 'fixed' });

    // Assess
    expect(result.status).toBe('provisioned');
    expect(result.functions.map((f) => f.outcome)).toEqual(['updated', 'updated', 'updated', 'updated']);
    expect(await assertI1(env, fixed, (await provisioner(env).ensureIam()).roleArn)).toBe(true);
  });

  it("calls another app's function under the same name a conflict, and leaves it alone", async () => {
    // Prepare: a function with our name, tagged for another app
    const env = await freshEnv(suite.dir);
    const p = provisioner(env);
    const { roleArn } = await p.ensureIam();
    const spec = await simpleAppSpec(uniqueAppId('x'), '1.0.0');
    const bundle = await buildBundle(suite.dir, 'collide', spec);
    const fn = bundle.functions[0]!;
    const foreign = await functionZip({ 'index.js': 'exports.handler = async () => "theirs";' });
    await clients.s3.send(new PutObjectCommand({ Bucket: env.bucket, Key: 'foreign.zip', Body: foreign }));
    await clients.lambda.send(
      new CreateFunctionCommand({
        FunctionName: fn.lambdaName,
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: roleArn,
        Code: { S3Bucket: env.bucket, S3Key: 'foreign.zip' },
        Tags: {
          'mattermost-apps-managed-by': 'apps-deployer',
          'mattermost-app-id': 'someone.else',
          'mattermost-app-version': '1.0.0',
        },
      }),
    );
    const before = await codeOf(fn.lambdaName);

    // Act
    const attempt = p.provision(bundle, { runId: 'collide' });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(/belongs to app someone\.else version 1\.0\.0/);
    expect(await codeOf(fn.lambdaName)).toBe(before);
    await expect(
      clients.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: bundle.manifestKey })),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });

  it('judges every function before the first write: with --update, a foreign function unpublishes nothing', async () => {
    // Prepare: v1 provisioned (2 functions); then fn1's name is taken over by a function of another app
    const env = await freshEnv(suite.dir);
    const p = provisioner(env);
    const { roleArn } = await p.ensureIam();
    const appId = uniqueAppId('y');
    const v1 = await buildBundle(
      suite.dir,
      'pre-1',
      await simpleAppSpec(appId, '1.0.0', { functions: 2, body: 'one' }),
    );
    const v1b = await buildBundle(
      suite.dir,
      'pre-2',
      await simpleAppSpec(appId, '1.0.0', { functions: 2, body: 'two' }),
    );
    await p.provision(v1, { runId: 'first' });
    const taken = v1.functions[1]!;
    await clients.lambda.send(
      new TagResourceCommand({
        Resource: (await clients.lambda.send(new GetFunctionCommand({ FunctionName: taken.lambdaName })))
          .Configuration!.FunctionArn!,
        Tags: { 'mattermost-app-id': 'someone.else' },
      }),
    );
    const manifestEtag = await etagOf(env.bucket, v1.manifestKey);
    env.ports.requests.reset();

    // Act
    const attempt = p.provision(v1b, { runId: 'update', replace: true });

    // Assess: the conflict is found before any write; the version stays published, v1's code in place
    await expect(attempt).rejects.toBeInstanceOf(ConflictError);
    await expect(attempt).rejects.toThrow(/belongs to app someone\.else/);
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
    expect(await etagOf(env.bucket, v1.manifestKey)).toBe(manifestEtag);
    expect(await codeOf(v1.functions[0]!.lambdaName)).toBe(v1.functions[0]!.codeSha256);
    expect(roleArn).toContain(env.config.executeRoleName);
  });

  it('converges configuration drift with an UpdateFunctionConfiguration only', async () => {
    // Prepare
    const env = await freshEnv(suite.dir);
    const bundle = await buildBundle(
      suite.dir,
      'drift',
      await simpleAppSpec(uniqueAppId('d'), '1.0.0', { functions: 2 }),
    );
    await provisioner(env).provision(bundle, { runId: 'first' });
    const fn = bundle.functions[1]!;
    await clients.lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: fn.lambdaName, MemorySize: 512 }),
    );
    env.ports.requests.reset();

    // Act
    const result = await provisioner(env).provision(bundle, { runId: 'second' });

    // Assess
    expect(result.functions.map((f) => f.outcome)).toEqual(['unchanged', 'updated']);
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({ 'Lambda.UpdateFunctionConfiguration': 1 });
    const got = await clients.lambda.send(new GetFunctionCommand({ FunctionName: fn.lambdaName }));
    expect(got.Configuration?.MemorySize).toBe(env.config.lambdaMemoryMb);
  });

  it("attaches the invoke policy to the Mattermost server's role when one is configured, once", async () => {
    // Prepare: the server's role exists (the deployer never creates it)
    const serverRole = uniqueName('mm-server');
    await clients.iam.send(
      new CreateRoleCommand({
        RoleName: serverRole,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
      }),
    );
    const env = await freshEnv(suite.dir, { invokeRoleName: serverRole });

    // Act
    await provisioner(env).ensureIam();
    const attached = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: serverRole }));
    env.ports.requests.reset();
    await provisioner(env).ensureIam();
    const missing = await freshEnv(suite.dir, { invokeRoleName: uniqueName('no-such-role') });
    const attempt = provisioner(missing).ensureIam();

    // Assess
    expect(attached.AttachedPolicies?.map((p) => p.PolicyName)).toEqual([env.config.invokePolicyName]);
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
    await expect(attempt).rejects.toBeInstanceOf(IamError);
    await expect(attempt).rejects.toMatchObject({
      hint: expect.stringContaining('APPS_DEPLOYER_INVOKE_ROLE'),
    });
  });

  it('with IAM creation disabled, a missing execute role is an IamError naming the role and the fix', async () => {
    const env = await freshEnv(suite.dir, { createIam: false });
    const bundle = await buildBundle(suite.dir, 'noiam', await simpleAppSpec(uniqueAppId('n'), '1.0.0'));
    const attempt = provisioner(env).provision(bundle, { runId: 'noiam' });
    await expect(attempt).rejects.toBeInstanceOf(IamError);
    await expect(attempt).rejects.toThrow(env.config.executeRoleName);
    await expect(attempt).rejects.toMatchObject({
      hint: expect.stringContaining('APPS_DEPLOYER_CREATE_IAM=true'),
    });
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
  });

  it('calls assertCanWrite before every write, and stops when it throws', async () => {
    // Prepare
    const env = await freshEnv(suite.dir);
    const bundle = await buildBundle(
      suite.dir,
      'guard',
      await upstreamLikeSpec({ app_id: uniqueAppId('g') }, 'guard'),
    );
    let calls = 0;
    class LockLost extends DeployerError {
      constructor() {
        super('lock lost', { code: 'LOCK_LOST' });
      }
    }
    const tap = writeTap(env.ports);

    // Act 1: a guard that allows everything
    await provisioner(env, tap.ports).provision(bundle, { runId: 'g1', assertCanWrite: () => void calls++ });

    // Assess 1: one call per write
    expect(calls).toBe(tap.writes.length);
    expect(calls).toBe(5 + 4 + 4 + 5 + 1 + 1); // … assets, the version record, the manifest

    // Act 2: a guard that refuses, on a fresh app
    const other = await buildBundle(suite.dir, 'guard2', await simpleAppSpec(uniqueAppId('h'), '1.0.0'));
    env.ports.requests.reset();
    const stopped = provisioner(env).provision(other, {
      runId: 'g2',
      assertCanWrite: () => {
        throw new LockLost();
      },
    });

    // Assess 2: the guard's error, and no write sent
    await expect(stopped).rejects.toBeInstanceOf(LockLost);
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
  });

  it('uploads a large asset as multipart with its sha256 and Content-Type, and skips it next time', async () => {
    // Prepare: 12 MiB, above the 8 MiB part size
    const env = await freshEnv(suite.dir);
    const big = randomBytes(12 * 1024 * 1024); // incompressible, like real media
    const spec = await simpleAppSpec(uniqueAppId('b'), '1.0.0');
    spec.static = { ...spec.static, 'media/big video.mp4': big };
    const bundle = await buildBundle(suite.dir, 'big', spec);
    const asset = bundle.assets.find((a) => a.relPath === 'media/big video.mp4')!;

    // Act
    await provisioner(env).provision(bundle, { runId: 'big' });
    const counts = env.ports.requests.snapshot();
    env.ports.requests.reset();
    await provisioner(env).provision(bundle, { runId: 'big-again' });

    // Assess
    expect(counts['S3.UploadPart']).toBeGreaterThanOrEqual(2);
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: env.bucket, Key: asset.key }));
    expect(asset.key).toMatch(/\/media\/big-video\.mp4$/);
    expect(head.ContentLength).toBe(big.length);
    expect(head.ContentType).toBe('video/mp4');
    expect(head.Metadata?.sha256).toBe(asset.sha256Hex);
    expect(writeRequests(env.ports.requests.snapshot())).toEqual({});
  });

  it('reads back the manifest when its conditional create answers 412, before concluding', async () => {
    // Prepare: a port whose manifest PUT "lands twice": the first attempt succeeds but its answer is
    // lost, the retry meets its own object (412) — or, for "other", another writer's object
    const env = await freshEnv(suite.dir);
    const landFirst = (metadata: (m: Record<string, string>) => Record<string, string>) => ({
      ...env.ports,
      s3: {
        ...env.ports.s3,
        putObject: async (input: Parameters<typeof env.ports.s3.putObject>[0]) => {
          if (input.Key?.startsWith('manifests/'))
            await env.ports.s3.putObject({ ...input, Metadata: metadata(input.Metadata ?? {}) });
          return env.ports.s3.putObject(input);
        },
      },
    });
    const mine = await buildBundle(suite.dir, 'rb-1', await simpleAppSpec(uniqueAppId('r'), '1.0.0'));
    const same = await buildBundle(suite.dir, 'rb-2', await simpleAppSpec(uniqueAppId('s'), '1.0.0'));
    const foreign = await buildBundle(suite.dir, 'rb-3', await simpleAppSpec(uniqueAppId('f'), '1.0.0'));

    // Act
    const ours = await provisioner(
      env,
      landFirst((m) => m),
    ).provision(mine, { runId: 'run-a' });
    const sameBundle = await provisioner(
      env,
      landFirst((m) => ({ ...m, [MANIFEST_METADATA.runId]: 'run-b' })),
    ).provision(same, { runId: 'run-c' });
    const otherBundle = provisioner(
      env,
      landFirst((m) => ({
        ...m,
        [MANIFEST_METADATA.runId]: 'run-d',
        [MANIFEST_METADATA.bundleSha256]: 'f'.repeat(64),
      })),
    ).provision(foreign, { runId: 'run-e' });

    // Assess
    expect(ours.status).toBe('provisioned');
    expect(sameBundle.status).toBe('already-provisioned');
    await expect(otherBundle).rejects.toBeInstanceOf(ConflictError);
    await expect(otherBundle).rejects.toThrow(/another bundle/);
  });

  it('refuses to rewrite a drifted managed invoke policy: ConfigError (exit 2) naming the ARN and the fix, document untouched', async () => {
    // Prepare: the policy exists, created by the deployer (its mark), then drifted
    const env = await freshEnv(suite.dir);
    const drifted = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
    });
    const created = await clients.iam.send(
      new CreatePolicyCommand({
        PolicyName: env.config.invokePolicyName,
        PolicyDocument: drifted,
        Tags: [MANAGED_IAM_TAG],
      }),
    );
    const arn = created.Policy!.Arn!;
    env.ports.requests.reset();

    // Act
    const attempt = provisioner(env).ensureIam();

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toMatchObject({ exitCode: 2, code: 'CONFIG' });
    await expect(attempt).rejects.toThrow(new RegExp(`invoke policy "${arn}".*differs`));
    await expect(attempt).rejects.toMatchObject({
      hint: expect.stringContaining(
        `aws iam create-policy-version --policy-arn ${arn} --policy-document file://invoke-policy.json --set-as-default`,
      ) as unknown,
    });
    await expect(attempt).rejects.toMatchObject({
      hint: expect.stringContaining(
        wantedInvokePolicyDocument('aws', arn.split(':')[4]!, env.config.appsBucket),
      ) as unknown,
    });
    const counts = env.ports.requests.snapshot();
    expect(Object.keys(counts).filter((op) => op.includes('PolicyVersion') && !op.includes('Get'))).toEqual(
      [],
    );
    // only the fresh execute role was written; nothing touched the invoke policy or the group
    expect(writeRequests(counts)).toEqual({ 'IAM.CreateRole': 1, 'IAM.AttachRolePolicy': 1 });
    const policy = await clients.iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(policy.Policy!.DefaultVersionId).toBe('v1');
    const version = await clients.iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.Policy!.DefaultVersionId! }),
    );
    expect(decodePolicyDocument(version.PolicyVersion!.Document)).toEqual(JSON.parse(drifted));
  });

  it('refuses an existing execute role that Lambda may not assume, naming the fix', async () => {
    const env = await freshEnv(suite.dir);
    await clients.iam.send(
      new CreateRoleCommand({
        RoleName: env.config.executeRoleName,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        }),
        Tags: [MANAGED_IAM_TAG],
      }),
    );
    const attempt = provisioner(env).ensureIam();
    await expect(attempt).rejects.toBeInstanceOf(IamError);
    await expect(attempt).rejects.toThrow(
      `the execute role "${env.config.executeRoleName}" does not let Lambda assume it`,
    );
    await expect(attempt).rejects.toMatchObject({ hint: expect.stringContaining('lambda.amazonaws.com') });
  });
});
