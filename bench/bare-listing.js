#!/usr/bin/env node
/**
 * The baseline of fleet-bench.js: a bare, paginated listing of the three prefixes a reconcile run
 * lists (release prefix, manifests/, deployer/seen/), in parallel, with the SDK, in a process of its
 * own (so that it pays node's and the SDK's start-up like the CLI does). Prints the object counts.
 * Env: AWS_ENDPOINT_URL, MM_APPS_S3_BUCKET, MM_APPS_RELEASE_BUCKET, MM_APPS_RELEASE_PREFIX.
 */
'use strict';
const { S3Client, ListObjectsV2Command } = require('@aws-sdk/client-s3');

async function listAll(s3, Bucket, Prefix) {
  let n = 0;
  let ContinuationToken;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken }));
    n += (res.Contents ?? []).length;
    ContinuationToken = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (ContinuationToken);
  return n;
}

async function main() {
  const env = process.env;
  const s3 = new S3Client({
    region: env.AWS_REGION ?? 'us-east-1',
    endpoint: env.AWS_ENDPOINT_URL,
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const counts = await Promise.all([
    listAll(s3, env.MM_APPS_RELEASE_BUCKET, env.MM_APPS_RELEASE_PREFIX),
    listAll(s3, env.MM_APPS_S3_BUCKET, 'manifests/'),
    listAll(s3, env.MM_APPS_S3_BUCKET, 'deployer/seen/'),
  ]);
  console.log(JSON.stringify(counts));
  s3.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
