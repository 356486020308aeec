/**
 * `verify --repair`: under the reconcile lock (one writer), each version with repairable drift is
 * converged from its release bundle, named in its manifest's metadata (release key and ETag): the
 * bundle is size-checked, downloaded with If-Match on that ETag (reconcile's reader), hashed against
 * the manifest's bundle sha256, validated, and handed to the provisioner as a redeploy of the SAME
 * bundle: it re-creates missing functions, converges code, configuration and tags, re-uploads missing
 * or different assets, and never deletes the manifest (the provisioner unpublishes only for other
 * bytes, which this path refuses before). Its guards stay: a function owned by another app or not by
 * the deployer is a conflict, reported and left. A version whose release bundle is gone or changed is
 * reported and not touched. A manifest body that differs from its recorded hash is rewritten in place
 * (PutObject If-Match on its ETag: the key never disappears). Foreign objects are only reported. A
 * version provisioned before version records gets its record from its bundle (verify can then check
 * its code and assets); its manifest is not rewritten for a body hash (that would change its
 * LastModified, which orders versions for prune).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isNotFound, isConditionalConflict, isPreconditionFailed } from '../aws/errors';
import type { AwsPorts } from '../aws/ports';
import { MAX_BUNDLE_BYTES } from '../bundle/limits';
import { validateBundle } from '../bundle/validate';
import type { Bundle } from '../bundle/types';
import type { DeployerConfig } from '../config';
import { DeployerError, errorMessage } from '../errors';
import type { Logger } from '../log';
import { mapBounded } from '../provision/concurrency';
import { Provisioner } from '../provision/provisioner';
import { MANIFEST_METADATA } from '../provision/types';
import { downloadRelease } from '../reconcile/download';
import type { VersionFindings } from './inspect';
import type { RepairResult } from './types';
import { tempDirPrefix } from '../temp-dirs';

export interface RepairDeps {
  ports: AwsPorts;
  config: DeployerConfig;
  logger: Logger;
  runId: string;
  /** throws once the lock is lost: called before every write */
  assertCanWrite: () => void;
}

/** Versions repaired at once (each provisions like a reconcile worker). */
export const REPAIR_CONCURRENCY = 2;

/** A metadata value as the provisioner wrote it (percent-encoded when it was not printable ASCII). */
function fromHeader(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

type Outcome = Omit<RepairResult, 'appId' | 'version'>;

const notRepaired = (message: string): Outcome => ({ status: 'not-repaired', message });

export async function repairAll(deps: RepairDeps, findings: VersionFindings[]): Promise<RepairResult[]> {
  // drift, or a version provisioned before version records: its record is written from the bundle
  const todo = findings.filter(
    (f) => f.drift.length > 0 || (!f.hasRecord && f.metadata[MANIFEST_METADATA.releaseKey] !== undefined),
  );
  if (todo.length === 0) return [];
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), tempDirPrefix('run')));
  const provisioner = new Provisioner({ ports: deps.ports, config: deps.config, logger: deps.logger });
  try {
    return await mapBounded(todo, REPAIR_CONCURRENCY, async (f, i) => {
      const logger = deps.logger.child({ appId: f.appId, version: f.version, step: 'repair' });
      let outcome: Outcome;
      try {
        outcome = await repairVersion(deps, provisioner, f, path.join(tmpDir, `${i}.zip`), logger);
      } catch (err) {
        if (!(err instanceof DeployerError)) throw err;
        outcome = { status: 'failed', message: err.describe() };
      }
      logger.info({ status: outcome.status, message: outcome.message }, 'repair');
      return { appId: f.appId, version: f.version, ...outcome };
    });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
}

async function repairVersion(
  deps: RepairDeps,
  provisioner: Provisioner,
  f: VersionFindings,
  file: string,
  logger: Logger,
): Promise<Outcome> {
  if (!f.drift.some((d) => d.repairable) && (f.hasRecord || f.drift.length > 0))
    return notRepaired('only drift that --repair never changes (see above)');
  const releaseKey = f.metadata[MANIFEST_METADATA.releaseKey];
  const releaseEtag = f.metadata[MANIFEST_METADATA.releaseEtag];
  const sha = f.metadata[MANIFEST_METADATA.bundleSha256];
  if (releaseKey === undefined || releaseEtag === undefined || sha === undefined)
    return notRepaired(
      "the manifest's metadata names no release bundle (provisioned by `provision` from a local file, or by another tool): " +
        'provision that bundle again with `provision --update`',
    );
  const bundleFile = await fetchRelease(deps, fromHeader(releaseKey), fromHeader(releaseEtag), file);
  if (typeof bundleFile !== 'string') return bundleFile;
  if (bundleFile !== sha)
    return notRepaired(
      `the release bundle has sha256 ${bundleFile}, the provisioned one ${sha}: not touched`,
    );
  const validation = await validateBundle(file);
  if (!validation.ok)
    return notRepaired(
      `the release bundle no longer validates (${validation.errors.length} errors): not touched`,
    );
  const bundle = validation.bundle;
  if (bundle.appId !== f.appId || bundle.version !== f.version)
    return notRepaired(`the release bundle is ${bundle.appId} ${bundle.version}: not touched`);

  await provisioner.ensureIam({ assertCanWrite: deps.assertCanWrite });
  // replace with the SAME bundle: functions converge whatever their code, the manifest stays
  const result = await provisioner.provision(bundle, {
    runId: deps.runId,
    replace: true,
    releaseKey: fromHeader(releaseKey),
    releaseEtag: fromHeader(releaseEtag),
    assertCanWrite: deps.assertCanWrite,
    writeRecord: !f.hasRecord,
    logger,
  });
  const changed = [...result.functions, ...result.assets].filter((r) => r.outcome !== 'unchanged').length;
  const manifestFixed = f.drift.some((d) => d.kind === 'manifest-hash')
    ? await rewriteManifest(deps, f, bundle)
    : '';
  const recorded = f.hasRecord ? '' : '; version record written';
  return { status: 'repaired', message: `${changed} resource(s) converged${manifestFixed}${recorded}` };
}

/** Downloads the release bundle; its sha256, or the outcome when it is gone, changed or too large. */
async function fetchRelease(
  deps: RepairDeps,
  key: string,
  etag: string,
  file: string,
): Promise<string | Outcome> {
  const bucket = deps.config.releaseBucket;
  let size: number;
  try {
    const head = await deps.ports.s3.headObject({ Bucket: bucket, Key: key, IfMatch: etag });
    size = head.ContentLength ?? 0;
  } catch (err) {
    if (isNotFound(err)) return notRepaired(`its release bundle s3://${bucket}/${key} is gone: not touched`);
    if (isPreconditionFailed(err))
      return notRepaired(
        `its release bundle s3://${bucket}/${key} was replaced (ETag is no longer ${etag}): not touched`,
      );
    throw err;
  }
  if (size > MAX_BUNDLE_BYTES)
    return notRepaired(`its release bundle is larger than ${MAX_BUNDLE_BYTES} bytes`);
  try {
    return (await downloadRelease(deps.ports.s3, { bucket, key, etag }, file)).sha256Hex;
  } catch (err) {
    return notRepaired(errorMessage(err));
  }
}

/** The manifest body back to the bundle's, in place: If-Match on the ETag verify read, same metadata. */
async function rewriteManifest(deps: RepairDeps, f: VersionFindings, bundle: Bundle): Promise<string> {
  if (f.manifestEtag === undefined) return '; manifest body not rewritten (no ETag)';
  deps.assertCanWrite();
  try {
    await deps.ports.s3.putObject({
      Bucket: deps.config.appsBucket,
      Key: f.manifestKey,
      Body: bundle.storedManifestJson,
      ContentType: 'application/json',
      Metadata: f.metadata,
      IfMatch: f.manifestEtag,
    });
  } catch (err) {
    if (isPreconditionFailed(err) || isConditionalConflict(err))
      return '; manifest body not rewritten: it changed meanwhile (run verify again)';
    throw err;
  }
  return '; manifest body restored';
}
