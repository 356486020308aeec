/**
 * Helpers for tests that talk to the AWS backend chosen by global-setup.ts (moto server by default,
 * AWS_ENDPOINT_URL, or LocalStack). The backend is shared by all test files running in parallel:
 * isolate state with unique names (uniqueBucket / uniqueName), not with resets.
 *
 *   testAwsConfig()              AwsConfig for the backend (endpoint, region, dummy credentials)
 *   testPorts(options?)          AwsPorts built by the real factory (src/aws/clients.ts)
 *   testDeployerConfig(over?)    a full DeployerConfig for the backend (defaults + overrides)
 *   testClients()                raw SDK clients (S3, Lambda, IAM) for a test's own checks and setup
 *   uniqueName(prefix)           a fresh lower-case name (buckets, roles, app ids)
 *   uniqueBucket(prefix?)        creates a fresh bucket and returns its name
 *   resetEmulator()              moto only: wipes ALL state (POST /moto-api/reset); only for a test file
 *                                that runs alone — parallel files would lose their buckets and roles
 *   backendName()                "moto" | "localstack" | "endpoint"
 *   conditionalDeleteMode()      how the backend answers DeleteObject If-Match: 'native' (AWS, moto) or
 *                                'fallback' (501 NotImplemented: LocalStack 4.14; the deployer then
 *                                reads, compares the ETag and deletes: one more HeadObject and DeleteObject)
 */
import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { isNotImplemented } from '../../src/aws/conditional-delete';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { IAMClient } from '@aws-sdk/client-iam';
import type { AwsConfig, DeployerConfig } from '../../src/config';
import { loadConfig } from '../../src/config';
import type { AwsPorts } from '../../src/aws/ports';
import { createAwsPorts, type AwsPortsOptions } from '../../src/aws/clients';

function endpoint(): string {
  const url = process.env.AWS_ENDPOINT_URL;
  if (!url) {
    throw new Error(
      'no test backend: AWS_ENDPOINT_URL is not set; run this test in the integration or e2e jest project ' +
        '(its globalSetup starts moto server)',
    );
  }
  return url;
}

export function backendName(): string {
  return process.env.DEPLOYER_TEST_BACKEND_NAME ?? 'endpoint';
}

export function testAwsConfig(): AwsConfig {
  return {
    region: process.env.AWS_REGION ?? 'us-east-1',
    endpoint: endpoint(),
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
    },
    maxAttempts: 3,
  };
}

export function testPorts(options: AwsPortsOptions = {}): AwsPorts {
  return createAwsPorts(testAwsConfig(), { lambdaRequestsPerSecond: 50, ...options });
}

export function testDeployerConfig(overrides: Partial<DeployerConfig> = {}): DeployerConfig {
  const base = loadConfig({ AWS_ENDPOINT_URL: endpoint(), AWS_REGION: testAwsConfig().region }, {}, {});
  return { ...base, aws: testAwsConfig(), lambdaRequestsPerSecond: 50, ...overrides };
}

export function testClients(): { s3: S3Client; lambda: LambdaClient; iam: IAMClient } {
  const c = testAwsConfig();
  const common = { region: c.region, endpoint: c.endpoint, credentials: c.credentials, maxAttempts: 3 };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    lambda: new LambdaClient(common),
    iam: new IAMClient(common),
  };
}

/** `${prefix}-<time>-<random>`, lower case, at most 63 characters (a valid bucket name). */
export function uniqueName(prefix = 't'): string {
  const suffix = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const head = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63 - suffix.length - 1);
  return `${head}-${suffix}`;
}

export async function uniqueBucket(prefix = 'apps'): Promise<string> {
  const name = uniqueName(prefix);
  const { s3 } = testClients();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    s3.destroy();
  }
  return name;
}

export async function resetEmulator(): Promise<void> {
  if (backendName() !== 'moto')
    throw new Error(`resetEmulator works with moto only (backend: ${backendName()})`);
  const res = await fetch(`${endpoint()}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
}

let deleteMode: Promise<'native' | 'fallback'> | undefined;

/** Asks the backend once per worker: a DeleteObject with If-Match on a scratch object. */
export function conditionalDeleteMode(): Promise<'native' | 'fallback'> {
  deleteMode ??= (async () => {
    const bucket = await uniqueBucket('probe-cdel');
    const { s3 } = testClients();
    try {
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'probe', Body: 'x' }));
      try {
        await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'probe', IfMatch: put.ETag }));
        return 'native';
      } catch (err) {
        if (!isNotImplemented(err)) throw err;
        return 'fallback';
      }
    } finally {
      s3.destroy();
    }
  })();
  return deleteMode;
}
