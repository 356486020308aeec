/**
 * Downloads one release object to a local file, streamed (memory does not grow with the bundle), its
 * sha256 computed on the way, with If-Match on the listed ETag: an object re-uploaded since it was
 * listed is never mistaken for the one judged. When AWS fails or does not answer (5xx, throttling, a
 * reset, a transfer broken mid-body), the download starts again, DOWNLOAD_ATTEMPTS times in all: the
 * SDK retries a request, but not a body broken mid-transfer, and nothing once its client's retry quota
 * is spent by a burst of errors (found by the fault suite, RELIABILITY.md).
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Port } from '../aws/ports';
import { hashingStream } from '../stream';
import { DownloadError } from './errors';
import { isNotFound, isPreconditionFailed } from '../aws/errors';
import { isRetryableFailure } from '../aws/failure-class';

/** Downloads of one object in all, when AWS fails or does not answer. */
export const DOWNLOAD_ATTEMPTS = 4;
/** Backoff before the n-th new attempt (n from 1): doubling from this, capped at 4 s. */
const DOWNLOAD_RETRY_BASE_MS = 500;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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
  /** called with the bytes received so far (by the current attempt), as they arrive */
  onBytes?: (bytes: number) => void,
  sleep: (ms: number) => Promise<void> = defaultSleep,
): Promise<Downloaded> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await downloadOnce(s3, object, file, onBytes);
    } catch (err) {
      const retryable = err instanceof DownloadError && !err.changed && isRetryableFailure(err.cause);
      if (!retryable || attempt >= DOWNLOAD_ATTEMPTS) throw err;
      await sleep(Math.min(4_000, DOWNLOAD_RETRY_BASE_MS * 2 ** (attempt - 1)));
    }
  }
}

async function downloadOnce(
  s3: S3Port,
  object: { bucket: string; key: string; etag: string },
  file: string,
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
