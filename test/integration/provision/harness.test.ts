/**
 * The harness and the client factory against the test backend: buckets are isolated, the factory's
 * ports reach the backend, and the request counter sees every operation.
 */
import { Readable } from 'node:stream';
import { backendName, testPorts, uniqueBucket } from '../../support/emulator';
import { UPLOAD_PART_SIZE } from '../../../src/aws/clients';

// a multipart upload of several parts: seconds on a busy machine or a containerized emulator
jest.setTimeout(30_000);

describe('test backend harness', () => {
  it('publishes an endpoint and gives each test its own bucket', async () => {
    // Prepare
    const a = await uniqueBucket('harness');
    const b = await uniqueBucket('harness');
    const ports = testPorts();

    // Act
    await ports.s3.putObject({ Bucket: a, Key: 'k', Body: 'hello' });
    const listedB = await ports.s3.listObjectsV2({ Bucket: b });

    // Assess
    expect(process.env.AWS_ENDPOINT_URL).toMatch(/^https?:\/\//);
    expect(['moto', 'localstack', 'endpoint']).toContain(backendName());
    expect(a).not.toEqual(b);
    expect(listedB.KeyCount ?? 0).toBe(0);
    expect(ports.requests.snapshot()).toEqual({ 'S3.ListObjectsV2': 1, 'S3.PutObject': 1 });
  });

  it('uploads a stream larger than one part as a multipart upload, honouring If-None-Match', async () => {
    // Prepare
    const bucket = await uniqueBucket('harness');
    const ports = testPorts();
    const size = UPLOAD_PART_SIZE + 1024 * 1024;
    const body = () => Readable.from([Buffer.alloc(size, 7)]);

    // Act
    await ports.s3.upload({ Bucket: bucket, Key: 'big', Body: body(), IfNoneMatch: '*' });
    const second = ports.s3.upload({ Bucket: bucket, Key: 'big', Body: body(), IfNoneMatch: '*' });

    // Assess
    await expect(second).rejects.toMatchObject({ $metadata: { httpStatusCode: 412 } });
    const head = await ports.s3.headObject({ Bucket: bucket, Key: 'big' });
    expect(head.ContentLength).toBe(size);
    expect(ports.requests.snapshot()['S3.UploadPart']).toBeGreaterThanOrEqual(2);
    expect(ports.requests.snapshot()['S3.CompleteMultipartUpload']).toBeGreaterThanOrEqual(1);
  });

  it('counts every request by operation and sends every Lambda request through its quota pool', async () => {
    // Prepare: a limiter that records the pool of each token
    const taken: string[] = [];
    const ports = testPorts({ limiter: { take: async (pool) => void taken.push(pool) } });

    // Act: a Lambda call that fails (no such function) and a waiter that polls it until its deadline
    await expect(
      ports.lambda.getFunction({ FunctionName: 'no-such-function-harness' }),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(ports.lambda.waitActive('no-such-function-harness', 1)).rejects.toMatchObject({
      code: 'AWS_WAIT_TIMEOUT',
    });

    // Assess
    const lambdaRequests = ports.requests.snapshot()['Lambda.GetFunction'] ?? 0;
    expect(lambdaRequests).toBeGreaterThanOrEqual(2);
    expect(taken).toHaveLength(lambdaRequests);
    // GetFunction and the waiters' polls (GetFunction) count in GetFunction's own pool, not the shared one
    expect(new Set(taken)).toEqual(new Set(['lambdaGetFunction']));
  });
});
