/**
 * DeleteObject If-Match (S3 has it since 2025-09), with the one fallback emulators need.
 *
 * LocalStack 4.14 answers a conditional DeleteObject with 501 NotImplemented (localstack#13894).
 * When an endpoint is configured (AWS_ENDPOINT_URL: an emulator) and only then, the delete falls back
 * to HeadObject → compare the ETag → unconditional DeleteObject, with a warning once per S3 port (one
 * per run). This leaves a race AWS itself does not have: a write between the read and the delete is
 * lost (README "Test backends"). Against AWS (no endpoint) a 501 stays an error.
 *
 * The fallback answers like S3 would: a changed object → PreconditionFailed (412); no object →
 * NoSuchKey (404); so callers keep one error handling for both paths.
 */
import { S3ServiceException, type DeleteObjectCommandOutput } from '@aws-sdk/client-s3';
import type { Logger } from '../log';
import type { S3Port } from './ports';
import { httpStatusOf, isAwsError, isNotFound } from './errors';

export interface ConditionalDeleteInput {
  Bucket: string;
  Key: string;
  /** the ETag the object must still have (quoted or bare) */
  IfMatch: string;
}

/** What a conditional delete needs of an S3 client (the bulk client's port, or the lock's own). */
export type ConditionalDeletePort = Pick<S3Port, 'deleteObject' | 'headObject' | 'emulatorEndpoint'>;

const warned = new WeakSet<ConditionalDeletePort>();

/** 501 NotImplemented: the service does not implement a header or operation. */
export function isNotImplemented(err: unknown): boolean {
  return httpStatusOf(err) === 501 || isAwsError(err, 'NotImplemented');
}

function unquoted(etag: string | undefined): string {
  return (etag ?? '').replace(/^W\//, '').replace(/^"|"$/g, '');
}

function s3Error(name: string, status: number, message: string): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: 'client',
    $metadata: { httpStatusCode: status },
    message,
  });
}

/**
 * Deletes Bucket/Key only if its ETag is still IfMatch. Throws what S3 throws (412 when it changed,
 * 404 when it is gone, the SDK error otherwise).
 */
export async function deleteIfMatch(
  s3: ConditionalDeletePort,
  input: ConditionalDeleteInput,
  logger?: Logger,
): Promise<DeleteObjectCommandOutput> {
  try {
    return await s3.deleteObject({ Bucket: input.Bucket, Key: input.Key, IfMatch: input.IfMatch });
  } catch (err) {
    if (!isNotImplemented(err) || s3.emulatorEndpoint === undefined) throw err;
    if (!warned.has(s3)) {
      warned.add(s3);
      logger?.warn(
        { endpoint: s3.emulatorEndpoint, bucket: input.Bucket, key: input.Key },
        'the S3 endpoint does not implement conditional DeleteObject (If-Match): falling back to ' +
          'read, compare the ETag, delete (an emulator limit: a write between the read and the delete is lost)',
      );
    }
  }
  let current: string | undefined;
  try {
    current = (await s3.headObject({ Bucket: input.Bucket, Key: input.Key })).ETag;
  } catch (err) {
    if (isNotFound(err)) throw s3Error('NoSuchKey', 404, `s3://${input.Bucket}/${input.Key} does not exist`);
    throw err;
  }
  if (unquoted(current) !== unquoted(input.IfMatch)) {
    throw s3Error(
      'PreconditionFailed',
      412,
      `s3://${input.Bucket}/${input.Key} has ETag ${current ?? '(none)'}, not ${input.IfMatch}`,
    );
  }
  return s3.deleteObject({ Bucket: input.Bucket, Key: input.Key });
}
