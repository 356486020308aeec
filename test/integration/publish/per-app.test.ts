/**
 * Who may publish what, end to end against the emulator (DESIGN.md "Release layout and who may
 * publish what", "IAM"): the per-app layout with one uploader policy per app, `upload` under the
 * per-app key (create-only), the deployer provisioning an app's bundle from its folder and rejecting a
 * bundle placed in another app's folder, flat keys to move, name squatting, and IAM ownership.
 */
import path from 'node:path';
import { GetFunctionCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { CreatePolicyCommand, GetPolicyCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import type { PutObjectCommandInput } from '@aws-sdk/client-s3';
import type { AwsPorts } from '../../../src/aws/ports';
import { lambdaFunctionName, manifestKey } from '../../../src/bundle/names';
import { ConfigError, ExitCode, exitCodeFor } from '../../../src/errors';
import { silentLogger } from '../../../src/log';
import { MANAGED_IAM_TAG } from '../../../src/provision/iam';
import { Provisioner } from '../../../src/provision/provisioner';
import { getStatus } from '../../../src/status';
import { uploaderPolicyDocument, uploadBundle } from '../../../src/upload';
import { bundleBuffer, simpleAppSpec, tempDir, writeBundle } from '../../support/bundle-builder';
import { testClients, testPorts } from '../../support/emulator';
import { freshEnv, keys, outcomes, PREFIX, run, uniqueAppId, upload, type Env } from '../reconcile/support';

jest.setTimeout(120_000);

interface PolicyStatement {
  Sid: string;
  Effect: string;
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** Ports whose S3 putObject requests are recorded (the real port underneath). */
function recordingPorts(): { ports: AwsPorts; puts: PutObjectCommandInput[] } {
  const ports = testPorts();
  const puts: PutObjectCommandInput[] = [];
  const putObject = ports.s3.putObject.bind(ports.s3);
  ports.s3.putObject = (input) => {
    puts.push(input);
    return putObject(input);
  };
  return { ports, puts };
}

async function functionExists(name: string): Promise<boolean> {
  try {
    await testClients().lambda.send(new GetFunctionCommand({ FunctionName: name }));
    return true;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return false;
    throw err;
  }
}

describe('per-app release layout, end to end', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('per-app-'));
  });
  afterAll(async () => {
    await cleanup();
  });

  const perApp = (tmp: string) => freshEnv(tmp, { releaseLayout: 'per-app' });

  it("gives each app's uploader a policy for its own folder only, create-only", async () => {
    const env = await perApp(dir);
    const [a, b] = [uniqueAppId('a'), uniqueAppId('b')];
    const docs = [a, b].map(
      (appId) =>
        JSON.parse(
          uploaderPolicyDocument({ releaseBucket: env.releaseBucket, releasePrefix: PREFIX, appId }),
        ) as { Statement: PolicyStatement[] },
    );
    const bucketArn = `arn:aws:s3:::${env.releaseBucket}`;
    for (const [appId, doc, other] of [
      [a, docs[0]!, b],
      [b, docs[1]!, a],
    ] as const) {
      const put = doc.Statement.filter((s) => s.Action.includes('s3:PutObject'));
      expect(put).toEqual([
        {
          Sid: 'CreateOnlyInOwnReleaseFolder',
          Effect: 'Allow',
          Action: ['s3:PutObject'],
          Resource: [`${bucketArn}/${PREFIX}${appId}/*`],
          Condition: { StringEquals: { 's3:if-none-match': '*' } },
        },
      ]);
      // nothing in the document reaches the other app's folder, the flat keys or the deployer's state
      const resources = [...new Set(doc.Statement.flatMap((s) => s.Resource))];
      expect(resources.sort()).toEqual([bucketArn, `${bucketArn}/${PREFIX}${appId}/*`].sort());
      expect(JSON.stringify(doc)).not.toContain(other);
      expect(doc.Statement.flatMap((s) => s.Action).sort()).toEqual([
        's3:GetObject',
        's3:ListBucket',
        's3:PutObject',
      ]);
      expect(doc.Statement.every((s) => s.Effect === 'Allow')).toBe(true);
      const list = doc.Statement.find((s) => s.Action.includes('s3:ListBucket'));
      expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': [`${PREFIX}${appId}/*`] } });
    }
  });

  it('uploads under the per-app key with If-None-Match, provisions it, and rejects a bundle in another app’s folder', async () => {
    // Prepare: app A uploads its bundle with `upload`; A's uploader also puts app B's bundle in A's
    // folder (its policy allows A's folder), under A's name and under B's name
    const env = await perApp(dir);
    const [a, b] = [uniqueAppId('a'), uniqueAppId('b')];
    const fileA = await writeBundle(path.join(dir, 'a.zip'), await simpleAppSpec(a, '1.0.0'));
    const { ports, puts } = recordingPorts();
    const target = {
      releaseBucket: env.releaseBucket,
      releasePrefix: PREFIX,
      releaseLayout: 'per-app' as const,
    };
    const uploaded = await uploadBundle(fileA, target, { s3: ports.s3 });
    const again = await uploadBundle(fileA, target, { s3: ports.s3 });
    const bBytes = await bundleBuffer(await simpleAppSpec(b, '1.0.0'));
    const bInAsName = `${PREFIX}${a}/${a}_1.0.0.zip`.replace('1.0.0', '2.0.0');
    await upload(env, bInAsName, bBytes);
    const foreignName = `${PREFIX}${a}/${b}_1.0.0.zip`;
    await upload(env, foreignName, bBytes);

    // Act
    const first = await run(env);
    const second = await run(env);

    // Assess: the per-app key, created with If-None-Match: *; a second upload writes nothing
    const keyA = `${PREFIX}${a}/${a}_1.0.0.zip`;
    expect(uploaded).toMatchObject({ status: 'uploaded', key: keyA });
    expect(again.status).toBe('already-uploaded');
    expect(puts.map((p) => [p.Key, p.IfNoneMatch])).toEqual([[keyA, '*']]);
    expect(outcomes(first)).toEqual({
      [keyA]: 'provisioned',
      [bInAsName]: 'rejected',
      [foreignName]: 'rejected',
    });
    const issues = (key: string) => {
      const o = first.report.bundles.find((r) => r.releaseKey === key)?.outcome;
      return o?.status === 'rejected' ? o.issues.map((i) => i.message).join('\n') : '';
    };
    // the message names the folder, the app id and the fix
    expect(issues(bInAsName)).toContain(`says app_id ${b} but it sits in the folder of app ${a}`);
    expect(issues(bInAsName)).toContain(`Upload it under ${PREFIX}${b}/${b}_1.0.0.zip`);
    expect(issues(foreignName)).toContain(`folder of app ${a} but its name says app ${b}`);
    // marked by ETag: known on the next run, which downloads nothing and exits 0
    expect(second.plan?.counts).toEqual({ 'up-to-date': 1, 'known-rejection': 1, 'known-non-canonical': 1 });
    expect(second.report.exitCode).toBe(ExitCode.Ok);
    expect(second.report.requests['S3.GetObject'] ?? 0).toBe(0);
    // nothing written for B: no manifest, no function, no static asset
    expect(await keys(env, 'manifests/')).toEqual([manifestKey(a, '1.0.0')]);
    expect((await keys(env, 'static/')).some((k) => k.includes(b))).toBe(false);
    expect(await functionExists(lambdaFunctionName(b, '1.0.0', 'fn0').name)).toBe(false);
    expect(await functionExists(lambdaFunctionName(a, '1.0.0', 'fn0').name)).toBe(true);
  });

  it('rejects flat keys under per-app, and status lists them as keys to move', async () => {
    const env = await perApp(dir);
    const a = uniqueAppId('f');
    const flat = `${PREFIX}${a}_1.0.0.zip`;
    await upload(env, flat, await bundleBuffer(await simpleAppSpec(a, '1.0.0')));

    const result = await run(env);
    const status = await getStatus(testPorts().s3, {
      appsBucket: env.appsBucket,
      releaseBucket: env.releaseBucket,
      releasePrefix: PREFIX,
      releaseLayout: 'per-app',
    });

    expect(outcomes(result)).toEqual({ [flat]: 'rejected' });
    const outcome = result.report.bundles[0]?.outcome;
    expect(outcome?.status === 'rejected' && outcome.issues[0]?.message).toContain(
      `move it to ${PREFIX}${a}/${a}_1.0.0.zip`,
    );
    expect(status.layoutMoves).toEqual([
      { appId: a, version: '1.0.0', from: flat, to: `${PREFIX}${a}/${a}_1.0.0.zip` },
    ]);
    expect(await keys(env, 'manifests/')).toEqual([]);
  });
});

describe('name squatting', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('squat-'));
  });
  afterAll(async () => {
    await cleanup();
  });

  it('rejects an app id whose Lambda names are those of a provisioned app, without downloading it', async () => {
    // Prepare: "<x>-app" is provisioned; "<x>.app" sanitizes to the same Lambda names
    const env: Env = await freshEnv(dir);
    const owner = uniqueAppId('o').replace(/\.app$/, '-app');
    const squatter = owner.replace(/-app$/, '.app');
    await upload(env, `${PREFIX}${owner}_1.0.0.zip`, await bundleBuffer(await simpleAppSpec(owner, '1.0.0')));
    const first = await run(env);
    const squatKey = `${PREFIX}${squatter}_2.0.0.zip`;
    await upload(env, squatKey, await bundleBuffer(await simpleAppSpec(squatter, '2.0.0')));

    // Act
    const second = await run(env);
    const third = await run(env);

    // Assess
    expect(Object.values(outcomes(first))).toEqual(['provisioned']);
    expect(outcomes(second)[squatKey]).toBe('rejected');
    const outcome = second.report.bundles.find((r) => r.releaseKey === squatKey)?.outcome;
    expect(outcome?.status === 'rejected' && outcome.issues[0]).toMatchObject({
      code: 'APP_ID_NAMES_TAKEN',
      message: expect.stringContaining(`may be those of app ${owner}`) as unknown,
    });
    expect(second.report.requests['S3.GetObject'] ?? 0).toBe(0);
    expect(third.plan?.items.find((i) => i.releaseKey === squatKey)?.action).toBe('known-rejection');
    expect(await keys(env, 'manifests/')).toEqual([manifestKey(owner, '1.0.0')]);
    expect(await functionExists(lambdaFunctionName(squatter, '2.0.0', 'fn0').name)).toBe(false);
  });
});

describe('IAM ownership', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('iam-own-'));
  });
  afterAll(async () => {
    await cleanup();
  });

  const provisioner = (env: Env) =>
    new Provisioner({ ports: testPorts(), config: env.config, logger: silentLogger() });

  it('marks the execute role and the invoke policy it creates', async () => {
    const env = await freshEnv(dir);
    const { iam } = testClients();

    await provisioner(env).ensureIam();

    const role = await iam.send(new GetRoleCommand({ RoleName: env.config.executeRoleName }));
    expect(role.Role?.Tags).toContainEqual(MANAGED_IAM_TAG);
    const arn = role.Role!.Arn!.replace(/:role\/.*$/, `:policy/${env.config.invokePolicyName}`);
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    expect(policy.Policy?.Tags).toContainEqual(MANAGED_IAM_TAG);
    // a second run finds them as its own
    await expect(provisioner(env).ensureIam()).resolves.toMatchObject({ roleArn: role.Role!.Arn });
  });

  it('refuses an invoke policy of the same name it did not create: exit 2, naming the setting, nothing changed', async () => {
    // Prepare: upstream's policy (a list of function ARNs), same name, no tag
    const env = await freshEnv(dir);
    const { iam } = testClients();
    const upstream = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:*:*:function:x' },
      ],
    });
    const created = await iam.send(
      new CreatePolicyCommand({ PolicyName: env.config.invokePolicyName, PolicyDocument: upstream }),
    );

    // Act
    const err = await provisioner(env)
      .ensureIam()
      .catch((e: unknown) => e);

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    expect(exitCodeFor(err)).toBe(ExitCode.Usage);
    expect((err as ConfigError).describe()).toContain(`the invoke policy ${created.Policy!.Arn}`);
    expect((err as ConfigError).describe()).toContain('set APPS_DEPLOYER_INVOKE_POLICY to a name of its own');
    const after = await iam.send(new GetPolicyCommand({ PolicyArn: created.Policy!.Arn }));
    expect(after.Policy?.DefaultVersionId).toBe('v1');
  });
});
