/**
 * The per-app uploader policy (DESIGN.md "Release layout and who may publish what"): under the
 * `per-app` layout, app team A may create release objects under `<prefix>A/` only, create-only
 * (`s3:PutObject` only with `s3:if-none-match` = `*`, which S3 sets from the If-None-Match header
 * `upload` always sends), never delete and never overwrite. The same document as
 * deploy/iam/uploader-per-app-policy.json with its placeholders filled (a unit test keeps them equal).
 */
import { isValidAppId } from '../bundle/names';

export interface UploaderPolicyTarget {
  releaseBucket: string;
  releasePrefix: string;
  appId: string;
  /** ARN partition (default "aws") */
  partition?: string;
}

export function uploaderPolicyDocument(target: UploaderPolicyTarget): string {
  const { releaseBucket, releasePrefix, appId } = target;
  // app ids hold no IAM wildcard ("*", "?") and no "/", so the folder cannot reach another app's
  if (!isValidAppId(appId)) throw new RangeError(`invalid app_id ${JSON.stringify(appId)}`);
  const bucketArn = `arn:${target.partition ?? 'aws'}:s3:::${releaseBucket}`;
  const folder = `${releasePrefix}${appId}/*`;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ListOwnReleaseFolder',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [bucketArn],
        Condition: { StringLike: { 's3:prefix': [folder] } },
      },
      {
        Sid: 'ReadOwnReleaseFolder',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [`${bucketArn}/${folder}`],
      },
      {
        Sid: 'CreateOnlyInOwnReleaseFolder',
        Effect: 'Allow',
        Action: ['s3:PutObject'],
        Resource: [`${bucketArn}/${folder}`],
        Condition: { StringEquals: { 's3:if-none-match': '*' } },
      },
    ],
  });
}
