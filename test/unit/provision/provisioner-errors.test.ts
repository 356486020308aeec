/**
 * Error paths an emulator cannot produce, through the real factory and the Provisioner, with the SDK
 * clients stubbed (aws-sdk-client-mock): IAM propagation, update in progress, throttling, deadlines,
 * waiters that time out or fail. Time is a fake clock, except for the waiter deadline (1 s).
 */
import path from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  type FunctionConfiguration,
  type GetFunctionCommandOutput,
  type Runtime,
  InvalidParameterValueException,
  TagResourceCommand,
  LambdaClient,
  ResourceConflictException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  GetGroupCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { createAwsPorts } from '../../../src/aws/clients';
import { WaiterFailedError, WaiterTimeoutError } from '../../../src/aws/errors';
import { validateBundle } from '../../../src/bundle';
import type { Bundle } from '../../../src/bundle/types';
import { loadConfig } from '../../../src/config';
import { silentLogger } from '../../../src/log';
import { ConfigError, ExitCode } from '../../../src/errors';
import { DeadlineError, IamError } from '../../../src/provision/errors';
import { executeRoleTrustPolicy, invokePolicyDocument, MANAGED_IAM_TAG } from '../../../src/provision/iam';
import { Provisioner } from '../../../src/provision/provisioner';
import { FUNCTION_TAGS, type ProvisionEvent } from '../../../src/provision/types';
import { simpleAppSpec, tempDir, writeBundle } from '../../support/bundle-builder';

const s3 = mockClient(S3Client);
const lambda = mockClient(LambdaClient);
const iam = mockClient(IAMClient);

const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/mattermost-apps-execute-lambda-role`;
const POLICY_ARN = `arn:aws:iam::${ACCOUNT}:policy/mattermost-apps-invoke-policy`;
const meta = { $metadata: {} };
const config = loadConfig({ AWS_REGION: 'us-east-1', MM_APPS_S3_BUCKET: 'apps-unit' }, {}, {});
config.aws = { ...config.aws, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 };

let bundle: Bundle;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const tmp = await tempDir('provision-unit-');
  cleanup = tmp.cleanup;
  const file = await writeBundle(
    path.join(tmp.dir, 'unit.zip'),
    await simpleAppSpec('com.example.unit', '1.0.0'),
  );
  const result = await validateBundle(file);
  if (!result.ok) throw new Error('invalid test bundle');
  bundle = result.bundle;
});
afterAll(async () => {
  await cleanup();
});

function notFound(): S3ServiceException {
  return new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 } });
}

/** IAM all present and as wanted; the role created `roleAgeMs` ago. */
function stubIam(roleAgeMs: number): void {
  iam.on(GetRoleCommand).resolves({
    Role: {
      RoleName: 'mattermost-apps-execute-lambda-role',
      Arn: ROLE_ARN,
      Path: '/',
      RoleId: 'AROA',
      CreateDate: new Date(Date.now() - roleAgeMs),
      AssumeRolePolicyDocument: encodeURIComponent(executeRoleTrustPolicy()),
      Tags: [MANAGED_IAM_TAG],
    },
  });
  iam.on(ListAttachedRolePoliciesCommand).resolves({
    AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' }],
  });
  iam
    .on(GetPolicyCommand)
    .resolves({ Policy: { Arn: POLICY_ARN, DefaultVersionId: 'v1', Tags: [MANAGED_IAM_TAG] } });
  iam
    .on(GetPolicyVersionCommand)
    .resolves({ PolicyVersion: { Document: encodeURIComponent(invokePolicyDocument('aws', ACCOUNT)) } });
  iam.on(GetGroupCommand).resolves({
    Group: { GroupName: 'g', GroupId: 'x', Arn: 'arn:aws:iam::1:group/g', Path: '/', CreateDate: new Date() },
    Users: [],
  });
  iam.on(ListAttachedGroupPoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: POLICY_ARN }] });
}

/** S3: no manifest yet; code and the asset already in place. */
function stubS3(): void {
  const fn = bundle.functions[0]!;
  const asset = bundle.assets[0]!;
  s3.on(HeadObjectCommand).rejects(notFound());
  s3.on(HeadObjectCommand, { Key: `deployer/code/${fn.sha256Hex}.zip` }).resolves({
    ContentLength: fn.size,
    Metadata: { sha256: fn.sha256Hex },
  });
  s3.on(HeadObjectCommand, { Key: asset.key }).resolves({
    ContentType: asset.contentType,
    Metadata: { sha256: asset.sha256Hex },
  });
  s3.on(PutObjectCommand).resolves({ ETag: '"m"' });
}

function existingFunction(overrides: Partial<FunctionConfiguration> = {}): GetFunctionCommandOutput {
  const fn = bundle.functions[0]!;
  return {
    Configuration: {
      FunctionName: fn.lambdaName,
      FunctionArn: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${fn.lambdaName}`,
      CodeSha256: fn.codeSha256,
      Runtime: fn.runtime as Runtime,
      Handler: fn.handler,
      Role: ROLE_ARN,
      Timeout: config.lambdaTimeoutSeconds,
      MemorySize: config.lambdaMemoryMb,
      State: 'Active' as const,
      LastUpdateStatus: 'Successful' as const,
      ...overrides,
    },
    $metadata: {},
    Tags: {
      [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
      [FUNCTION_TAGS.appId]: bundle.appId,
      [FUNCTION_TAGS.version]: bundle.version,
      [FUNCTION_TAGS.bundleSha256]: bundle.sha256Hex,
    },
  };
}

function provisioner(events: ProvisionEvent[] = [], waitSeconds = 30) {
  let t = 0;
  const clock = {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms;
    },
  };
  return {
    p: new Provisioner({
      ports: createAwsPorts(config.aws, { lambdaRequestsPerSecond: 100 }),
      config,
      logger: silentLogger(),
      onEvent: (e) => events.push(e),
      clock,
      tuning: {
        iamPropagationDeadlineMs: 120_000,
        conflictDeadlineMs: 30_000,
        retryBaseDelayMs: 1_000,
        retryMaxDelayMs: 8_000,
        waitActiveSeconds: waitSeconds,
        waitUpdatedSeconds: waitSeconds,
      },
    }),
    elapsed: () => t,
  };
}

const propagation = () =>
  new InvalidParameterValueException({
    message: 'The role defined for the function cannot be assumed by Lambda.',
    ...meta,
  });

beforeEach(() => {
  s3.reset();
  lambda.reset();
  iam.reset();
  stubS3();
});

describe('Provisioner error paths (stubbed SDK)', () => {
  it('retries CreateFunction through IAM propagation while the role is new, then publishes', async () => {
    // Prepare
    stubIam(5_000);
    const fn = bundle.functions[0]!;
    lambda
      .on(GetFunctionCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'Function not found', ...meta }))
      .resolves(existingFunction());
    lambda
      .on(CreateFunctionCommand)
      .rejectsOnce(propagation())
      .rejectsOnce(propagation())
      .resolves({ CodeSha256: fn.codeSha256, State: 'Pending' });
    const events: ProvisionEvent[] = [];
    const { p, elapsed } = provisioner(events);

    // Act
    const result = await p.provision(bundle, { runId: 'r1' });

    // Assess
    expect(result.status).toBe('provisioned');
    expect(result.functions[0]?.outcome).toBe('created');
    expect(lambda.commandCalls(CreateFunctionCommand)).toHaveLength(3);
    expect(lambda.commandCalls(CreateFunctionCommand)[0]?.args[0].input).toMatchObject({
      Role: ROLE_ARN,
      Code: { S3Bucket: 'apps-unit', S3Key: `deployer/code/${fn.sha256Hex}.zip` },
    });
    expect(events.filter((e) => e.type === 'retry').map((e) => (e.type === 'retry' ? e.reason : ''))).toEqual(
      ['iam-propagation', 'iam-propagation'],
    );
    expect(elapsed()).toBeGreaterThan(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(2); // the version record, the manifest
  });

  it('gives up on an old role that Lambda cannot assume: IamError, no manifest', async () => {
    stubIam(24 * 3600_000);
    lambda.on(GetFunctionCommand).rejects(new ResourceNotFoundException({ message: 'nf', ...meta }));
    lambda.on(CreateFunctionCommand).rejects(propagation());
    const { p } = provisioner();

    await expect(p.provision(bundle, { runId: 'r2' })).rejects.toBeInstanceOf(IamError);
    expect(lambda.commandCalls(CreateFunctionCommand)).toHaveLength(1);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('retries UpdateFunctionConfiguration while an update is in progress (ResourceConflictException)', async () => {
    // Prepare: same code, drifted memory
    stubIam(24 * 3600_000);
    lambda
      .on(GetFunctionCommand)
      .resolvesOnce(existingFunction({ MemorySize: 1024 }))
      .resolves(existingFunction());
    lambda
      .on(UpdateFunctionConfigurationCommand)
      .rejectsOnce(new ResourceConflictException({ message: 'An update is in progress', ...meta }))
      .rejectsOnce(new ResourceConflictException({ message: 'An update is in progress', ...meta }))
      .resolves({});
    const events: ProvisionEvent[] = [];
    const { p } = provisioner(events);

    // Act
    const result = await p.provision(bundle, { runId: 'r3' });

    // Assess
    expect(result.functions[0]?.outcome).toBe('updated');
    expect(lambda.commandCalls(UpdateFunctionConfigurationCommand)).toHaveLength(3);
    expect(lambda.commandCalls(UpdateFunctionConfigurationCommand)[0]?.args[0].input).toEqual({
      FunctionName: bundle.functions[0]!.lambdaName,
      MemorySize: config.lambdaMemoryMb,
    });
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });

  it('retries throttled reads and writes', async () => {
    stubIam(24 * 3600_000);
    const throttle = () => new TooManyRequestsException({ message: 'Rate exceeded', ...meta });
    lambda
      .on(GetFunctionCommand)
      .rejectsOnce(throttle())
      .rejectsOnce(new ResourceNotFoundException({ message: 'nf', ...meta }))
      .resolves(existingFunction());
    lambda
      .on(CreateFunctionCommand)
      .rejectsOnce(throttle())
      .resolves({ CodeSha256: bundle.functions[0]!.codeSha256 });
    const { p } = provisioner();

    await expect(p.provision(bundle, { runId: 'r4' })).resolves.toMatchObject({ status: 'provisioned' });
    expect(lambda.commandCalls(CreateFunctionCommand)).toHaveLength(2);
  });

  it('stops at the deadline with a DeadlineError when throttling never ends, before any manifest', async () => {
    stubIam(24 * 3600_000);
    lambda.on(GetFunctionCommand).rejects(new ResourceNotFoundException({ message: 'nf', ...meta }));
    lambda
      .on(CreateFunctionCommand)
      .rejects(new TooManyRequestsException({ message: 'Rate exceeded', ...meta }));
    const { p, elapsed } = provisioner();

    const err = await p.provision(bundle, { runId: 'r5' }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as DeadlineError).resource).toBe(bundle.functions[0]!.lambdaName);
    expect(elapsed()).toBe(30_000);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('turns a FunctionActiveV2 wait past its deadline into a WaiterTimeoutError', async () => {
    stubIam(24 * 3600_000);
    lambda
      .on(GetFunctionCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'nf', ...meta }))
      .resolves(existingFunction({ State: 'Pending' }));
    lambda.on(CreateFunctionCommand).resolves({ CodeSha256: bundle.functions[0]!.codeSha256 });
    const { p } = provisioner([], 1);

    const err = await p.provision(bundle, { runId: 'r6' }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WaiterTimeoutError);
    expect((err as Error).message).toContain(`FunctionActiveV2 for ${bundle.functions[0]!.lambdaName}`);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("reports a function whose State is Failed with Lambda's reason", async () => {
    stubIam(24 * 3600_000);
    lambda
      .on(GetFunctionCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'nf', ...meta }))
      .resolves(
        existingFunction({ State: 'Failed', StateReason: 'Lambda was unable to configure your VPC' }),
      );
    lambda.on(CreateFunctionCommand).resolves({ CodeSha256: bundle.functions[0]!.codeSha256 });
    const { p } = provisioner();

    const err = await p.provision(bundle, { runId: 'r7' }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(WaiterFailedError);
    expect((err as Error).message).toContain('State=Failed; Lambda was unable to configure your VPC');
  });
});

describe('tags and IAM ownership (stubbed SDK)', () => {
  const fullTags = () => ({
    [FUNCTION_TAGS.managedBy]: FUNCTION_TAGS.managedByValue,
    [FUNCTION_TAGS.appId]: bundle.appId,
    [FUNCTION_TAGS.version]: bundle.version,
    [FUNCTION_TAGS.bundleSha256]: bundle.sha256Hex,
  });

  it('sends every tag in the CreateFunction request itself', async () => {
    stubIam(24 * 3600_000);
    lambda
      .on(GetFunctionCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'nf', ...meta }))
      .resolves(existingFunction());
    lambda.on(CreateFunctionCommand).resolves({ CodeSha256: bundle.functions[0]!.codeSha256 });

    await provisioner().p.provision(bundle, { runId: 't1' });

    expect(lambda.commandCalls(CreateFunctionCommand)[0]?.args[0].input.Tags).toEqual(fullTags());
    expect(lambda.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('writes the full tag set when one tag drifted, never just the difference', async () => {
    stubIam(24 * 3600_000);
    const drifted = existingFunction();
    drifted.Tags = { ...drifted.Tags, [FUNCTION_TAGS.bundleSha256]: 'another-bundle' };
    lambda.on(GetFunctionCommand).resolves(drifted);
    lambda.on(TagResourceCommand).resolves({});

    await provisioner().p.provision(bundle, { runId: 't2' });

    const writes = lambda.commandCalls(TagResourceCommand).map((c) => c.args[0].input.Tags);
    expect(writes).toEqual([fullTags()]);
  });

  it.each([
    ['execute role', 'APPS_DEPLOYER_EXECUTE_ROLE'],
    ['invoke policy', 'APPS_DEPLOYER_INVOKE_POLICY'],
  ])(
    'an unmanaged %s of the configured name is a ConfigError (exit 2) naming %s; nothing written',
    async (what, setting) => {
      stubIam(24 * 3600_000);
      if (what === 'execute role') {
        iam.on(GetRoleCommand).resolves({
          Role: {
            RoleName: 'mattermost-apps-execute-lambda-role',
            Arn: ROLE_ARN,
            Path: '/',
            RoleId: 'AROA',
            CreateDate: new Date(0),
            AssumeRolePolicyDocument: encodeURIComponent(executeRoleTrustPolicy()),
          },
        });
      } else {
        iam.on(GetPolicyCommand).resolves({ Policy: { Arn: POLICY_ARN, DefaultVersionId: 'v1' } });
      }

      const err = await provisioner()
        .p.ensureIam()
        .catch((e: unknown) => e);

      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).exitCode).toBe(ExitCode.Usage);
      expect((err as ConfigError).describe()).toContain(setting);
      expect((err as ConfigError).message).toContain('was not created by apps-deployer');
      expect(iam.calls().filter((c) => !/^(Get|List)/.test(c.args[0].constructor.name))).toEqual([]);
    },
  );
});
