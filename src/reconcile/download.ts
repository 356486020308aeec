/**
 * Downloads one release object to a local file, streamed (memory does not grow with the bundle), its
 * sha256 computed on the way, with If-Match on the listed ETag: an object re-uploaded since it was
 * listed is never mistaken for the one judged.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Port } from '../aws/ports';
import { hashingStream } from '../stream';
import { DownloadError } from './errors';
import { isNotFound, isPreconditionFailed } from '../aws/errors';

export interface Downloaded {
  file: string;
  size: number;
  sha256Hex: string;
}

function toNodeStream(body: unknown): Readable {
  if (body instanceof Readable) return body;
  const web = body as { transformToWebStream?: () => ReadableStream } | undefined;
  if (web?.transformToWebStream) {
    return Readable.fromWeb(web.transformToWebStream() as import('node:stream/web').ReadableStream);
  }
  throw new Error('the response body is not a stream');
}

export async function downloadRelease(
  s3: S3Port,
  object: { bucket: string; key: string; etag: string },
  file: string,
  /** called with the bytes received so far, as they arrive */
  onBytes?: (bytes: number) => void,
): Promise<Downloaded> {
  const resource = `s3://${object.bucket}/${object.key}`;
  let body: Readable;
  try {
    const res = await s3.getObject({ Bucket: object.bucket, Key: object.key, IfMatch: object.etag });
    body = toNodeStream(res.Body);
  } catch (err) {
    if (isPreconditionFailed(err))
      throw new DownloadError(object.key, resource, `its ETag is no longer ${object.etag}`, {
        changed: true,
        cause: err,
      });
    if (isNotFound(err))
      throw new DownloadError(object.key, resource, 'it was deleted since it was listed', {
        changed: true,
        cause: err,
      });
    throw new DownloadError(object.key, resource, (err as Error).message, { changed: false, cause: err });
  }
  const hashing = hashingStream();
  if (onBytes) {
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      onBytes(received);
    });
  }
  try {
    await pipeline(body, hashing.stream, createWriteStream(file));
  } catch (err) {
    throw new DownloadError(object.key, resource, `transfer failed: ${(err as Error).message}`, {
      changed: false,
      cause: err,
    });
  }
  return { file, ...hashing.digest() };
}
