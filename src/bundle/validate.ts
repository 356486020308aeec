/**
 * `validateBundle`: reads a bundle from disk without touching AWS and returns either the Bundle the
 * provisioner needs or every problem found. A pipeline of small checks (./checks, one file per
 * concern), in this order:
 *   1. the file: size cap;
 *   2. the zip (zip/inspect.ts): end record, zip64, central directory, local headers, data ranges,
 *      names, entry kinds — one reading of every byte that locates data;
 *   3. caps needing no data: total unzipped bytes, functions per bundle, static files;
 *   4. manifest.json read and judged (checks/manifest-entry.ts, ../manifest.ts);
 *   5. function zips matched to the manifest (checks/function-match.ts), static keys planned;
 *   6. content: each function zip checked as a zip of its own and fully inflated, assets hashed;
 *   7. the bundle's own sha256, when all is well.
 * Nothing is read from an entry a check marked bad. Contract: DESIGN.md "App bundle".
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { checkFunctionCount, checkTotalUnzipped } from './checks/caps';
import { bundleReporter, classify, type Classified, type Run } from './checks/context';
import { matchFunctions } from './checks/function-match';
import { checkManifestPresent, readManifest } from './checks/manifest-entry';
import { checkIcon, checkStaticCount, planAssets } from './checks/static-keys';
import { checkFunctions, defaultTmpDir, readAssets } from './content';
import { digestStream } from './digest';
import { BundleReadError } from './errors';
import { BUNDLE_PATH, IssueList, bytes, q } from './issues';
import { COMPRESSION_RATIO_MIN_BYTES, MAX_ENTRY_NAME_BYTES, resolveLimits } from './limits';
import { checkManifest, manifestFunctions, type ManifestCheck, type ManifestFunction } from './manifest';
import { manifestKey as manifestKeyOf } from './names';
import { storeManifest, type StoredManifest } from './stored-manifest';
import type { Bundle, BundleAsset, BundleFunction, BundleLimits, Issue, ValidationResult } from './types';
import { READ_CHUNK_BYTES } from './zip/entry-data';
import type { ZipEntry } from './zip/format';
import { inspectZip, type ZipDirectory } from './zip/inspect';

export { contentTypeOf } from './content';
export { handlerFileCandidates } from './checks/function-zips';

export interface ValidateOptions {
  /** overrides of DEFAULT_LIMITS */
  limits?: Partial<BundleLimits>;
  /** where function zips are staged while checked (default: the OS temp dir); always cleaned */
  tmpDir?: string;
  /** the date runtimes are judged at (default: now) */
  now?: Date;
}

function ioError(file: string, err: unknown): BundleReadError {
  const e = err as NodeJS.ErrnoException;
  const what =
    e.code === 'ENOENT'
      ? 'no such file'
      : e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied'
        : e.code === 'EISDIR'
          ? 'it is a directory, not a zip file'
          : (e.message ?? String(err));
  return new BundleReadError(file, what, err);
}

async function fileSize(file: string): Promise<number> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return st.size;
  } catch (err) {
    throw ioError(file, err);
  }
}

/** Step 2: the bundle as a zip. */
async function readBundleZip(run: Run): Promise<ZipDirectory | undefined> {
  const { limits } = run;
  try {
    return await inspectZip(
      run.file,
      {
        maxEntries: limits.maxEntries,
        maxNameBytes: MAX_ENTRY_NAME_BYTES,
        requireUtf8Flag: true,
        keepNames: true,
        maxCompressionRatio: limits.maxCompressionRatio,
        ratioMinBytes: COMPRESSION_RATIO_MIN_BYTES,
      },
      bundleReporter(run.issues),
    );
  } catch (err) {
    throw ioError(run.file, err);
  }
}

/** Names of the manifest's functions as written (for "ignored zip" warnings). */
function declaredNames(manifest: Record<string, unknown>): Set<string> {
  const names = manifestFunctions(manifest).list.map((f) =>
    typeof f === 'object' && f !== null ? (f as { name?: unknown }).name : undefined,
  );
  return new Set(names.filter((n): n is string => typeof n === 'string'));
}

function warnIgnored(run: Run, c: Classified): void {
  for (const e of [...c.others, ...c.nestedZips]) {
    if (e.bad) continue;
    run.issues.warning(
      'IGNORED_ENTRY',
      e.label,
      `entry ${q(e.label)} is ignored: a bundle holds manifest.json, <function>.zip files at its root and a static/ tree`,
    );
  }
}

interface Judged {
  manifest?: Record<string, unknown>;
  /** the normalized manifest, serialized once (what the provisioner stores, byte for byte) */
  stored?: StoredManifest;
  checked?: ManifestCheck;
  matched: Map<ManifestFunction, ZipEntry>;
}

/** Steps 4-5: the manifest and what it names. */
async function judgeManifest(
  run: Run,
  dir: ZipDirectory,
  c: Classified,
  contentSafe: boolean,
  now: Date,
): Promise<Judged> {
  const judged: Judged = { matched: new Map() };
  if (!checkManifestPresent(run, dir.entries, c) || !c.manifest || c.manifest.bad || !contentSafe)
    return judged;
  const parsed = await readManifest(run, c.manifest);
  if (parsed === undefined) return judged;
  const checked = checkManifest(parsed, now);
  run.issues.items.push(...checked.issues);
  judged.checked = checked;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return judged;
  judged.manifest = parsed as Record<string, unknown>;
  judged.stored = storeManifest(judged.manifest, run.issues);
  if (checkFunctionCount(run, judged.manifest)) {
    judged.matched = matchFunctions(checked.functions, declaredNames(judged.manifest), c, run.issues);
  }
  return judged;
}

/**
 * Validates the bundle at `file`. Never throws for bad content: returns ok:false with every issue.
 * Throws a BundleReadError only when the file cannot be read (missing, unreadable, a directory).
 */
export async function validateBundle(file: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  const limits = resolveLimits(options.limits);
  const issues = new IssueList();
  const run: Run = { file, limits, issues, tmpDir: options.tmpDir ?? defaultTmpDir() };
  const invalid = (extra: { appId?: string; version?: string } = {}): ValidationResult => ({
    ok: false,
    errors: issues.errors,
    warnings: issues.warnings,
    ...extra,
  });
  const size = await fileSize(file);
  if (size > limits.maxBundleBytes) {
    issues.error(
      'BUNDLE_TOO_LARGE',
      BUNDLE_PATH,
      `the bundle is ${bytes(size)}, more than the limit of ${bytes(limits.maxBundleBytes)}`,
    );
    return invalid();
  }
  const dir = await readBundleZip(run);
  if (!dir) return invalid();
  const contentSafe = checkTotalUnzipped(run, dir);
  const c = classify(dir.entries);
  const staticOk = checkStaticCount(run, c.assets);
  const { manifest, checked, matched, stored } = await judgeManifest(
    run,
    dir,
    c,
    contentSafe,
    options.now ?? new Date(),
  );
  warnIgnored(run, c);
  const { appId, version } = checked ?? {};
  const plans = staticOk && appId && version ? planAssets(run, c.assets, appId, version) : [];
  checkIcon(run, checked?.icon, c.assets);

  let functions: BundleFunction[] = [];
  let assets: BundleAsset[] = [];
  if (contentSafe) {
    functions = await checkFunctions(run, checked?.functions ?? [], matched);
    assets = await readAssets(run, plans);
  }
  if (issues.hasErrors() || !checked || !manifest || !stored || !appId || !version)
    return invalid({ appId, version });
  let sha256Hex: string;
  try {
    sha256Hex = (await digestStream(createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }))).hex;
  } catch (err) {
    throw ioError(file, err);
  }
  const bundle: Bundle = {
    file,
    size,
    sha256Hex,
    appId,
    version,
    manifest,
    storedManifest: stored.value,
    storedManifestJson: stored.json,
    manifestKey: manifestKeyOf(appId, version),
    functions,
    assets,
    warnings: issues.warnings,
  };
  return { ok: true, bundle, warnings: bundle.warnings };
}

/** Every issue of a result, errors first. */
export function resultIssues(result: ValidationResult): Issue[] {
  return result.ok ? result.warnings : [...result.errors, ...result.warnings];
}
