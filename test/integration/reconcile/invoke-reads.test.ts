/**
 * The invoke policy the deployer creates lets the Mattermost server read app manifests and static
 * assets of the apps bucket (upstream's invoke policy did); a managed policy created before, without
 * those reads, is accepted as is (never rewritten) with a notice naming the fix.
 */
import {
  CreatePolicyCommand,
  DeletePolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import pino from 'pino';
import { ExitCode } from '../../../src/errors';
import { decodePolicyDocument, MANAGED_IAM_TAG, parseArn } from '../../../src/provision/iam';
import { uniqueName } from '../../support/emulator';
import { envSuite, outcomes, run, uniqueAppId, uploadApp, type Env } from './support';

jest.setTimeout(180_000);

const suite = envSuite('invoke-reads-it-');
const env = (): Promise<Env> => suite.env();

/** Warning messages, read from the JSON lines a real pino logger writes. */
function warnings(): { logger: pino.Logger; messages: () => string[] } {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
  return {
    logger,
    messages: () => lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
  };
}

/** The invoke statement, written out here rather than taken from the code under test. */
const invokeStatement = (account: string) => ({
  Sid: 'InvokeMattermostAppsManagedByTheDeployer',
  Effect: 'Allow',
  Action: 'lambda:InvokeFunction',
  Resource: `arn:aws:lambda:*:${account}:function:*`,
  Condition: { StringEquals: { 'aws:ResourceTag/mattermost-apps-managed-by': 'apps-deployer' } },
});

/** The emulator's account id: from the ARN of a scratch policy (deleted again). */
async function emulatorAccount(): Promise<string> {
  const scratch = await suite.iam.send(
    new CreatePolicyCommand({
      PolicyName: uniqueName('scratch'),
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::none/*' }],
      }),
    }),
  );
  await suite.iam.send(new DeletePolicyCommand({ PolicyArn: scratch.Policy!.Arn! }));
  return parseArn(scratch.Policy!.Arn!).accountId;
}

async function accountOf(e: Env): Promise<string> {
  const role = await suite.iam.send(new GetRoleCommand({ RoleName: e.config.executeRoleName }));
  return parseArn(role.Role!.Arn!).accountId;
}

async function defaultDocument(arn: string): Promise<{ raw: string; doc: unknown; versions: number }> {
  const policy = await suite.iam.send(new GetPolicyCommand({ PolicyArn: arn }));
  const version = await suite.iam.send(
    new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.Policy!.DefaultVersionId! }),
  );
  const versions = await suite.iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
  const raw = version.PolicyVersion!.Document!;
  return { raw, doc: decodePolicyDocument(raw), versions: versions.Versions!.length };
}

const READS_NOTICE = /invoke policy lacks the apps bucket reads/;

describe('invoke policy: the apps bucket reads (emulator)', () => {
  it('a fresh run creates the invoke policy with the invoke statement and the reads of the apps bucket only', async () => {
    // Prepare
    const e = await env();
    const appId = uniqueAppId('reads');
    const { key } = await uploadApp(e, appId, '1.0.0');
    const { logger, messages } = warnings();

    // Act
    const result = await run(e, {}, { logger });

    // Assess
    expect(outcomes(result)).toEqual({ [key]: 'provisioned' });
    expect(result.report.exitCode).toBe(ExitCode.Ok);
    const account = await accountOf(e);
    const arn = `arn:aws:iam::${account}:policy/${e.config.invokePolicyName}`;
    const { doc, versions } = await defaultDocument(arn);
    const bucket = `arn:aws:s3:::${e.appsBucket}`;
    expect(doc).toEqual({
      Version: '2012-10-17',
      Statement: [
        invokeStatement(account),
        {
          Sid: 'ReadAppManifestsAndStaticAssets',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: [`${bucket}/manifests/*`, `${bucket}/static/*`],
        },
        {
          Sid: 'ListAppsBucket',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: bucket,
          Condition: { StringLike: { 's3:prefix': 'manifests/*' } },
        },
      ],
    });
    expect(JSON.stringify(doc)).not.toContain(e.releaseBucket);
    expect(JSON.stringify(doc)).not.toContain('deployer/');
    expect(JSON.stringify(doc).length).toBeLessThan(6144);
    expect(versions).toBe(1);
    expect(messages().filter((m) => READS_NOTICE.test(m))).toEqual([]);
  });

  it('accepts an existing managed policy without the reads (exit 0), never rewrites it, and says so once', async () => {
    // Prepare: the deployer's policy as older versions created it (the invoke statement alone)
    const e = await env();
    const first = await uploadApp(e, uniqueAppId('old'), '1.0.0');
    const { logger, messages } = warnings();
    const account = await emulatorAccount();
    const older = JSON.stringify({ Version: '2012-10-17', Statement: [invokeStatement(account)] });
    const created = await suite.iam.send(
      new CreatePolicyCommand({
        PolicyName: e.config.invokePolicyName,
        PolicyDocument: older,
        Tags: [MANAGED_IAM_TAG],
      }),
    );
    const arn = created.Policy!.Arn!;

    // Act: two runs in one process (a long-lived deployer)
    const one = await run(e, {}, { logger });
    const second = await uploadApp(e, uniqueAppId('old'), '1.0.0');
    const two = await run(e, {}, { logger });

    // Assess
    expect(outcomes(one)).toEqual({ [first.key]: 'provisioned' });
    expect(one.report.exitCode).toBe(ExitCode.Ok);
    expect(outcomes(two)).toEqual({ [second.key]: 'provisioned' });
    expect(two.report.exitCode).toBe(ExitCode.Ok);
    const { doc, versions } = await defaultDocument(arn);
    expect(doc).toEqual(JSON.parse(older));
    expect(versions).toBe(1);
    const notices = messages().filter((m) => READS_NOTICE.test(m));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`--policy-arn ${arn}`);
    expect(notices[0]).toContain(e.appsBucket);
  });
});
