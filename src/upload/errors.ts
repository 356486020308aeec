import { DeployerError } from '../errors';

/** The release bucket refused or failed the upload (not a conflict: those are an UploadResult). */
export class UploadError extends DeployerError {
  constructor(file: string, resource: string, detail: string, cause?: unknown) {
    super(`could not upload ${file} to ${resource}: ${detail}`, {
      code: 'UPLOAD_FAILED',
      bundle: file,
      resource,
      cause,
      hint: 'check MM_APPS_RELEASE_BUCKET, the credentials (s3:PutObject, s3:GetObject on the release prefix) and AWS_ENDPOINT_URL, then run the upload again: it is safe to repeat',
    });
  }
}
