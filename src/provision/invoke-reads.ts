/**
 * Upstream's invoke policy (appsctl `aws init`) also lets the Mattermost server read the apps bucket:
 * s3:GetObject on manifests/ and static/, s3:ListBucket on the bucket. `adopt` keeps those reads when
 * it takes that policy over (the server reads manifests and assets with them), so the invoke policy is
 * then the deployer's document plus these two statements; reconcile accepts exactly that form too.
 */
export function appsBucketReadStatements(partition: string, appsBucket: string): object[] {
  const bucket = `arn:${partition}:s3:::${appsBucket}`;
  return [
    {
      Sid: 'ReadAppManifestsAndStaticAssets',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: [`${bucket}/manifests/*`, `${bucket}/static/*`],
    },
    { Sid: 'ListAppsBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: bucket },
  ];
}

/** The deployer's invoke document with the apps bucket reads appended. */
export function withAppsBucketReads(document: string, partition: string, appsBucket: string): string {
  const doc = JSON.parse(document) as { Version: string; Statement: object[] };
  return JSON.stringify({
    ...doc,
    Statement: [...doc.Statement, ...appsBucketReadStatements(partition, appsBucket)],
  });
}
