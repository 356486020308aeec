/**
 * The content pass of validation: function zips checked one at a time (each staged to a temp file
 * that is always removed), then assets hashed, each read from the range the zip checks judged.
 * One stream at a time: memory stays flat whatever the bundle's size.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mime from 'mime-types';
import { tempDirPrefix } from '../temp-dirs';
import { entryReadIssue, rangeOf, type Run } from './checks/context';
import { checkFunctionZip } from './checks/function-zips';
import type { AssetPlan } from './checks/static-keys';
import { digestStream } from './digest';
import type { ManifestFunction } from './manifest';
import type { BundleAsset, BundleEntryRange, BundleFunction } from './types';
import { openEntryData } from './zip/entry-data';
import type { ZipEntry } from './zip/format';

/** Content-Type from the file name's extension; a name without one ("static/json") is octet-stream,
 * not the type of an extension that happens to equal the name. */
export function contentTypeOf(relPath: string): string {
  const ext = path.posix.extname(relPath);
  return (ext !== '' && mime.contentType(ext)) || 'application/octet-stream';
}

function entryRange(e: ZipEntry, sha256Hex: string): BundleEntryRange {
  return {
    entry: e.name,
    method: e.method,
    dataOffset: e.dataOffset,
    compressedSize: e.compressedSize,
    uncompressedSize: e.uncompressedSize,
    crc32: e.crc32,
    sha256Hex,
  };
}

export async function checkFunctions(
  run: Run,
  functions: readonly ManifestFunction[],
  matched: ReadonlyMap<ManifestFunction, ZipEntry>,
): Promise<BundleFunction[]> {
  const out: BundleFunction[] = [];
  const tmp = await mkdtemp(path.join(run.tmpDir, tempDirPrefix('validate')));
  try {
    let index = 0;
    for (const fn of functions) {
      const entry = matched.get(fn);
      if (!entry || entry.bad) continue;
      const code = await checkFunctionZip(run, entry, fn, path.join(tmp, `function-${index++}.zip`));
      if (!code) continue;
      const { name, path: fnPath, handler, runtime, lambdaName, longName } = fn;
      out.push({
        ...entryRange(entry, code.digest.hex),
        name,
        path: fnPath,
        handler,
        runtime,
        lambdaName,
        longName,
        size: code.digest.size,
        unzippedSize: code.unzippedSize,
        codeSha256: code.digest.base64,
      });
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return out;
}

export async function readAssets(run: Run, plans: readonly AssetPlan[]): Promise<BundleAsset[]> {
  const out: BundleAsset[] = [];
  for (const { entry, relPath, key } of plans) {
    if (entry.bad) continue;
    try {
      const digest = await digestStream(openEntryData(run.file, rangeOf(entry)));
      out.push({
        ...entryRange(entry, digest.hex),
        relPath,
        key,
        size: digest.size,
        contentType: contentTypeOf(relPath),
      });
    } catch (err) {
      entryReadIssue(err, entry, run.issues);
    }
  }
  return out;
}

export const defaultTmpDir = (): string => os.tmpdir();
