/**
 * Stages function code: each function zip is streamed from the bundle to
 * s3://<apps bucket>/deployer/code/<sha256 hex>.zip, where Lambda fetches it (S3Bucket/S3Key: no code
 * in memory, no base64 request limits). The key is content-addressed: an object already there is the
 * same code and is skipped. The bytes read are exactly the range validation judged (BundleEntryRange,
 * from the local header); their size, CRC-32 and sha256 are checked as they stream and a mismatch (the
 * bundle changed since validation) fails the stream before it ends, so the upload never completes
 * with unvalidated bytes; the digest is compared again after the upload (deleting the object).
 */
import type { Readable } from 'node:stream';
import { isNotFound, isPreconditionFailed, isConditionalConflict } from '../aws/errors';
import { hashingStream } from '../stream';
import type { BundleEntryRange, BundleFunction } from '../bundle/types';
import { CODE_PREFIX, SHA256_METADATA } from './constants';
import type { StepContext } from './context';
import { ProvisionStepError } from './errors';
import type { ResourceOutcome } from './types';

export function codeKey(fn: Pick<BundleFunction, 'sha256Hex'>): string {
  return `${CODE_PREFIX}${fn.sha256Hex}.zip`;
}

/** Is this content-addressed key present with the expected size and digest? 'damaged': present but
 * not these bytes (someone else wrote it): overwritten. */
export async function codeState(
  ctx: StepContext,
  fn: BundleFunction,
): Promise<'present' | 'missing' | 'damaged'> {
  const key = codeKey(fn);
  return ctx.retry('stage-code', key, async () => {
    try {
      const head = await ctx.ports.s3.headObject({ Bucket: ctx.config.appsBucket, Key: key });
      const sha = head.Metadata?.[SHA256_METADATA];
      return head.ContentLength === fn.size && sha === fn.sha256Hex ? 'present' : 'damaged';
    } catch (err) {
      if (isNotFound(err)) return 'missing';
      throw err;
    }
  });
}

/** Streams one entry of the bundle to S3, verifying its sha256 on the way. */
export async function streamEntryToS3(
  ctx: StepContext,
  range: BundleEntryRange,
  target: { key: string; sha256Hex: string; contentType: string; ifNoneMatch?: boolean },
  step: 'stage-code' | 'asset',
): Promise<'written' | 'exists'> {
  const bucket = ctx.config.appsBucket;
  return ctx.retry(step, target.key, async () => {
    const source: Readable = ctx.openEntry(range);
    const hashing = hashingStream();
    source.on('error', (err) => hashing.stream.destroy(err));
    source.pipe(hashing.stream);
    const { onBytes } = ctx;
    if (onBytes) {
      // a second 'data' listener on a stream that pipe() already drives: it sees every chunk, takes none
      let sent = 0;
      const total = range.uncompressedSize;
      onBytes({ step, resource: target.key, entry: range.entry, bytes: 0, total });
      source.on('data', (chunk: Buffer) => {
        sent += chunk.length;
        onBytes({ step, resource: target.key, entry: range.entry, bytes: sent, total });
      });
    }
    try {
      await ctx.ports.s3.upload({
        Bucket: bucket,
        Key: target.key,
        Body: hashing.stream,
        ContentType: target.contentType,
        Metadata: { [SHA256_METADATA]: target.sha256Hex },
        ...(target.ifNoneMatch ? { IfNoneMatch: '*' as const } : {}),
      });
    } catch (err) {
      source.destroy();
      // content-addressed key created by someone else in between: the same bytes
      if (target.ifNoneMatch && (isPreconditionFailed(err) || isConditionalConflict(err))) return 'exists';
      throw err;
    }
    const { sha256Hex } = hashing.digest();
    if (sha256Hex !== target.sha256Hex) {
      await ctx.ports.s3.deleteObject({ Bucket: bucket, Key: target.key });
      throw new ProvisionStepError({
        step,
        resource: `s3://${bucket}/${target.key}`,
        bundle: ctx.bundle,
        cause: new Error(
          `entry "${range.entry}" streamed with sha256 ${sha256Hex}, validation saw ${target.sha256Hex}: the bundle file changed`,
        ),
      });
    }
    return 'written';
  });
}

/** Stages one function's code; 'unchanged' when it is already there. */
export async function stageCode(ctx: StepContext, fn: BundleFunction): Promise<ResourceOutcome> {
  const key = codeKey(fn);
  let outcome: ResourceOutcome = 'unchanged';
  const state = await codeState(ctx, fn);
  if (state !== 'present') {
    const written = await streamEntryToS3(
      ctx,
      fn,
      { key, sha256Hex: fn.sha256Hex, contentType: 'application/zip', ifNoneMatch: state === 'missing' },
      'stage-code',
    );
    outcome = written === 'exists' ? 'unchanged' : state === 'missing' ? 'created' : 'updated';
  }
  ctx.emit({ type: 'step', step: 'stage-code', resource: key, outcome });
  return outcome;
}
