/** S3 user metadata written on an uploaded release bundle (lower-case, x-amz-meta-*). */
export const UPLOAD_METADATA = {
  /** sha256 of the bundle, hex: how a second upload of the same bytes is recognized */
  sha256: 'sha256',
  appId: 'app-id',
  version: 'version',
  deployerVersion: 'deployer-version',
} as const;

/** PutObject attempts with a fresh stream of the file (the SDK cannot replay a consumed stream). */
export const UPLOAD_ATTEMPTS = 3;
/** Pause before attempt n (ms): n × this. */
export const UPLOAD_RETRY_DELAY_MS = 500;
export const BUNDLE_CONTENT_TYPE = 'application/zip';
