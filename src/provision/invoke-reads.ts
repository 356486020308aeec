/**
 * The Mattermost server (the Apps plugin) reads app manifests (`manifests/<app>_<version>.json`) and
 * static assets (`static/...`) from the apps bucket with the principal that invokes the functions, so
 * the invoke policy the deployer creates grants those reads too, as upstream's (appsctl `aws init`)
 * did: s3:GetObject on manifests/ and static/ only (never deployer/ nor the release bucket), and
 * s3:ListBucket on the apps bucket. The server's only listings (upaws ListS3, ListObjects) use a
 * `manifests/<app>` prefix, so the listing is limited to that prefix with an s3:prefix condition.
 * `adopt` keeps upstream's reads when it takes upstream's policy over, writing these statements.
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
    {
      Sid: 'ListAppsBucket',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: bucket,
      Condition: { StringLike: { 's3:prefix': 'manifests/*' } },
    },
  ];
}

/** The reads as `adopt` wrote them before the listing was limited to manifests/ (still accepted). */
function unconditionedListReadStatements(partition: string, appsBucket: string): object[] {
  return appsBucketReadStatements(partition, appsBucket).map((s) => {
    const copy: Record<string, unknown> = { ...s };
    delete copy.Condition;
    return copy;
  });
}

/** The deployer's invoke document with the apps bucket reads appended. */
export function withAppsBucketReads(
  document: string,
  partition: string,
  appsBucket: string,
  form: 'current' | 'unconditioned-list' = 'current',
): string {
  const doc = JSON.parse(document) as { Version: string; Statement: object[] };
  const reads =
    form === 'current'
      ? appsBucketReadStatements(partition, appsBucket)
      : unconditionedListReadStatements(partition, appsBucket);
  return JSON.stringify({ ...doc, Statement: [...doc.Statement, ...reads] });
}
