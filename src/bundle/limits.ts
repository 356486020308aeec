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
