/**
 * Every limit the bundle reader enforces, as a named constant. DEFAULT_LIMITS is what `validateBundle`
 * uses unless the caller overrides some of them (options.limits). Contracts: DESIGN.md "App bundle".
 */
import type { BundleLimits } from './types';

const MiB = 1024 * 1024;

/** manifest.json may be at most this many bytes (inclusive). */
export const MAX_MANIFEST_BYTES = 1 * MiB;
/** A function zip must be smaller than this (exclusive): Lambda's 50 MiB zipped limit. */
export const MAX_FUNCTION_ZIP_BYTES = 52_428_800;
/** The entries of a function zip must sum to less than this (exclusive): Lambda's 250 MB unzipped limit. */
export const MAX_FUNCTION_UNZIPPED_BYTES = 262_144_000;
/** Entries in the bundle zip (inclusive). Caps the central directory we read and hold. */
export const MAX_ENTRIES = 10_000;
/** Entries in one function zip (inclusive). */
export const MAX_FUNCTION_ENTRIES = 50_000;
/** Sum of the declared uncompressed sizes of the bundle's entries (inclusive): zip-bomb cap. */
export const MAX_TOTAL_UNZIPPED_BYTES = 1024 * MiB;
/** Uncompressed / compressed size of one entry (inclusive), checked for entries of at least
 * COMPRESSION_RATIO_MIN_BYTES: zip-bomb cap. Text compresses 5-20x; a ratio of 100 is a bomb. */
export const MAX_COMPRESSION_RATIO = 100;
/** Functions in one bundle's manifest (inclusive): each costs Lambda writes and a function-zip check. */
export const MAX_FUNCTIONS = 64;
/** Files under static/ (inclusive): each is an S3 object (a HEAD, maybe a PUT) per provision. Well
 * below MAX_ENTRIES so a bundle keeps room for its manifest and function zips; real apps ship tens. */
export const MAX_STATIC_FILES = 5_000;
/** Bytes of one entry name in the bundle (inclusive): every file used becomes an S3 key (≤ 1,024
 * bytes), so a longer name has no use; the cap bounds the names held in memory (10,000 × 1 KiB). */
export const MAX_ENTRY_NAME_BYTES = 1024;
/** Bytes of one entry name in a function zip (inclusive): Linux's PATH_MAX, so Lambda can extract it. */
export const MAX_FUNCTION_ENTRY_NAME_BYTES = 4096;
/** Size of the bundle file itself (inclusive). */
export const MAX_BUNDLE_BYTES = 1024 * MiB;

/** Entries smaller than this are not judged by their compression ratio (a few KiB of zeros is fine). */
export const COMPRESSION_RATIO_MIN_BYTES = 1 * MiB;
/** S3's limit on the length of an object key, in UTF-8 bytes. */
export const MAX_S3_KEY_BYTES = 1024;
/** Lambda's limit on the length of a function name. */
export const MAX_LAMBDA_NAME_LENGTH = 64;

export const DEFAULT_LIMITS: Readonly<BundleLimits> = Object.freeze({
  maxManifestBytes: MAX_MANIFEST_BYTES,
  maxFunctionZipBytes: MAX_FUNCTION_ZIP_BYTES,
  maxFunctionUnzippedBytes: MAX_FUNCTION_UNZIPPED_BYTES,
  maxEntries: MAX_ENTRIES,
  maxFunctionEntries: MAX_FUNCTION_ENTRIES,
  maxTotalUnzippedBytes: MAX_TOTAL_UNZIPPED_BYTES,
  maxCompressionRatio: MAX_COMPRESSION_RATIO,
  maxBundleBytes: MAX_BUNDLE_BYTES,
  maxFunctions: MAX_FUNCTIONS,
  maxStaticFiles: MAX_STATIC_FILES,
});

/** DEFAULT_LIMITS with the caller's overrides; rejects nonsense (non-positive or non-integer limits). */
export function resolveLimits(overrides: Partial<BundleLimits> = {}): BundleLimits {
  const limits: BundleLimits = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(overrides) as [keyof BundleLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new RangeError(`unknown bundle limit "${key}"`);
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`bundle limit ${key} must be a positive number, got ${value}`);
    }
    limits[key] = value;
  }
  return limits;
}
