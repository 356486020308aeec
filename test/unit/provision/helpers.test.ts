/**
 * Small pure parts of the provisioner: bounded fan-out, the write guard, IAM documents.
 */
import { mapBounded } from '../../../src/provision/concurrency';
import { guardWrites } from '../../../src/provision/guard';
import {
  decodePolicyDocument,
  executeRoleTrustPolicy,
  invokePolicyDocument,
  parseArn,
  sameDocument,
  trustsLambda,
  wantedInvokePolicyDocument,
} from '../../../src/provision/iam';
import type { AwsPorts } from '../../../src/aws/ports';
import { createAwsPorts } from '../../../src/aws/clients';

describe('mapBounded', () => {
  it('never runs more than the limit at once and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });

  it('starts nothing new after a failure, lets the running item finish, throws the first error', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapBounded([0, 1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 0) throw new Error('first');
      await new Promise((r) => setTimeout(r, 5));
      finished.push(n);
      return n;
    });
    await expect(run).rejects.toThrow('first');
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });
});

describe('guardWrites', () => {
  it('calls the guard before each write and never before a read', async () => {
    const calls: string[] = [];
    const base = createAwsPorts({ region: 'us-east-1', maxAttempts: 1 });
    const fake: AwsPorts = {
      ...base,
      s3: {
        ...base.s3,
        headObject: async () => {
          calls.push('head');
          return { $metadata: {} };
        },
        putObject: async () => {
          calls.push('put');
          return { $metadata: {} };
        },
      },
    };
    const guarded = guardWrites(fake, () => calls.push('guard'));
    await guarded.s3.headObject({ Bucket: 'b', Key: 'k' });
    await guarded.s3.putObject({ Bucket: 'b', Key: 'k' });
    expect(calls).toEqual(['head', 'guard', 'put']);
    const refusing = guardWrites(fake, () => {
      throw new Error('lock lost');
    });
    await expect(refusing.s3.putObject({ Bucket: 'b', Key: 'k' })).rejects.toThrow('lock lost');
    expect(calls).toEqual(['head', 'guard', 'put']);
  });
});

describe('IAM documents', () => {
  it('the invoke policy is one tag-conditioned statement, the same size whatever the number of functions', () => {
    const doc = JSON.parse(invokePolicyDocument('aws', '123456789012')) as {
      Statement: { Action: string; Resource: string; Condition: Record<string, Record<string, string>> }[];
    };
    expect(doc.Statement).toHaveLength(1);
    expect(doc.Statement[0]).toMatchObject({
      Action: 'lambda:InvokeFunction',
      Resource: 'arn:aws:lambda:*:123456789012:function:*',
      Condition: { StringEquals: { 'aws:ResourceTag/mattermost-apps-managed-by': 'apps-deployer' } },
    });
    expect(invokePolicyDocument('aws', '123456789012').length).toBeLessThan(6144);
  });

  it('the created invoke policy adds only the apps bucket reads and stays far under the 6,144-character cap', () => {
    const bucket = 'b'.repeat(63); // the longest S3 bucket name
    const created = wantedInvokePolicyDocument('aws-us-gov', '123456789012', bucket);
    const doc = JSON.parse(created) as { Statement: { Sid: string; Action: string; Resource: unknown }[] };
    expect(doc.Statement.map((s) => [s.Sid, s.Action])).toEqual([
      ['InvokeMattermostAppsManagedByTheDeployer', 'lambda:InvokeFunction'],
      ['ReadAppManifestsAndStaticAssets', 's3:GetObject'],
      ['ListAppsBucket', 's3:ListBucket'],
    ]);
    expect(doc.Statement[1]?.Resource).toEqual([
      `arn:aws-us-gov:s3:::${bucket}/manifests/*`,
      `arn:aws-us-gov:s3:::${bucket}/static/*`,
    ]);
    expect(doc.Statement[2]).toMatchObject({
      Resource: `arn:aws-us-gov:s3:::${bucket}`,
      Condition: { StringLike: { 's3:prefix': 'manifests/*' } },
    });
    // IAM counts the document without whitespace; JSON.stringify writes none
    expect(created).not.toMatch(/\s/);
    expect(created.length).toBeLessThan(6144);
    expect(created.length).toBeLessThan(1024); // the same whatever the number of functions
  });

  it('recognizes trust policies that let Lambda assume the role, in their URL-encoded form too', () => {
    expect(trustsLambda(decodePolicyDocument(encodeURIComponent(executeRoleTrustPolicy())))).toBe(true);
    const list = {
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: ['ec2.amazonaws.com', 'lambda.amazonaws.com'] },
          Action: ['sts:AssumeRole'],
        },
      ],
    };
    expect(trustsLambda(list)).toBe(true);
    const ec2Only = {
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    };
    expect(trustsLambda(ec2Only)).toBe(false);
    expect(trustsLambda(undefined)).toBe(false);
  });

  it('compares policy documents by content, not by spelling', () => {
    const a = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['x'], Resource: '*' }] };
    const b = { Statement: { Resource: '*', Action: 'x', Effect: 'Allow' }, Version: '2012-10-17' };
    expect(sameDocument(a, b)).toBe(true);
    expect(sameDocument(a, { ...b, Version: '2008-10-17' })).toBe(false);
  });

  it('reads partition and account from an ARN', () => {
    expect(parseArn('arn:aws-us-gov:iam::111122223333:role/x')).toEqual({
      partition: 'aws-us-gov',
      accountId: '111122223333',
    });
    expect(() => parseArn('nope')).toThrow();
  });
});
