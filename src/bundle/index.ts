/**
 * The bundle module: reads and validates app bundles from disk (no AWS), and computes the AWS names
 * and keys they produce. Contracts: DESIGN.md "App bundle", "Manifest", "Names and keys".
 */
export type {
  Bundle,
  BundleAsset,
  BundleFunction,
  BundleLimits,
  Issue,
  Severity,
  ValidationResult,
} from './types';
export { validateBundle, resultIssues, type ValidateOptions } from './validate';
export { openEntryStream, openBundleReader, type BundleReader } from './reader';
export { terraformData, type TerraformData } from './terraform';
export {
  normalizeManifest,
  checkManifest,
  MANIFEST_SCHEMA,
  KNOWN_PERMISSIONS,
  CALL_FIELDS,
} from './manifest';
export {
  lambdaFunctionName,
  upstreamLongLambdaName,
  staticAssetKey,
  staticPrefix,
  manifestKey,
  releaseKey,
  parseReleaseKey,
  releaseKeyPattern,
  nonCanonicalReason,
  sanitizedAppId,
  RELEASE_LAYOUTS,
  DEFAULT_RELEASE_LAYOUT,
  type ReleaseLayout,
  keyStem,
  isValidAppId,
  isValidVersion,
  isValidFunctionName,
  isSafeRelativePath,
  APP_ID_PATTERN,
  VERSION_PATTERN,
  FUNCTION_NAME_PATTERN,
  LAMBDA_NAME_PATTERN,
  type LambdaName,
} from './names';
export {
  judgeRuntime,
  newestSupported,
  lifecycleOf,
  runtimeFamily,
  RUNTIME_LIFECYCLE,
  type RuntimeFamily,
  type RuntimeJudgement,
  type RuntimeLifecycle,
  type RuntimeStatus,
} from './runtimes';
export * from './limits';
export { BundleInvalidError, BundleReadError, BundleEntryError } from './errors';
export { ISSUE_CODES, BUNDLE_PATH, type IssueCode } from './issues';
