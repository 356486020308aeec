/**
 * Shared setup of the reconcile integration tests (moto server via the harness): fresh buckets and
 * IAM names per test, bundles built with the bundle builder and uploaded under the release prefix,
 * and a reconcile() wired with the real ports, validator and provisioner (short retry delays).
 */
import { randomBytes } from 'node:crypto';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { AwsPorts } from '../../../src/aws/ports';
import type { DeployerConfig } from '../../../src/config';
import { silentLogger } from '../../../src/log';
import { SETTINGS_MARKER_PREFIX } from '../../../src/settings/fingerprint';
import { Provisioner } from '../../../src/provision/provisioner';
import {
  reconcile,
  type ReconcileDeps,
  type ReconcileOptions,
  type ReconcileResult,
} from '../../../src/reconcile/run';
import { bundleBuffer, simpleAppSpec, type BundleSpec } from '../../support/bundle-builder';
import { testClients, testDeployerConfig, testPorts, uniqueBucket, uniqueName } from '../../support/emulator';
import { tempSuite } from '../support/suite';

export const PREFIX = 'bundles/';

export interface Env {
  config: DeployerConfig;
  appsBucket: string;
  releaseBucket: string;
  s3: S3Client;
  tmpRoot: string;
}

/** An app id no other test uses (Lambda names are global in the emulator). */
export function uniqueAppId(prefix = 'r'): string {
  return `${prefix}-${randomBytes(5).toString('hex')}.app`;
}

export async function freshEnv(tmpRoot: string, overrides: Partial<DeployerConfig> = {}): Promise<Env> {
  const appsBucket = await uniqueBucket('rec-apps');
  const releaseBucket = await uniqueBucket('rec-rel');
  const config = testDeployerConfig({
    appsBucket,
    releaseBucket,
    releasePrefix: PREFIX,
    executeRoleName: uniqueName('role'),
    invokePolicyName: uniqueName('invoke'),
    invokeGroupName: uniqueName('group'),
    ...overrides,
  });
  return { config, appsBucket, releaseBucket, s3: testClients().s3, tmpRoot };
}

/** What envSuite gives a test file: valid inside its tests (after beforeAll). */
export interface EnvSuite {
  /** A fresh environment (its own buckets and IAM names) under the suite's directory. */
  env(overrides?: Partial<DeployerConfig>): Promise<Env>;
  /** The temporary directory (each environment's tmpRoot). */
  readonly dir: string;
  /** The emulator's clients, to read or change by hand what a run did. */
  readonly lambda: LambdaClient;
  readonly iam: IAMClient;
}

/**
 * The preamble of a test file on fresh environments: tempSuite (a temporary directory, the emulator's
 * clients) and env(); the environments' clients are released after the file's tests too. Call at the
 * top level of the file (it registers beforeAll and afterAll).
 */
export function envSuite(tmpPrefix: string): EnvSuite {
  const suite = tempSuite(tmpPrefix);
  const envs: Env[] = [];
  afterAll(() => {
    for (const e of envs) e.s3.destroy();
  });
  return {
    async env(overrides = {}) {
      const e = await freshEnv(suite.dir, overrides);
      envs.push(e);
      return e;
    },
    get dir() {
      return suite.dir;
    },
    lambda: suite.clients.lambda,
    iam: suite.clients.iam,
  };
}

/** The Lambda name of an uploaded app's first function (uploadApp builds one named fn0). */
export function lambdaName(appId: string, version: string): string {
  return `${appId.replace(/\./g, '-')}_${version.replace(/\./g, '-')}_fn0`;
}

/** The same environment with other settings (function settings are desired state). */
export function withConfig(env: Env, over: Partial<DeployerConfig>): Env {
  return { ...env, config: { ...env.config, ...over } };
}

export async function upload(env: Env, key: string, body: Buffer): Promise<string> {
  const res = await env.s3.send(new PutObjectCommand({ Bucket: env.releaseBucket, Key: key, Body: body }));
  return res.ETag ?? '';
}

/** The same bytes as a one-part multipart upload: a new object with another ETag ("…-1"). */
export async function uploadMultipart(env: Env, key: string, body: Buffer): Promise<string> {
  const { UploadId } = await env.s3.send(
    new CreateMultipartUploadCommand({ Bucket: env.releaseBucket, Key: key }),
  );
  const part = await env.s3.send(
    new UploadPartCommand({ Bucket: env.releaseBucket, Key: key, UploadId, PartNumber: 1, Body: body }),
  );
  const done = await env.s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: env.releaseBucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: [{ ETag: part.ETag, PartNumber: 1 }] },
    }),
  );
  return done.ETag ?? '';
}

export async function uploadApp(
  env: Env,
  appId: string,
  version: string,
  spec?: BundleSpec,
): Promise<{ key: string; etag: string; bytes: Buffer }> {
  const bytes = await bundleBuffer(spec ?? (await simpleAppSpec(appId, version)));
  const key = `${PREFIX}${appId}_${version}.zip`;
  return { key, etag: await upload(env, key, bytes), bytes };
}

export async function keys(env: Env, prefix: string, bucket = env.appsBucket): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const res = await env.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    out.push(...(res.Contents ?? []).map((o) => o.Key ?? ''));
    token = res.IsTruncated ? res.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

/** The judgement markers under deployer/seen/ (the settings fingerprints recorded there left out). */
export async function markerKeys(env: Env): Promise<string[]> {
  return (await keys(env, 'deployer/seen/')).filter((k) => !k.startsWith(SETTINGS_MARKER_PREFIX));
}

export async function readJson(
  env: Env,
  key: string,
  bucket = env.appsBucket,
): Promise<Record<string, unknown>> {
  const res = await env.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await res.Body!.transformToString()) as Record<string, unknown>;
}

export function deps(
  env: Env,
  overrides: Partial<ReconcileDeps> = {},
  ports: AwsPorts = testPorts(),
): ReconcileDeps {
  return {
    ports,
    config: env.config,
    logger: silentLogger(),
    createProvisioner: (args) =>
      new Provisioner({
        ...args,
        tuning: { retryBaseDelayMs: 20, retryMaxDelayMs: 100, waitActiveSeconds: 30, waitUpdatedSeconds: 30 },
      }),
    ...overrides,
  };
}

export function run(
  env: Env,
  options: ReconcileOptions = {},
  overrides: Partial<ReconcileDeps> = {},
): Promise<ReconcileResult> {
  return reconcile(deps(env, overrides), { tmpRoot: env.tmpRoot, ...options });
}

/** Outcome status by release key; a failure carries its code and message (shown in assertion diffs). */
export function outcomes(result: ReconcileResult): Record<string, string> {
  return Object.fromEntries(
    result.report.bundles.map((b) => [
      b.releaseKey,
      b.outcome.status === 'failed' ? `failed (${b.outcome.code}: ${b.outcome.message})` : b.outcome.status,
    ]),
  );
}
