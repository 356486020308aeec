/**
 * Helpers of the reconcile end-to-end tests: the built CLI (dist/cli/main.js) as a subprocess against
 * the test backend, an environment with fresh buckets and IAM names, bundles built with the bundle
 * builder and uploaded under the release prefix, and an independent check of invariant I1 with raw
 * SDK clients (names and hashes computed here, not by the deployer's modules).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GetFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { bundleBuffer, simpleAppSpec, type BundleSpec } from '../../support/bundle-builder';
import { testClients, uniqueBucket, uniqueName } from '../../support/emulator';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
export const PREFIX = 'bundles/';

export function assertBuilt(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run test:e2e does)`);
}

/** A file of CLI tests: the built CLI checked before them, and the raw SDK clients for their own setup
 * and checks, destroyed after them. Call at the top level of the file. */
export function builtCliSuite(): ReturnType<typeof testClients> {
  const clients = testClients();
  beforeAll(() => assertBuilt());
  afterAll(() => {
    clients.s3.destroy();
    clients.lambda.destroy();
    clients.iam.destroy();
  });
  return clients;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  done: Promise<CliResult>;
}

export function startCli(args: string[], env: Record<string, string>): CliProcess {
  // run as the bin is: main.js itself, so its first line (node and V8's heap flags) applies
  const child = spawn(CLI, args, {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return startCli(args, env).done;
}

export interface E2eEnv {
  vars: Record<string, string>;
  appsBucket: string;
  releaseBucket: string;
}

export async function e2eEnv(extra: Record<string, string> = {}): Promise<E2eEnv> {
  const appsBucket = await uniqueBucket('e2e-apps');
  const releaseBucket = await uniqueBucket('e2e-rel');
  return {
    appsBucket,
    releaseBucket,
    vars: {
      AWS_ENDPOINT_URL: process.env.AWS_ENDPOINT_URL ?? '',
      AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
      MM_APPS_S3_BUCKET: appsBucket,
      MM_APPS_RELEASE_BUCKET: releaseBucket,
      MM_APPS_RELEASE_PREFIX: PREFIX,
      APPS_DEPLOYER_EXECUTE_ROLE: uniqueName('e2e-role'),
      APPS_DEPLOYER_INVOKE_POLICY: uniqueName('e2e-invoke'),
      APPS_DEPLOYER_INVOKE_GROUP: uniqueName('e2e-group'),
      APPS_DEPLOYER_LOG_LEVEL: 'info',
      ...extra,
    },
  };
}

export function uniqueAppId(prefix = 'e'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}.app`;
}

export interface App {
  appId: string;
  version: string;
  key: string;
  spec: BundleSpec;
  bytes: Buffer;
}

export async function makeApp(appId: string, version: string, body?: string): Promise<App> {
  const spec = await simpleAppSpec(appId, version, body === undefined ? {} : { body });
  return { appId, version, key: `${PREFIX}${appId}_${version}.zip`, spec, bytes: await bundleBuffer(spec) };
}

export async function put(s3: S3Client, bucket: string, key: string, body: Buffer): Promise<string> {
  return (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag ?? '';
}

/** The same bytes as a new object with another ETag (a one-part multipart upload). */
export async function putMultipart(s3: S3Client, bucket: string, key: string, body: Buffer): Promise<string> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  const part = await s3.send(
    new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: body }),
  );
  const done = await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
    }),
  );
  return done.ETag ?? '';
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    out.push(...(res.Contents ?? []).map((o) => o.Key ?? ''));
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

export async function getJson(s3: S3Client, bucket: string, key: string): Promise<Record<string, unknown>> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await res.Body!.transformToString()) as Record<string, unknown>;
}

const sanitize = (s: string): string => s.replace(/\./g, '-');
export const lambdaName = (app: App, fn = 'fn0'): string =>
  `${sanitize(app.appId)}_${sanitize(app.version)}_${fn}`;
const sha256 = (b: Buffer | string, enc: 'hex' | 'base64') => createHash('sha256').update(b).digest(enc);

/**
 * Invariant I1 for one app: its manifest exists, and then every function exists with the bundle's
 * code (CodeSha256), handler, runtime and tags, and every static asset exists with its sha256.
 */
export async function assertI1(
  clients: { s3: S3Client; lambda: LambdaClient },
  appsBucket: string,
  app: App,
): Promise<void> {
  const manifest = await clients.s3.send(
    new HeadObjectCommand({ Bucket: appsBucket, Key: `manifests/${app.appId}_${app.version}.json` }),
  );
  expect(manifest.Metadata?.['bundle-sha256']).toBe(sha256(app.bytes, 'hex'));
  const declared = (app.spec.manifest as { aws_lambda: { name: string; handler: string; runtime: string }[] })
    .aws_lambda;
  for (const [entry, zip] of Object.entries(app.spec.functions ?? {})) {
    const fn = entry.replace(/\.zip$/, '');
    const decl = declared.find((f) => f.name === fn);
    const got = await clients.lambda.send(new GetFunctionCommand({ FunctionName: lambdaName(app, fn) }));
    expect({ fn, code: got.Configuration?.CodeSha256 }).toEqual({ fn, code: sha256(zip, 'base64') });
    expect(got.Configuration).toMatchObject({ Handler: decl?.handler, Runtime: decl?.runtime });
    expect(got.Tags).toMatchObject({ 'mattermost-app-id': app.appId, 'mattermost-app-version': app.version });
  }
  for (const [rel, data] of Object.entries(app.spec.static ?? {})) {
    const key = `static/${app.appId}_${app.version}_app/${rel.replace(/ /g, '-')}`;
    const head = await clients.s3.send(new HeadObjectCommand({ Bucket: appsBucket, Key: key }));
    expect({ key, sha256: head.Metadata?.sha256 }).toEqual({ key, sha256: sha256(Buffer.from(data), 'hex') });
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
