/**
 * The invoke policy take-over's reading of upstream's document (adopt/iam.ts), and reconcile's
 * acceptance of the document adopt writes (provision/iam.ts isWantedInvokeDocument): the deployer's
 * document, with or without upstream's apps bucket reads, and nothing else.
 */
import { classifyInvokeDocument, inspectExecuteRole, type InvokeContext } from '../../../src/adopt/iam';
import { loadConfig } from '../../../src/config';
import { invokePolicyDocument, isWantedInvokeDocument } from '../../../src/provision/iam';
import { withAppsBucketReads } from '../../../src/provision/invoke-reads';

const ACCOUNT = '123456789012';
const POLICY = `arn:aws:iam::${ACCOUNT}:policy/mattermost-apps-invoke-policy`;
const ctx: InvokeContext = {
  partition: 'aws',
  accountId: ACCOUNT,
  appsBucket: 'mattermost-apps-bucket',
  oursAfter: () => true,
};
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const bucket = 'arn:aws:s3:::mattermost-apps-bucket';
/** upstream's document (appsctl aws init, then deploys): S3 reads, AllowLambda by ARN */
const upstream = (extra: object[] = [], fns = ['com-x_1-0-0_send', 'com-y_2-0-0_f']) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowS3',
      Effect: 'Allow',
      Action: ['s3:GetObject'],
      Resource: [`${bucket}/manifests/*`, `${bucket}/static/*`],
    },
    { Sid: 'AllowS3list', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucket] },
    { Sid: 'AllowLambda', Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: fns.map(fnArn) },
    ...extra,
  ],
});

describe('classifyInvokeDocument', () => {
  it("reads upstream's document: the functions it allows by ARN, and its apps bucket reads", () => {
    expect(classifyInvokeDocument(upstream(), ctx)).toEqual({
      functions: ['com-x_1-0-0_send', 'com-y_2-0-0_f'],
      reads: true,
    });
  });

  it.each([
    [
      'a wildcard function resource',
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: fnArn('*') },
    ],
    ['another action', { Effect: 'Allow', Action: 'lambda:UpdateFunctionCode', Resource: fnArn('a_1_f') }],
    ['another bucket', { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::other/*' }],
    ['a write to the apps bucket', { Effect: 'Allow', Action: 's3:PutObject', Resource: `${bucket}/*` }],
    ['a Deny', { Effect: 'Deny', Action: 'lambda:InvokeFunction', Resource: fnArn('a_1_f') }],
    [
      'a condition',
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: fnArn('a_1_f'),
        Condition: { Bool: { 'aws:SecureTransport': 'true' } },
      },
    ],
    [
      'another account',
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: 'arn:aws:lambda:us-east-1:999999999999:function:a_1_f',
      },
    ],
  ])('does not place %s: the policy is left as it is', (_what, statement) => {
    expect(classifyInvokeDocument(upstream([statement]), ctx).unknown).toBeDefined();
  });

  it("accepts the deployer's own statement (a take-over resumed after its rewrite)", () => {
    const ours = JSON.parse(
      withAppsBucketReads(invokePolicyDocument('aws', ACCOUNT), 'aws', ctx.appsBucket),
    ) as object;
    expect(classifyInvokeDocument(ours, ctx)).toEqual({ functions: [], reads: true });
  });
});

describe('isWantedInvokeDocument (reconcile)', () => {
  const wanted = invokePolicyDocument('aws', ACCOUNT);
  it("accepts the deployer's document with or without upstream's apps bucket reads", () => {
    expect(isWantedInvokeDocument(wanted, wanted, POLICY, ctx.appsBucket)).toBe(true);
    const adopted = withAppsBucketReads(wanted, 'aws', ctx.appsBucket);
    expect(isWantedInvokeDocument(encodeURIComponent(adopted), wanted, POLICY, ctx.appsBucket)).toBe(true);
    // as adopt wrote it before the listing was limited to manifests/
    const unconditioned = withAppsBucketReads(wanted, 'aws', ctx.appsBucket, 'unconditioned-list');
    expect(unconditioned).not.toContain('s3:prefix');
    expect(isWantedInvokeDocument(unconditioned, wanted, POLICY, ctx.appsBucket)).toBe(true);
  });

  it('refuses the reads twice over, or a listing wider than manifests/', () => {
    const once = withAppsBucketReads(wanted, 'aws', ctx.appsBucket);
    const twice = withAppsBucketReads(once, 'aws', ctx.appsBucket);
    expect(isWantedInvokeDocument(twice, wanted, POLICY, ctx.appsBucket)).toBe(false);
    const wider = once.replace('"s3:prefix":"manifests/*"', '"s3:prefix":"*"');
    expect(wider).not.toEqual(once);
    expect(isWantedInvokeDocument(wider, wanted, POLICY, ctx.appsBucket)).toBe(false);
  });

  it("refuses anything else: upstream's document, reads of another bucket, an extra statement", () => {
    expect(isWantedInvokeDocument(JSON.stringify(upstream()), wanted, POLICY, ctx.appsBucket)).toBe(false);
    expect(
      isWantedInvokeDocument(
        withAppsBucketReads(wanted, 'aws', 'other-bucket'),
        wanted,
        POLICY,
        ctx.appsBucket,
      ),
    ).toBe(false);
    const doc = JSON.parse(wanted) as { Statement: object[] };
    const extra = { ...doc, Statement: [...doc.Statement, { Effect: 'Allow', Action: '*', Resource: '*' }] };
    expect(isWantedInvokeDocument(JSON.stringify(extra), wanted, POLICY, ctx.appsBucket)).toBe(false);
  });
});

describe('inspectExecuteRole', () => {
  const trust = encodeURIComponent(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    }),
  );
  const role = {
    RoleName: 'mattermost-apps-execute-lambda-role',
    Arn: `arn:aws:iam::${ACCOUNT}:role/mattermost-apps-execute-lambda-role`,
    Path: '/',
    RoleId: 'AROAEXAMPLE',
    CreateDate: new Date(0),
    AssumeRolePolicyDocument: trust,
  };
  const config = loadConfig({}, {}, {});

  it("takes over upstream's role (untagged, trusting Lambda); ours is ours", () => {
    expect(inspectExecuteRole(config, role).status).toBe('take-over');
    expect(
      inspectExecuteRole(config, {
        ...role,
        Tags: [{ Key: 'mattermost-apps-managed-by', Value: 'apps-deployer' }],
      }).status,
    ).toBe('ours');
  });

  it('leaves a role that does not trust Lambda; with IAM creation off there is nothing to take over', () => {
    const other = encodeURIComponent(
      JSON.stringify({
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      }),
    );
    expect(inspectExecuteRole(config, { ...role, AssumeRolePolicyDocument: other }).status).toBe('left');
    expect(inspectExecuteRole({ ...config, createIam: false }, role).status).toBe('not-needed');
  });
});
