import { DeployerError } from '../errors';

/** `status` could not read the deployer's state (a listing, a bucket that does not exist...). */
export class StatusReadError extends DeployerError {
  constructor(resource: string, detail: string, cause?: unknown) {
    super(`cannot read ${resource}: ${detail}`, {
      code: 'STATUS_READ_FAILED',
      resource,
      cause,
      hint: 'check MM_APPS_S3_BUCKET / MM_APPS_RELEASE_BUCKET, the AWS credentials and AWS_ENDPOINT_URL',
    });
  }
}
