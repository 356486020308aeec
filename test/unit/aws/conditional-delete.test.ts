/**
 * Conditional DeleteObject and its emulator fallback (LocalStack 4.14 answers If-Match with 501).
 * The SDK is stubbed here for the error paths; test/integration/reconcile/localstack-lock.test.ts
 * shows the fallback against LocalStack itself, and moto (which has If-Match) never needs it.
 */
import { DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsPorts } from '../../../src/aws/clients';
import { deleteIfMatch } from '../../../src/aws/conditional-delete';
import { isNotFound, isPreconditionFailed } from '../../../src/aws/errors';
import type { Logger } from '../../../src/log';
import { silentLogger } from '../../../src/log';

const s3Mock = mockClient(S3Client);
beforeEach(() => s3Mock.reset());
afterAll(() => s3Mock.restore());

const notImplemented = () =>
  Object.assign(new Error('A header you provided implies functionality that is not implemented'), {
    name: 'NotImplemented',
    $metadata: { httpStatusCode: 501 },
  });

function ports(endpoint: string | undefined) {
  return createAwsPorts({
    region: 'us-east-1',
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
}

function recordingLogger(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = silentLogger();
  logger.warn = ((_obj: unknown, msg?: string) => warnings.push(msg ?? '')) as Logger['warn'];
  return { logger, warnings };
}

const input = { Bucket: 'apps', Key: 'deployer/lock', IfMatch: '"abc"' };

describe('deleteIfMatch', () => {
  it('sends DeleteObject with If-Match and nothing else when S3 supports it', async () => {
    s3Mock.on(DeleteObjectCommand).resolves({});
    await deleteIfMatch(ports('http://127.0.0.1:4566').s3, input);
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(1);
    expect(s3Mock.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toMatchObject({ IfMatch: '"abc"' });
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  it('against AWS (no endpoint) a 501 stays an error: never an unconditional delete', async () => {
    s3Mock.on(DeleteObjectCommand).rejects(notImplemented());
    await expect(deleteIfMatch(ports(undefined).s3, input)).rejects.toMatchObject({ name: 'NotImplemented' });
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(1);
    expect(s3Mock.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  it('with an endpoint, a 501 falls back to read, compare the ETag, delete; warns once per port', async () => {
    s3Mock.on(DeleteObjectCommand).resolves({});
    s3Mock.on(DeleteObjectCommand, { IfMatch: '"abc"' }).rejects(notImplemented());
    s3Mock.on(DeleteObjectCommand, { IfMatch: 'abc' }).rejects(notImplemented());
    s3Mock.on(HeadObjectCommand).resolves({ ETag: '"abc"' });
    const { logger, warnings } = recordingLogger();
    const s3 = ports('http://127.0.0.1:4566').s3;
    await deleteIfMatch(s3, input, logger);
    await deleteIfMatch(s3, { ...input, IfMatch: 'abc' }, logger); // bare ETag compares equal
    const deletes = s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.IfMatch);
    expect(deletes).toEqual(['"abc"', undefined, 'abc', undefined]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/does not implement conditional DeleteObject/);
  });

  it('the fallback answers 412 when the object changed, and deletes nothing', async () => {
    s3Mock.on(DeleteObjectCommand).rejects(notImplemented());
    s3Mock.on(HeadObjectCommand).resolves({ ETag: '"other"' });
    const err = await deleteIfMatch(ports('http://127.0.0.1:4566').s3, input).catch((e: unknown) => e);
    expect(isPreconditionFailed(err)).toBe(true);
    expect((err as Error).message).toMatch(/"other", not "abc"/);
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('the fallback answers 404 when the object is gone', async () => {
    s3Mock.on(DeleteObjectCommand).rejects(notImplemented());
    s3Mock
      .on(HeadObjectCommand)
      .rejects(
        Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }),
      );
    const err = await deleteIfMatch(ports('http://127.0.0.1:4566').s3, input).catch((e: unknown) => e);
    expect(isNotFound(err)).toBe(true);
    expect(s3Mock.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });
});
