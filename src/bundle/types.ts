/**
 * Public types of the bundle module: what the reader and validator produce, and what the provisioner
 * and the reconcile job consume. Contracts: ../shared/DESIGN.md "App bundle", "Manifest", "Names and keys".
 */

export type Severity = 'error' | 'warning';

/** One validation finding. `path` is a JSON path into the manifest ("$.aws_lambda[1].runtime") or a
 * bundle entry path ("static/a b.png"); `code` is stable and machine-readable. */
export interface Issue {
  severity: Severity;
  code: string;
  path: string;
  message: string;
}

/**
 * Where an entry's bytes are in the bundle file, as the validator judged them (data offset from the
 * LOCAL header): the provisioner reads exactly this range again, checking size, CRC-32 and sha256.
 */
export interface BundleEntryRange {
  /** entry path inside the bundle */
  entry: string;
  method: number;
  dataOffset: number;
  compressedSize: number;
  /** uncompressed size (= `size` of functions and assets) */
  uncompressedSize: number;
  crc32: number;
  /** sha256 of the uncompressed bytes, hex */
  sha256Hex: string;
}

/** A Lambda function of the bundle, matched to its zip entry and measured. */
export interface BundleFunction extends BundleEntryRange {
  /** name as in the manifest ("function with spaces") */
  name: string;
  path: string;
  handler: string;
  runtime: string;
  /** AWS Lambda function name (DESIGN.md Names and keys) */
  lambdaName: string;
  /** true when the long (hashed) form of the name was used */
  longName: boolean;
  /** entry path of the function zip inside the bundle ("function with spaces.zip") */
  entry: string;
  /** size in bytes of the function zip */
  size: number;
  /** sum of the uncompressed sizes of the function zip's entries */
  unzippedSize: number;
  /** sha256 of the function zip bytes, hex (used for deployer/code/<sha256>.zip) */
  sha256Hex: string;
  /** the same digest base64-encoded: what Lambda reports as CodeSha256 */
  codeSha256: string;
}

/** A static asset of the bundle. */
export interface BundleAsset extends BundleEntryRange {
  /** entry path inside the bundle ("static/static file with spaces.txt") */
  entry: string;
  /** path under static/ ("static file with spaces.txt") */
  relPath: string;
  /** S3 key in the apps bucket ("static/<app>_<ver>_app/static-file-with-spaces.txt") */
  key: string;
  size: number;
  sha256Hex: string;
  contentType: string;
}

/** A bundle that passed validation: everything the provisioner needs, no AWS call made. */
export interface Bundle {
  /** local path of the bundle zip */
  file: string;
  size: number;
  /** sha256 of the whole bundle file, hex */
  sha256Hex: string;
  appId: string;
  version: string;
  /** the manifest as given in the bundle (parsed) */
  manifest: Record<string, unknown>;
  /** the manifest that will be stored: aws_lambda normalized to {"functions": [...]} */
  storedManifest: Record<string, unknown>;
  /** storedManifest serialized during validation: exactly the bytes the provisioner stores */
  storedManifestJson: string;
  /** manifests/<app_id>_<version>.json */
  manifestKey: string;
  functions: BundleFunction[];
  assets: BundleAsset[];
  warnings: Issue[];
}

export type ValidationResult =
  | { ok: true; bundle: Bundle; warnings: Issue[] }
  | {
      ok: false;
      errors: Issue[];
      warnings: Issue[];
      /** known when the manifest could be read far enough */
      appId?: string;
      version?: string;
    };

/** Limits of the reader; every one a named constant with a default in bundle/limits.ts. */
export interface BundleLimits {
  maxManifestBytes: number;
  maxFunctionZipBytes: number;
  maxFunctionUnzippedBytes: number;
  maxEntries: number;
  maxFunctionEntries: number;
  maxTotalUnzippedBytes: number;
  maxCompressionRatio: number;
  maxBundleBytes: number;
  maxFunctions: number;
  maxStaticFiles: number;
}
