/**
 * Static assets: each file under the bundle's static/ goes to its key with its Content-Type and its
 * sha256 in the object's metadata (ETags are not MD5 for multipart or KMS uploads). An asset already
 * there with the same sha256 and Content-Type is skipped. Bodies stream from the bundle; large ones
 * go up as multipart uploads (the S3 port's `upload`).
 */
import { isNotFound } from '../aws/errors';
import type { BundleAsset } from '../bundle/types';
import { streamEntryToS3 } from './code';
import { SHA256_METADATA } from './constants';
import type { StepContext } from './context';
import type { ResourceOutcome } from './types';

export type AssetAction = 'create' | 'update' | 'unchanged';

/** Reads the asset's object and decides; reads only. */
export async function inspectAsset(ctx: StepContext, asset: BundleAsset): Promise<AssetAction> {
  return ctx.retry('asset', asset.key, async () => {
    try {
      const head = await ctx.ports.s3.headObject({ Bucket: ctx.config.appsBucket, Key: asset.key });
      const same =
        head.Metadata?.[SHA256_METADATA] === asset.sha256Hex && head.ContentType === asset.contentType;
      return same ? 'unchanged' : 'update';
    } catch (err) {
      if (isNotFound(err)) return 'create';
      throw err;
    }
  });
}

export async function ensureAsset(ctx: StepContext, asset: BundleAsset): Promise<ResourceOutcome> {
  const action = await inspectAsset(ctx, asset);
  let outcome: ResourceOutcome = 'unchanged';
  if (action !== 'unchanged') {
    await streamEntryToS3(
      ctx,
      asset,
      { key: asset.key, sha256Hex: asset.sha256Hex, contentType: asset.contentType },
      'asset',
    );
    outcome = action === 'create' ? 'created' : 'updated';
  }
  ctx.emit({ type: 'step', step: 'asset', resource: asset.key, outcome });
  return outcome;
}
