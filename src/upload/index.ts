/**
 * `upload <bundle.zip>` (GitLab CI): validate the bundle, then create it under its canonical release
 * key in the release bucket: `<MM_APPS_RELEASE_PREFIX><app_id>_<version>.zip` (flat layout) or
 * `<MM_APPS_RELEASE_PREFIX><app_id>/<app_id>_<version>.zip` (per-app, APPS_DEPLOYER_RELEASE_LAYOUT).
 *
 * Releases are immutable, so the write is a conditional create (`If-None-Match: *`) and never an
 * overwrite. When the key exists, its sha256 (object metadata, or the object's bytes hashed when an
 * other tool uploaded it without that metadata) decides: the same bytes → already uploaded (a CI job
 * run twice succeeds); other bytes → refused, the version must be bumped. An invalid bundle is
 * refused before anything is written.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { S3Port } from '../aws/ports';
import type { ReleaseLayout } from '../config';
import { releaseKey, validateBundle } from '../bundle';
import type { Bundle, ValidationResult } from '../bundle/types';
import { errorMessage } from '../errors';
import { httpStatusOf, isConditionalConflict, isNotFound, isPreconditionFailed } from '../aws/errors';
import { VERSION } from '../version';
import { BUNDLE_CONTENT_TYPE, UPLOAD_ATTEMPTS, UPLOAD_METADATA, UPLOAD_RETRY_DELAY_MS } from './constants';
import { UploadError } from './errors';
import type { UploadResult } from './types';

export * from './types';
export { UploadError } from './errors';
export { UPLOAD_METADATA } from './constants';
export { uploaderPolicyDocument, type UploaderPolicyTarget } from './policy';

export interface UploadTarget {
  releaseBucket: string;
  releasePrefix: string;
  /** default flat */
  releaseLayout?: ReleaseLayout;
}

export interface UploadDeps {
  s3: S3Port;
  /** the bundle validator (default: the bundle module's); tests may pass another */
  validate?: (file: string) => Promise<ValidationResult>;
  /** bytes of the bundle handed to S3 so far, and the bundle's size (progress on a terminal) */
  onBytes?: (bytes: number, total: number) => void;
}

/**
 * The file's stream, or (with onBytes) a pass-through that counts what S3 reads from it: a 'data'
 * listener on the file itself would start the flow before the SDK reads, and lose bytes.
 */
function countingStream(file: Readable, total: number, onBytes: UploadDeps['onBytes']): Readable {
  if (!onBytes) return file;
  let sent = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      onBytes(sent, total);
      callback(null, chunk);
    },
  });
  file.on('error', (err) => counted.destroy(err));
  counted.on('close', () => file.destroy());
  return file.pipe(counted);
}

/** 5xx, throttling and network errors are worth another attempt; 4xx answers are not. */
function isRetryable(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status === undefined) return true;
  return status >= 500 || status === 429;
}

async function sha256OfStream(body: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The sha256 of what the key holds now: from its metadata, or by reading it. Undefined if gone. */
async function existingSha256(
  s3: S3Port,
  bucket: string,
  key: string,
): Promise<{ sha256: string; etag?: string } | undefined> {
  let head;
  try {
    head = await s3.headObject({ Bucket: bucket, Key: key });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const meta = head.Metadata?.[UPLOAD_METADATA.sha256];
  if (meta) return { sha256: meta.toLowerCase(), etag: head.ETag };
  // uploaded by another tool: hash the bytes (If-Match: the object we just looked at)
  const res = await s3.getObject({ Bucket: bucket, Key: key, IfMatch: head.ETag });
  if (!res.Body) throw new Error(`s3://${bucket}/${key} answered without a body`);
  return { sha256: await sha256OfStream(res.Body as Readable), etag: head.ETag };
}

export async function uploadBundle(
  file: string,
  target: UploadTarget,
  deps: UploadDeps,
): Promise<UploadResult> {
  const validation = await (deps.validate ?? validateBundle)(file);
  if (!validation.ok) {
    return {
      status: 'invalid',
      file,
      appId: validation.appId,
      version: validation.version,
      errors: validation.errors,
      warnings: validation.warnings,
    };
  }
  const bundle: Bundle = validation.bundle;
  const bucket = target.releaseBucket;
  const key = releaseKey(target.releasePrefix, bundle.appId, bundle.version, target.releaseLayout);
  const where = `s3://${bucket}/${key}`;
  const base = {
    file,
    appId: bundle.appId,
    version: bundle.version,
    bucket,
    key,
    sha256: bundle.sha256Hex,
    size: bundle.size,
    warnings: validation.warnings,
  };

  const judgeExisting = (existing: { sha256: string; etag?: string }): UploadResult =>
    existing.sha256 === bundle.sha256Hex
      ? { ...base, status: 'already-uploaded', etag: existing.etag }
      : {
          ...base,
          status: 'conflict',
          existingSha256: existing.sha256,
          message:
            `${where} already holds other bytes for ${bundle.appId} ${bundle.version} ` +
            `(sha256 ${existing.sha256.slice(0, 12)}…, this bundle ${bundle.sha256Hex.slice(0, 12)}…). ` +
            `Release versions are immutable: bump the version in manifest.json and upload again.`,
        };
  const readExisting = async (): Promise<{ sha256: string; etag?: string } | undefined> => {
    try {
      return await existingSha256(deps.s3, bucket, key);
    } catch (err) {
      throw new UploadError(file, where, `cannot read what the key holds: ${errorMessage(err)}`, err);
    }
  };

  // A CI job run twice: answer from a HEAD, without sending the bundle again. Without
  // s3:ListBucket, S3 answers 403 (not 404) for a missing key: then the conditional create decides.
  let before: { sha256: string; etag?: string } | undefined;
  try {
    before = await existingSha256(deps.s3, bucket, key);
  } catch (err) {
    if (httpStatusOf(err) !== 403)
      throw new UploadError(file, where, `cannot read what the key holds: ${errorMessage(err)}`, err);
  }
  if (before !== undefined) return judgeExisting(before);

  for (let attempt = 1; ; attempt++) {
    const body = countingStream(createReadStream(file), bundle.size, deps.onBytes);
    try {
      const res = await deps.s3.putObject({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentLength: bundle.size,
        ContentType: BUNDLE_CONTENT_TYPE,
        IfNoneMatch: '*',
        Metadata: {
          [UPLOAD_METADATA.sha256]: bundle.sha256Hex,
          [UPLOAD_METADATA.appId]: bundle.appId,
          [UPLOAD_METADATA.version]: bundle.version,
          [UPLOAD_METADATA.deployerVersion]: VERSION,
        },
      });
      return { ...base, status: 'uploaded', etag: res.ETag };
    } catch (err) {
      if (isPreconditionFailed(err) || isConditionalConflict(err)) {
        // created meanwhile (a concurrent upload, or our own earlier attempt): compare what it holds
        const existing = await readExisting();
        if (existing !== undefined) return judgeExisting(existing);
        // a concurrent writer gave up (409) or the object was deleted meanwhile: try again
        if (attempt < UPLOAD_ATTEMPTS) continue;
        throw new UploadError(file, where, 'the key kept changing while uploading', err);
      }
      if (attempt >= UPLOAD_ATTEMPTS || !isRetryable(err))
        throw new UploadError(file, where, errorMessage(err), err);
      await sleep(UPLOAD_RETRY_DELAY_MS * attempt);
    } finally {
      body.destroy();
    }
  }
}
