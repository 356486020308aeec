/**
 * Retiring one version, in the safe order (DESIGN.md "CLI": prune; invariant I1):
 *   1. a `retired` marker (deployer/seen/<stem>/<etag>/retired-v<N>) whose body records what the
 *      retirement removes: from then on no reconcile provisions the version again, whatever object is
 *      listed under its release key (reconcile/plan.ts known-retired);
 *   2. the manifest, with If-Match on its listed ETag (the Apps plugin stops seeing the version);
 *   3. its functions: DeleteFunction only on a function whose tags say managed-by apps-deployer with
 *      this app id and version (anything else is reported and left);
 *   4. its static assets: only keys its release bundle named (never a foreign object under the prefix);
 *   5. a `pruned` marker: the retirement is complete, later runs send no request for it.
 * Every step is idempotent (gone is done), so a rerun after a SIGKILL anywhere completes the work from
 * the recorded body; I1 holds throughout because the manifest goes before anything it names.
 */
import { deleteIfMatch } from '../aws/conditional-delete';
import { isAwsError, isNotFound, isPreconditionFailed, isThrottling } from '../aws/errors';
import type { AwsPorts } from '../aws/ports';
import { lambdaFunctionName, staticPrefix } from '../bundle/names';
import { MAX_STORED_MANIFEST_BYTES } from '../bundle/stored-manifest';
import { errorMessage } from '../errors';
import type { Logger } from '../log';
import { FUNCTION_TAGS, MANIFEST_METADATA } from '../provision/types';
import { bareEtag, canonicalStem, markerKey, writeMarker, type ParsedMarker } from '../reconcile/markers';
import { VALIDATOR_VERSION, type MarkerBody, type RetirementRecord } from '../reconcile/types';
import { bundleAssetKeys, decoded } from './assets';
import { RetireError } from './errors';
import type { RetireResult, VersionDecision } from './types';
import { readBodyText } from '../aws/body';

class TooLargeError extends RangeError {}

export interface RetireContext {
  ports: AwsPorts;
  appsBucket: string;
  releaseBucket: string;
  runId: string;
  /** where the release bundle is downloaded to read its static entries */
  tmpDir: string;
  logger: Logger;
  /** throws when the lock is lost or the run was asked to stop: called before every write */
  assertCanWrite: () => void;
  now: () => Date;
  /** DeleteFunction answering ResourceConflictException (an update in progress): attempts, delay */
  conflictAttempts?: number;
  conflictDelayMs?: number;
}

/** A manifest or marker body larger than this is not read into memory (not one the deployer wrote). */
export const MAX_READ_BYTES = MAX_STORED_MANIFEST_BYTES;

async function readBody(ctx: RetireContext, key: string, ifMatch?: string) {
  const res = await ctx.ports.s3.getObject({
    Bucket: ctx.appsBucket,
    Key: key,
    ...(ifMatch ? { IfMatch: ifMatch } : {}),
  });
  const text = await readBodyText(res, MAX_READ_BYTES);
  if (text === undefined)
    throw new TooLargeError(`s3://${ctx.appsBucket}/${key} is larger than ${MAX_READ_BYTES} bytes: not read`);
  return {
    text,
    etag: res.ETag,
    metadata: res.Metadata ?? {},
  };
}

/** Lambda names of the stored manifest's functions (`aws_lambda` in either form). */
export function manifestFunctionNames(appId: string, version: string, manifestJson: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(manifestJson);
  } catch {
    return [];
  }
  const section = (doc as { aws_lambda?: unknown } | null)?.aws_lambda;
  const list = Array.isArray(section) ? section : (section as { functions?: unknown } | undefined)?.functions;
  const names = new Set<string>();
  for (const fn of Array.isArray(list) ? list : []) {
    const name = (fn as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') continue;
    try {
      names.add(lambdaFunctionName(appId, version, name).name);
    } catch {
      // not a valid function name: no function of ours can carry it
    }
  }
  return [...names].sort();
}

/** Decides what the retirement removes, from the manifest (and its release bundle), and records it in
 * the retired marker: step 1. Returns the marker's key parts. */
async function recordRetirement(
  ctx: RetireContext,
  d: VersionDecision,
): Promise<{ etag: string; record: RetirementRecord }> {
  let manifest;
  try {
    manifest = await readBody(ctx, d.manifestKey, d.manifestEtag);
  } catch (err) {
    throw new RetireError(d.appId, d.version, `its manifest cannot be read: ${errorMessage(err)}`, {
      resource: `s3://${ctx.appsBucket}/${d.manifestKey}`,
      hint: isPreconditionFailed(err)
        ? 'the manifest changed since it was listed: run prune again'
        : 'run prune again',
      cause: err,
    });
  }
  const record: RetirementRecord = {
    appId: d.appId,
    version: d.version,
    manifestEtag: manifest.etag ? bareEtag(manifest.etag) : undefined,
    functions: manifestFunctionNames(d.appId, d.version, manifest.text),
    ...(await bundleAssetKeys(ctx, d, manifest.metadata)),
  };
  const etag =
    bareEtag(decoded(manifest.metadata[MANIFEST_METADATA.releaseEtag]) ?? manifest.etag ?? 'none') || 'none';
  const body: MarkerBody = {
    releaseKey: decoded(manifest.metadata[MANIFEST_METADATA.releaseKey]) ?? '',
    etag,
    outcome: 'retired',
    validatorVersion: VALIDATOR_VERSION,
    runId: ctx.runId,
    at: ctx.now().toISOString(),
    message: 'retired by prune',
    retirement: record,
  };
  ctx.assertCanWrite();
  await writeMarker(ctx.ports.s3, ctx.appsBucket, canonicalStem(d.appId, d.version), body);
  return { etag, record };
}

/** A record read back from S3 is forgeable (anyone who can write deployer/): it may name only this
 * version's static assets, never another app's objects, manifests or the deployer's own state. */
function ownAssetsOnly(r: RetirementRecord, appId: string, version: string): RetirementRecord {
  if (r.assets !== undefined && !Array.isArray(r.assets)) {
    return {
      appId: r.appId,
      version: r.version,
      functions: r.functions,
      assetsNote: 'the recorded assets are not a list: left',
    };
  }
  if (r.assets === undefined) return r;
  const prefix = staticPrefix(appId, version);
  const own = r.assets.filter(
    (k): k is string => typeof k === 'string' && k.startsWith(prefix) && !k.split('/').includes('..'),
  );
  return own.length === r.assets.length
    ? r
    : { ...r, assets: own, assetsNote: `${r.assets.length - own.length} key(s) outside ${prefix} left` };
}

/** The record a former run wrote in the retired marker. */
async function readRecord(
  ctx: RetireContext,
  d: VersionDecision,
  marker: ParsedMarker,
): Promise<RetirementRecord> {
  try {
    const body = JSON.parse((await readBody(ctx, marker.key)).text) as MarkerBody;
    const r = body.retirement;
    if (r && Array.isArray(r.functions) && r.appId === d.appId && r.version === d.version)
      return ownAssetsOnly(r, d.appId, d.version);
  } catch (err) {
    if (!isNotFound(err) && !(err instanceof SyntaxError) && !(err instanceof TooLargeError)) throw err;
  }
  throw new RetireError(d.appId, d.version, 'its retired marker holds no readable retirement record', {
    code: 'RETIREMENT_RECORD_UNREADABLE',
    resource: `s3://${ctx.appsBucket}/${marker.key}`,
    hint: 'delete that marker (the version is then live again if its manifest exists) and run prune again',
  });
}

type FunctionFate = 'deleted' | 'gone' | 'foreign';

/** Step 3 for one function: only when its tags say it is this version's, managed by us. */
async function deleteManagedFunction(
  ctx: RetireContext,
  name: string,
  appId: string,
  version: string,
): Promise<FunctionFate> {
  let tags: Record<string, string>;
  try {
    tags = (await ctx.ports.lambda.getFunction({ FunctionName: name })).Tags ?? {};
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    throw err;
  }
  const ours =
    tags[FUNCTION_TAGS.managedBy] === FUNCTION_TAGS.managedByValue &&
    tags[FUNCTION_TAGS.appId] === appId &&
    tags[FUNCTION_TAGS.version] === version;
  if (!ours) return 'foreign';
  const attempts = ctx.conflictAttempts ?? 10;
  for (let attempt = 1; ; attempt++) {
    ctx.assertCanWrite();
    try {
      await ctx.ports.lambda.deleteFunction({ FunctionName: name });
      return 'deleted';
    } catch (err) {
      if (isNotFound(err)) return 'gone';
      const busy = isAwsError(err, 'ResourceConflictException') || isThrottling(err);
      if (!busy || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, (ctx.conflictDelayMs ?? 1000) * attempt));
    }
  }
}

export async function retireVersion(
  ctx: RetireContext,
  d: VersionDecision,
  retiredMarker: ParsedMarker | undefined,
): Promise<RetireResult> {
  const stem = canonicalStem(d.appId, d.version);
  const logger = ctx.logger.child({ appId: d.appId, version: d.version, step: 'prune' });
  const result: RetireResult = {
    appId: d.appId,
    version: d.version,
    status: 'retired',
    manifestDeleted: false,
    functionsDeleted: [],
    functionsLeft: [],
    assetsDeleted: 0,
  };
  // 1. the retired marker (or the one a former run wrote)
  const { etag, record } = retiredMarker
    ? { etag: retiredMarker.etag, record: await readRecord(ctx, d, retiredMarker) }
    : await recordRetirement(ctx, d);
  logger.info(
    { functions: record.functions.length, assets: record.assets?.length },
    'retired marker written',
  );
  // 2. the manifest, only the one listed under the lock
  if (d.manifestEtag !== undefined) {
    ctx.assertCanWrite();
    try {
      await deleteIfMatch(
        ctx.ports.s3,
        { Bucket: ctx.appsBucket, Key: d.manifestKey, IfMatch: `"${bareEtag(d.manifestEtag)}"` },
        logger,
      );
      result.manifestDeleted = true;
      logger.info({ manifest: d.manifestKey }, 'manifest deleted');
    } catch (err) {
      if (!isNotFound(err))
        throw new RetireError(d.appId, d.version, `its manifest was not deleted: ${errorMessage(err)}`, {
          resource: `s3://${ctx.appsBucket}/${d.manifestKey}`,
          hint: isPreconditionFailed(err)
            ? 'the manifest changed since it was listed: run prune --apply again'
            : 'run prune --apply again',
          cause: err,
        });
    }
  }
  // 3. functions (one at a time: Lambda's shared control-plane pool is rate-limited anyway)
  for (const name of record.functions) {
    const fate = await deleteManagedFunction(ctx, name, d.appId, d.version);
    if (fate === 'deleted') {
      result.functionsDeleted.push(name);
      logger.info({ function: name }, 'function deleted');
    }
    if (fate === 'foreign') {
      result.functionsLeft.push(name);
      logger.warn(
        { function: name },
        'function left: its tags do not name this version managed by apps-deployer',
      );
    }
  }
  // 4. assets the bundle named (DeleteObject of a missing key succeeds: idempotent)
  for (const key of record.assets ?? []) {
    ctx.assertCanWrite();
    await ctx.ports.s3.deleteObject({ Bucket: ctx.appsBucket, Key: key });
    result.assetsDeleted++;
  }
  if (record.assets === undefined || record.assetsNote !== undefined) {
    result.assetsNote = record.assetsNote ?? 'the assets are unknown: left';
    logger.warn({ note: result.assetsNote }, 'assets left');
  }
  // 5. complete
  ctx.assertCanWrite();
  await writeMarker(ctx.ports.s3, ctx.appsBucket, stem, {
    releaseKey: '',
    etag,
    outcome: 'pruned',
    validatorVersion: VALIDATOR_VERSION,
    runId: ctx.runId,
    at: ctx.now().toISOString(),
    message:
      `retirement complete: ${result.functionsDeleted.length} function(s) and ${result.assetsDeleted} asset(s) deleted` +
      (result.functionsLeft.length > 0 ? `; left (not ours): ${result.functionsLeft.join(', ')}` : '') +
      (result.assetsNote ? `; ${result.assetsNote}` : ''),
  });
  logger.info({ marker: markerKey({ stem, etag, outcome: 'pruned' }) }, 'version retired');
  return result;
}
