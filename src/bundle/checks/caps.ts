/**
 * Check: the bundle-wide caps that need no entry data — total unzipped bytes (zip-bomb guard) and
 * functions per bundle (each costs Lambda writes and a full function-zip check).
 */
import { BUNDLE_PATH, bytes } from '../issues';
import { manifestFunctions } from '../manifest';
import type { ZipDirectory } from '../zip/inspect';
import type { Run } from './context';

/** TOTAL_UNZIPPED_TOO_LARGE; false when over (no entry data is then read). */
export function checkTotalUnzipped(run: Run, dir: ZipDirectory): boolean {
  if (dir.unzippedSize <= run.limits.maxTotalUnzippedBytes) return true;
  run.issues.error(
    'TOTAL_UNZIPPED_TOO_LARGE',
    BUNDLE_PATH,
    `the bundle's entries declare ${bytes(dir.unzippedSize)} uncompressed, more than the limit of ${bytes(run.limits.maxTotalUnzippedBytes)} (zip bomb?)`,
  );
  return false;
}

/** TOO_MANY_FUNCTIONS; false when over (function zips are then not checked). */
export function checkFunctionCount(run: Run, manifest: Record<string, unknown>): boolean {
  const { list, basePath } = manifestFunctions(manifest);
  if (list.length <= run.limits.maxFunctions) return true;
  run.issues.error(
    'TOO_MANY_FUNCTIONS',
    basePath,
    `the manifest declares ${list.length} functions, more than the limit of ${run.limits.maxFunctions} per bundle`,
  );
  return false;
}
