/**
 * Check: each matched function zip, before any AWS write. The zip is streamed out of the bundle to a
 * temp file (size and CRC checked, sha256 computed), read with the same checks as the bundle
 * (zip/inspect.ts), capped (entries, unzipped bytes, an empty zip is an error), then every entry is
 * inflated and its size and CRC-32 compared (zip/verify-entries.ts): Lambda would otherwise refuse the
 * code after our IAM writes. The handler file is looked for (warning only).
 */
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { digestStream, type StreamDigest } from '../digest';
import { bytes, q } from '../issues';
import { MAX_FUNCTION_ENTRY_NAME_BYTES } from '../limits';
import type { ManifestFunction } from '../manifest';
import { openEntryData } from '../zip/entry-data';
import type { ZipEntry } from '../zip/format';
import { inspectZip, type ZipDirectory } from '../zip/inspect';
import { verifyEntries } from '../zip/verify-entries';
import { entryReadIssue, rangeOf, type Run } from './context';
import { FunctionZipReporter } from './function-zip-reporter';

/** Files a Lambda runtime needs in the function zip for the handler to load (best effort). */
export function handlerFileCandidates(runtime: string, handler: string): string[] | undefined {
  if (runtime.startsWith('provided')) return ['bootstrap'];
  const cut = handler.lastIndexOf('.');
  if (cut <= 0) return undefined;
  const module = handler.slice(0, cut);
  if (runtime.startsWith('nodejs')) return ['.js', '.mjs', '.cjs'].map((ext) => `${module}${ext}`);
  if (runtime.startsWith('python')) return [`${module.replaceAll('.', '/')}.py`];
  if (runtime.startsWith('ruby')) return [`${module}.rb`];
  return undefined;
}

export interface CheckedCode {
  digest: StreamDigest;
  unzippedSize: number;
}

/** Caps of the function zip's directory: unzipped bytes, at least one file. */
function checkCaps(run: Run, dir: ZipDirectory, r: FunctionZipReporter): boolean {
  const fz = `function zip ${q(r.zipLabel)}`;
  if (dir.unzippedSize >= run.limits.maxFunctionUnzippedBytes) {
    r.error(
      'FUNCTION_UNZIPPED_TOO_LARGE',
      r.zipLabel,
      `${fz} unzips to ${bytes(dir.unzippedSize)}; Lambda takes less than ${bytes(run.limits.maxFunctionUnzippedBytes)} unzipped`,
    );
    return false;
  }
  if (!dir.entries.some((e) => !e.isDirectory)) {
    r.error('FUNCTION_ZIP_EMPTY', r.zipLabel, `${fz} holds no file: there is no code to deploy`);
    return false;
  }
  return true;
}

function warnHandler(run: Run, fn: ManifestFunction, dir: ZipDirectory, label: string): void {
  const wanted = handlerFileCandidates(fn.runtime, fn.handler);
  if (!wanted || wanted.some((w) => dir.found.has(w))) return;
  run.issues.warning(
    'HANDLER_FILE_NOT_FOUND',
    label,
    `function zip ${q(label)} has no ${wanted.map((w) => q(w)).join(' or ')} at its root, which runtime ${fn.runtime} with handler ${q(fn.handler)} loads`,
  );
}

/** Inspects and inflates the staged function zip; true when it is sound. */
async function checkStaged(
  run: Run,
  fn: ManifestFunction,
  staged: string,
  r: FunctionZipReporter,
): Promise<ZipDirectory | undefined> {
  const lookFor = new Set(handlerFileCandidates(fn.runtime, fn.handler) ?? []);
  const dir = await inspectZip(
    staged,
    {
      maxEntries: run.limits.maxFunctionEntries,
      maxNameBytes: MAX_FUNCTION_ENTRY_NAME_BYTES,
      requireUtf8Flag: false,
      keepNames: false,
      ratioMinBytes: 0,
      lookFor,
    },
    r,
  );
  r.flushEncrypted();
  if (!dir || !checkCaps(run, dir, r)) return undefined;
  if (r.errors === 0) {
    await verifyEntries(staged, dir.entries, (e, err) =>
      r.report(
        err.problem === 'size'
          ? 'ENTRY_SIZE_MISMATCH'
          : err.problem === 'crc'
            ? 'ENTRY_CRC_MISMATCH'
            : 'ENTRY_UNREADABLE',
        e,
        err.message,
      ),
    );
  }
  return dir;
}

/** Checks one function zip entry of the bundle; undefined when it is not deployable (reported). */
export async function checkFunctionZip(
  run: Run,
  entry: ZipEntry,
  fn: ManifestFunction,
  staged: string,
): Promise<CheckedCode | undefined> {
  const { limits, issues } = run;
  if (entry.uncompressedSize >= limits.maxFunctionZipBytes) {
    issues.error(
      'FUNCTION_ZIP_TOO_LARGE',
      entry.label,
      `function zip ${q(entry.label)} is ${bytes(entry.uncompressedSize)}; Lambda takes function zips smaller than ${bytes(limits.maxFunctionZipBytes)}`,
    );
    return undefined;
  }
  try {
    let digest: StreamDigest;
    try {
      digest = await digestStream(openEntryData(run.file, rangeOf(entry)), createWriteStream(staged));
    } catch (err) {
      entryReadIssue(err, entry, issues);
      return undefined;
    }
    const r = new FunctionZipReporter(entry.label, issues);
    const dir = await checkStaged(run, fn, staged, r);
    if (dir) warnHandler(run, fn, dir, entry.label);
    if (!dir || r.errors > 0) return undefined;
    return { digest, unzippedSize: dir.unzippedSize };
  } finally {
    await rm(staged, { force: true });
  }
}
