/** What the reconcile unit tests share: real ports over a stubbed S3 client, and S3 errors by status. */
import { createAwsPorts } from '../../../src/aws/clients';
import type { AwsPorts } from '../../../src/aws/ports';

/** Ports built by the real factory; aws-sdk-client-mock's mockClient(S3Client) answers underneath. */
export function stubbedPorts(): AwsPorts {
  return createAwsPorts({
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
}

/** An S3 error as the SDK raises it: a name and the HTTP status in $metadata. */
export function s3Error(status: number, name: string): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
}
