/**
 * `adopt` against the emulator: functions created the way upstream creates them (untagged, upstream
 * names, the execute role), matching manifests and release bundles, one function with other code and
 * one no manifest names. Dry run → lists; --apply → tags the matching ones only; the invoke policy is
 * taken over only once no function it allows by ARN would be cut off, then allows the adopted ones by
 * tag; a second --apply writes nothing; reconcile afterwards treats the adopted functions as ours.
 */
import { DeleteFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand } from '@aws-sdk/client-iam';
import { DeleteObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { adopt, type AdoptReport } from '../../../src/adopt';
import type { AwsPorts } from '../../../src/aws/ports';
import { decodePolicyDocument } from '../../../src/provision/iam';
import { FUNCTION_TAGS, MANIFEST_METADATA } from '../../../src/provision/types';
import { silentLogger } from '../../../src/log';
import { functionZip, tempDir } from '../../support/bundle-builder';
import { testClients, testPorts } from '../../support/emulator';
import { writeRequests } from '../provision/support';
import { freshEnv, markerKeys, outcomes, run, uniqueAppId, type Env } from '../reconcile/support';
import { upstreamApp, upstreamExecuteRole, upstreamInvokePolicy, type UpstreamApp } from './support';

jest.setTimeout(180_000);

const statuses = (r: AdoptReport): Record<string, string> =>
  Object.fromEntries(
    r.functions.map((f) => [f.lambdaName, f.reason ? `${f.status} (${f.reason})` : f.status]),
  );

async function tagsOf(name: string): Promise<Record<string, string>> {
  const { lambda } = testClients();
  return (await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Tags ?? {};
}

describe('adopt: functions the upstream deployer created', () => {
  let cleanup: () => Promise<void>;
  let env: Env;
  let ports: AwsPorts;
  let a: UpstreamApp;
  let b: UpstreamApp;
  let other: UpstreamApp;
  let orphan: UpstreamApp;
  let policyArn: string;
  const go = (apply: boolean) =>
    adopt({ ports, config: env.config, logger: silentLogger(), tmpRoot: env.tmpRoot }, { apply });

  beforeAll(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    env = await freshEnv(tmp.dir);
    ports = testPorts();
    const roleArn = await upstreamExecuteRole(env);
    a = await upstreamApp(env, roleArn, uniqueAppId('ad'), '1.0.0', { functions: 2 });
    b = await upstreamApp(env, roleArn, uniqueAppId('ad'), '2.1.0');
    other = await upstreamApp(env, roleArn, uniqueAppId('ad'), '1.0.0', {
      code: await functionZip({ 'index.js': 'exports.handler = async () => "patched by hand";\n' }),
    });
    // a function of the execute role that no manifest names (its manifest was removed)
    orphan = await upstreamApp(env, roleArn, uniqueAppId('ad'), '0.9.0');
    await testClients().s3.send(new DeleteObjectCommand({ Bucket: env.appsBucket, Key: orphan.manifestKey }));
    policyArn = await upstreamInvokePolicy(env, [...a.arns, ...b.arns, ...other.arns, ...orphan.arns]);
  });
  afterAll(async () => cleanup());

  it('dry run: lists the matching functions and reports every other, writing nothing', async () => {
    ports.requests.reset();
    const report = await go(false);
    expect(statuses(report)).toEqual({
      [a.names[0] as string]: 'adopt',
      [a.names[1] as string]: 'adopt',
      [b.names[0] as string]: 'adopt',
      [other.names[0] as string]: 'left (other-code)',
      [orphan.names[0] as string]: 'left (no-manifest)',
    });
    expect(report.versions.map((v) => [v.appId, v.status]).sort()).toEqual(
      [
        [a.appId, 'adopt'],
        [b.appId, 'adopt'],
        [other.appId, 'left'],
      ].sort(),
    );
    expect(report.executeRole.status).toBe('take-over');
    // the server would lose the function with other code and the orphan: the policy stays as it is
    expect(report.invokePolicy.status).toBe('left');
    expect(report.invokePolicy.detail).toContain(other.names[0]);
    expect(report.exitCode).toBe(1);
    expect(report.dryRun).toBe(true);
    expect(writeRequests(ports.requests.snapshot())).toEqual({});
    expect(await tagsOf(a.names[0] as string)).toEqual({});
  });

  it('--apply tags the matching functions only, with the full tag set, and records their versions', async () => {
    const report = await go(true);
    expect(statuses(report)).toEqual({
      [a.names[0] as string]: 'adopted',
      [a.names[1] as string]: 'adopted',
      [b.names[0] as string]: 'adopted',
      [other.names[0] as string]: 'left (other-code)',
      [orphan.names[0] as string]: 'left (no-manifest)',
    });
    expect(report.exitCode).toBe(1);
    for (const app of [a, b]) {
      for (const name of app.names) {
        const tags = await tagsOf(name);
        expect(tags).toEqual({
          [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
          [FUNCTION_TAGS.appId]: app.appId,
          [FUNCTION_TAGS.version]: app.version,
          [FUNCTION_TAGS.bundleSha256]: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
        });
      }
      const head = await testClients().s3.send(
        new HeadObjectCommand({ Bucket: env.appsBucket, Key: app.manifestKey }),
      );
      expect(head.Metadata?.[MANIFEST_METADATA.bundleSha256]).toBe(
        (await tagsOf(app.names[0] as string))[FUNCTION_TAGS.bundleSha256],
      );
    }
    expect(await tagsOf(other.names[0] as string)).toEqual({});
    expect(await tagsOf(orphan.names[0] as string)).toEqual({});
    const markers = await markerKeys(env);
    expect(markers.filter((k) => /\/provisioned-v\d+$/.test(k))).toHaveLength(2);
    // the execute role is ours now; the invoke policy still is upstream's (it allows `other` by ARN)
    const role = await testClients().iam.send(new GetRoleCommand({ RoleName: env.config.executeRoleName }));
    expect(role.Role?.Tags).toEqual(
      expect.arrayContaining([{ Key: FUNCTION_TAGS.managedBy, Value: FUNCTION_TAGS.managedByValue }]),
    );
    expect(report.invokePolicy.status).toBe('left');
  });

  it('a second --apply writes nothing to Lambda or IAM (the lock only)', async () => {
    ports.requests.reset();
    const report = await go(true);
    expect(statuses(report)).toMatchObject({ [a.names[0] as string]: 'already-ours' });
    const writes = writeRequests(ports.requests.snapshot());
    expect(Object.keys(writes).filter((op) => !op.startsWith('S3.'))).toEqual([]);
    // the lock: one conditional create and its release (a conditional delete, or LocalStack's
    // read-compare-delete fallback)
    expect(writes['S3.PutObject']).toBe(1);
    expect(Object.keys(writes).sort()).toEqual(['S3.DeleteObject', 'S3.PutObject']);
  });

  it('takes the invoke policy over once nothing it allows would be cut off; it then allows the adopted functions by tag', async () => {
    // the operator retires the function with other code (and its version) and the orphan
    const { lambda, s3, iam } = testClients();
    for (const name of [...other.names, ...orphan.names])
      await lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    await s3.send(new DeleteObjectCommand({ Bucket: env.appsBucket, Key: other.manifestKey }));

    const report = await go(true);
    expect(report.invokePolicy.status).toBe('taken-over');
    expect(report.exitCode).toBe(0);

    const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy;
    expect(policy?.Tags).toEqual(
      expect.arrayContaining([{ Key: FUNCTION_TAGS.managedBy, Value: FUNCTION_TAGS.managedByValue }]),
    );
    const version = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: policy?.DefaultVersionId }),
    );
    const doc = decodePolicyDocument(version.PolicyVersion?.Document) as {
      Statement: { Action: string | string[]; Resource: string | string[]; Condition?: unknown }[];
    };
    const invoke = doc.Statement.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    const [statement] = invoke;
    // no ARN list any more: the tag decides, and every adopted function carries it
    expect(JSON.stringify(statement)).not.toContain(a.names[0]);
    expect(statement?.Condition).toEqual({
      StringEquals: { [`aws:ResourceTag/${FUNCTION_TAGS.managedBy}`]: FUNCTION_TAGS.managedByValue },
    });
    const pattern = [statement?.Resource].flat()[0] ?? '';
    const glob = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    for (const arn of [...a.arns, ...b.arns]) expect(arn).toMatch(glob);
    for (const name of [...a.names, ...b.names])
      expect((await tagsOf(name))[FUNCTION_TAGS.managedBy]).toBe(FUNCTION_TAGS.managedByValue);
    // the server keeps reading manifests and static assets (upstream's S3 statements)
    expect(JSON.stringify(doc)).toContain(`arn:aws:s3:::${env.appsBucket}/manifests/*`);

    ports.requests.reset();
    const again = await go(true);
    expect(again.exitCode).toBe(0);
    expect(again.invokePolicy.status).toBe('ours');
    expect(again.executeRole.status).toBe('ours');
    expect(
      Object.keys(writeRequests(ports.requests.snapshot())).filter((op) => !op.startsWith('S3.')),
    ).toEqual([]);
  });

  it('reconcile afterwards treats the adopted functions as ours: no conflict, settings converged', async () => {
    const result = await run(env);
    const byKey = outcomes(result);
    for (const app of [a, b]) expect(byKey[app.releaseKey]).not.toMatch(/conflict|failed/);
    expect(Object.values(byKey).filter((o) => /conflict|failed|rejected/.test(o))).toEqual([]);
    expect(result.report.exitCode).toBe(0);
    const { lambda } = testClients();
    const conf = await lambda.send(new GetFunctionCommand({ FunctionName: a.names[0] }));
    expect(conf.Configuration?.Timeout).toBe(env.config.lambdaTimeoutSeconds);
  });
});
