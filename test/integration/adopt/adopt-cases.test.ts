/**
 * `adopt` cases beside the main story (adopt.test.ts): a version is adopted whole or not at all; other
 * configuration and another tool's managed-by tag are left untouched; --only limits the run to one
 * app; an invoke policy already at IAM's limit of 5 versions is still taken over (the oldest other
 * version deleted), leaving its default the tag-scoped document; an --apply interrupted at any write
 * is completed by the next one; a manifest changed after it was judged is not overwritten.
 */
import {
  GetFunctionCommand,
  TagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import {
  CreatePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { adopt, type AdoptReport } from '../../../src/adopt';
import { decodePolicyDocument, invokePolicyDocument } from '../../../src/provision/iam';
import { FUNCTION_TAGS } from '../../../src/provision/types';
import { silentLogger } from '../../../src/log';
import { functionZip, tempDir } from '../../support/bundle-builder';
import { testClients, testPorts } from '../../support/emulator';
import { SimulatedCrash, writeTap } from '../provision/support';
import { freshEnv, markerKeys, uniqueAppId, type Env } from '../reconcile/support';
import { upstreamApp, upstreamExecuteRole, upstreamInvokePolicy } from './support';

jest.setTimeout(180_000);

const statuses = (r: AdoptReport): Record<string, string> =>
  Object.fromEntries(
    r.functions.map((f) => [f.lambdaName, f.reason ? `${f.status} (${f.reason})` : f.status]),
  );

async function tagsOf(name: string): Promise<Record<string, string>> {
  return (await testClients().lambda.send(new GetFunctionCommand({ FunctionName: name }))).Tags ?? {};
}

describe('adopt: cases', () => {
  let cleanup: () => Promise<void>;
  let tmp: string;
  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    tmp = t.dir;
  });
  afterAll(async () => cleanup());
  const go = (env: Env, options: { apply?: boolean; only?: string }) =>
    adopt({ ports: testPorts(), config: env.config, logger: silentLogger(), tmpRoot: tmp }, options);

  it('leaves a whole version when one function differs, other configuration, and foreign tags; --only limits to one app', async () => {
    const env = await freshEnv(tmp);
    const roleArn = await upstreamExecuteRole(env);
    // fn1 with other code: fn0 matches, but the version is adopted whole or not at all
    const half = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0', { functions: 2 });
    const patched = await functionZip({ 'index.js': 'exports.handler = async () => 2;\n' });
    await testClients().lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: half.names[1],
        ZipFile: patched,
      }),
    );
    // a function run under another role: other configuration
    const otherRole = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0');
    await testClients().lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: otherRole.names[0],
        Handler: 'other.handler',
      }),
    );
    // another tool's managed-by tag
    const foreign = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0');
    await testClients().lambda.send(
      new TagResourceCommand({ Resource: foreign.arns[0], Tags: { [FUNCTION_TAGS.managedBy]: 'terraform' } }),
    );
    const a = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0');
    const b = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0');

    const report = await go(env, {});
    expect(statuses(report)).toEqual({
      [half.names[0] as string]: 'left (version-incomplete)',
      [half.names[1] as string]: 'left (other-code)',
      [otherRole.names[0] as string]: 'left (other-config)',
      [foreign.names[0] as string]: 'left (tagged-by-someone-else)',
      [a.names[0] as string]: 'adopt',
      [b.names[0] as string]: 'adopt',
    });
    expect(report.functions.find((f) => f.lambdaName === otherRole.names[0])?.detail).toContain(
      'handler "other.handler"',
    );

    const onlyA = await go(env, { apply: true, only: a.appId });
    expect(statuses(onlyA)).toEqual({ [a.names[0] as string]: 'adopted' });
    expect((await tagsOf(a.names[0] as string))[FUNCTION_TAGS.appId]).toBe(a.appId);
    for (const name of [b.names[0], half.names[0], otherRole.names[0]])
      expect(await tagsOf(name as string)).toEqual({});
    expect(await tagsOf(foreign.names[0] as string)).toEqual({ [FUNCTION_TAGS.managedBy]: 'terraform' });
  });

  it('leaves a version whose release bundle brings other static assets than the stored ones', async () => {
    const env = await freshEnv(tmp);
    const roleArn = await upstreamExecuteRole(env);
    // an uploader's bundle under the version's release key: same functions and manifest as upstream
    // deployed, another icon (adopting it would let provisioning overwrite the served asset)
    const app = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0');
    const icon = `static/${app.appId}_1.0.0_app/icon.png`;
    await testClients().s3.send(
      new PutObjectCommand({ Bucket: env.appsBucket, Key: icon, Body: 'the icon upstream deployed' }),
    );
    const report = await go(env, { apply: true });
    expect(statuses(report)).toEqual({ [app.names[0] as string]: 'left (bundle-mismatch)' });
    expect(report.versions[0]?.detail).toContain(`the stored static asset ${icon} differs`);
    expect(await tagsOf(app.names[0] as string)).toEqual({});
  });

  it('does not retag a function already tagged for the version with another bundle when its code is not this one', async () => {
    const env = await freshEnv(tmp);
    const roleArn = await upstreamExecuteRole(env);
    // a function tagged for this version by a former run of another bundle, with that bundle's code
    const app = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0');
    const name = app.names[0] as string;
    const other = await functionZip({ 'index.js': 'exports.handler = async () => "other";\n' });
    const lambda = testClients().lambda;
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: other }));
    await waitUntilFunctionUpdatedV2({ client: lambda, maxWaitTime: 60 }, { FunctionName: name });
    const formerTags = {
      [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
      [FUNCTION_TAGS.appId]: app.appId,
      [FUNCTION_TAGS.version]: '1.0.0',
      [FUNCTION_TAGS.bundleSha256]: 'f'.repeat(64),
    };
    await lambda.send(new TagResourceCommand({ Resource: app.arns[0], Tags: formerTags }));

    const report = await go(env, { apply: true });

    expect(statuses(report)).toEqual({ [name]: 'left (other-code)' });
    expect(report.versions[0]?.status).toBe('left');
    expect(await tagsOf(name)).toEqual(formerTags);
    const manifest = await testClients().s3.send(
      new HeadObjectCommand({ Bucket: env.appsBucket, Key: app.manifestKey }),
    );
    expect(manifest.Metadata ?? {}).toEqual({});
  });

  it('takes over an invoke policy that already has 5 versions', async () => {
    const env = await freshEnv(tmp);
    const roleArn = await upstreamExecuteRole(env);
    const app = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0');
    const arn = await upstreamInvokePolicy(env, app.arns);
    const { iam } = testClients();
    const current = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' }));
    for (let i = 0; i < 4; i++)
      await iam.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: decodeURIComponent(current.PolicyVersion?.Document ?? ''),
          SetAsDefault: i === 3,
        }),
      );
    expect((await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions).toHaveLength(5);

    const report = await go(env, { apply: true });
    expect(report.invokePolicy.status).toBe('taken-over');
    expect(report.exitCode).toBe(0);
    const versions = (await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))).Versions ?? [];
    expect(versions).toHaveLength(5);
    expect(versions.map((v) => v.VersionId)).not.toContain('v1'); // the oldest went
    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
    const doc = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }),
    );
    const statements = (decodePolicyDocument(doc.PolicyVersion?.Document) as { Statement: unknown[] })
      .Statement;
    expect(statements[0]).toEqual(
      (JSON.parse(invokePolicyDocument('aws', arn.split(':')[4] as string)) as { Statement: unknown[] })
        .Statement[0],
    );
  });

  it.each([0, 1, 2, 3, 4, 5, 6])(
    'an --apply interrupted after write %i is completed by the next one',
    async (at) => {
      const env = await freshEnv(tmp);
      const roleArn = await upstreamExecuteRole(env);
      const app = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0', { functions: 2 });
      await upstreamInvokePolicy(env, app.arns);
      // writes: the two tags, the manifest, the marker, the role's tag, the policy version, its tag
      const tap = writeTap(testPorts(), { interrupt: { at, when: 'after' } });
      await expect(
        adopt(
          { ports: tap.ports, config: env.config, logger: silentLogger(), tmpRoot: tmp },
          { apply: true },
        ),
      ).rejects.toBeInstanceOf(SimulatedCrash);

      const report = await go(env, { apply: true });
      expect(report.exitCode).toBe(0);
      // after the last write (the policy's tag) everything was done already
      expect(report.invokePolicy.status).toBe(at === 6 ? 'ours' : 'taken-over');
      for (const name of app.names) expect((await tagsOf(name))[FUNCTION_TAGS.appId]).toBe(app.appId);
      expect((await markerKeys(env)).filter((k) => /\/provisioned-v\d+$/.test(k))).toHaveLength(1);
      const again = await go(env, { apply: true });
      expect(again.functions.map((f) => f.status)).toEqual(['already-ours', 'already-ours']);
      expect(again.invokePolicy.status).toBe('ours');
    },
  );

  it('refuses to rewrite a manifest that changed after it was judged (If-Match), and the next run completes', async () => {
    const env = await freshEnv(tmp);
    const roleArn = await upstreamExecuteRole(env);
    const app = await upstreamApp(env, roleArn, uniqueAppId('ac'), '1.0.0');
    const ports = testPorts();
    const { s3 } = testClients();
    // another tool rewrites the manifest (same content, other bytes) just before adopt writes it
    const racing = {
      ...ports,
      s3: {
        ...ports.s3,
        putObject: async (input: PutObjectCommandInput) => {
          if (input.Key === app.manifestKey) {
            const body = await (
              await s3.send(new GetObjectCommand({ Bucket: env.appsBucket, Key: app.manifestKey }))
            ).Body?.transformToString();
            await s3.send(
              new PutObjectCommand({ Bucket: env.appsBucket, Key: app.manifestKey, Body: `${body ?? ''}\n` }),
            );
          }
          return ports.s3.putObject(input);
        },
      },
    };
    await expect(
      adopt({ ports: racing, config: env.config, logger: silentLogger(), tmpRoot: tmp }, { apply: true }),
    ).rejects.toMatchObject({ code: 'MANIFEST_CHANGED' });
    const head = await s3.send(new HeadObjectCommand({ Bucket: env.appsBucket, Key: app.manifestKey }));
    expect(head.Metadata ?? {}).toEqual({});

    const report = await go(env, { apply: true });
    expect(report.versions.map((v) => v.status)).toEqual(['adopted']);
    expect(statuses(report)).toEqual({ [app.names[0] as string]: 'already-ours' });
  });
});
