/**
 * The one factory of AWS clients: builds S3, Lambda and IAM clients from one AwsConfig and wraps them
 * in the narrow ports of ports.ts. Nothing else in the deployer constructs an SDK client.
 *
 * - region; endpoint (AWS_ENDPOINT_URL: an emulator or sandbox) with path-style S3 when set;
 * - retries: the SDK's 'adaptive' mode (backoff + client-side throttling) with config.maxAttempts;
 * - credentials: explicit (provision's APPS_PROVISION_AWS_*) or the SDK's default chain (IRSA, ...);
 * - every request the SDK sends (each attempt) is counted by operation ("S3.PutObject") in `requests`;
 * - Lambda and IAM requests pass client-side token buckets that mirror AWS's per-account quota pools
 *   (rate-limit.ts: the shared control-plane pool, GetFunction's own, IAM's), each call counted in the
 *   pool AWS counts it in; the waiters poll GetFunction, so they use GetFunction's pool;
 * - `lockS3`: an S3 client of the lock's own, in standard retry mode: the bulk client's adaptive mode
 *   delays requests client-side under throttling, which must not hold back the lock's renewals;
 * - the bulk S3 clients (apps and release buckets) and the Lambda client are pools (client-pool.ts): each
 *   request gets a client of its own that caches its resolved middleware; the lock, IAM and Logs clients
 *   (a handful of requests per run) and lib-storage's uploads use plain clients;
 * - `upload` streams a body of unknown length (multipart above UPLOAD_PART_SIZE) via @aws-sdk/lib-storage;
 * - `waitActive` / `waitUpdated` are the SDK's FunctionActiveV2 / FunctionUpdatedV2 waiters with a deadline
 *   (waiters.ts); the IAM actions all this needs are in iam-actions.ts;
 * - `clock` follows S3's clock (the Date header of every S3 response), for the reconcile lock.
 */
import { S3Client, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { LambdaClientConfig } from '@aws-sdk/client-lambda';
import {
  LambdaClient,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  ListFunctionsCommand,
  PutFunctionConcurrencyCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import {
  IAMClient,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyVersionCommand,
  DetachRolePolicyCommand,
  GetGroupCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListPolicyVersionsCommand,
  TagPolicyCommand,
  TagRoleCommand,
} from '@aws-sdk/client-iam';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import type { AwsConfig, ReleaseAccess } from '../config';
import type { Logger } from '../log';
import type {
  AwsPorts,
  IamPort,
  LambdaPort,
  LockS3Port,
  LogsPort,
  RequestCounter,
  S3Port,
  UploadInput,
} from './ports';
import { DEFAULT_LAMBDA_CONTROL_RPS, QuotaPools, quotaPoolOf, type PoolLimiter } from './rate-limit';
import { ServerClock } from './server-clock';
import { MemoryRequestCounter, sdkLogger } from './sdk-support';
import { ClientPool, poolLike } from './client-pool';
import { runWaiter, type FunctionWaiter } from './waiters';

/** Part size of multipart uploads (S3's minimum is 5 MiB). Memory per upload ≈ part size × queue size. */
export const UPLOAD_PART_SIZE = 8 * 1024 * 1024;
/** Parts of one upload in flight at once. */
export const UPLOAD_QUEUE_SIZE = 2;
/** Default client-side rate of the shared Lambda control-plane pool. */
export const DEFAULT_LAMBDA_REQUESTS_PER_SECOND = DEFAULT_LAMBDA_CONTROL_RPS;
/** The most clients of each pool (client-pool.ts; ~64 KiB of heap each with their cached middleware);
 * a 60-bundle run at concurrency 4 made 14–15 over the S3 and Lambda pools. Requests beyond them use the
 * pool's template, which resolves its middleware per request. */
export const POOLED_CLIENTS_MAX = 16;
/** Attempts of the lock's own client (standard mode: exponential backoff, no client-side rate). */
export const LOCK_MAX_ATTEMPTS = 3;
/** Each of the lock's requests gives up after this long (then retried, within the lock's deadlines). */
export const LOCK_REQUEST_TIMEOUT_MS = 5_000;

export interface AwsPortsOptions {
  /** client-side rate of the shared Lambda control-plane pool (config.lambdaRequestsPerSecond, ≤ 15) */
  lambdaRequestsPerSecond?: number;
  /** debug lines for waits on the rate limit; nothing secret is logged */
  logger?: Logger;
  /** share one counter between several factories (default: a new one) */
  requests?: RequestCounter;
  /** the pools Lambda and IAM requests pass (default: QuotaPools at lambdaRequestsPerSecond) */
  limiter?: PoolLimiter;
}

/** Sessions of the release role: at most an hour (from IRSA this is role chaining, capped at 1 h). The
 * SDK refreshes the credentials before they expire (it renews them within minutes of expiry). */
export const RELEASE_ROLE_SESSION_SECONDS = 3600;
export const RELEASE_ROLE_SESSION_NAME = 'apps-deployer-release';

/** STS AssumeRole credentials for the release bucket, from the deployer's own (explicit or the chain). */
function releaseRoleCredentials(config: AwsConfig, release: ReleaseAccess): S3ClientConfig['credentials'] {
  return fromTemporaryCredentials({
    params: {
      RoleArn: release.roleArn,
      RoleSessionName: RELEASE_ROLE_SESSION_NAME,
      DurationSeconds: RELEASE_ROLE_SESSION_SECONDS,
      ...(release.externalId !== undefined ? { ExternalId: release.externalId } : {}),
    },
    ...(config.credentials !== undefined ? { masterCredentials: { ...config.credentials } } : {}),
    clientConfig: { region: config.region, endpoint: config.endpoint, maxAttempts: config.maxAttempts },
  });
}

/** "PutObjectCommand" → "PutObject" */
function operationName(commandName: unknown): string {
  return typeof commandName === 'string' ? commandName.replace(/Command$/, '') : 'Unknown';
}

/** Placed after the retry middleware (finalizeRequest, low priority): runs once per attempt sent. */
const PER_ATTEMPT = { step: 'finalizeRequest', priority: 'low' } as const;

export function createAwsPorts(config: AwsConfig, options: AwsPortsOptions = {}): AwsPorts {
  const requests = options.requests ?? new MemoryRequestCounter();
  const common = {
    // the SDK only ever calls info and error as `logger.info?.(...)` (see sdkLogger)
    logger: sdkLogger(options.logger) as NonNullable<S3ClientConfig['logger']>,
    region: config.region,
    endpoint: config.endpoint,
    maxAttempts: config.maxAttempts,
    retryMode: 'adaptive',
    credentials: config.credentials
      ? {
          accessKeyId: config.credentials.accessKeyId,
          secretAccessKey: config.credentials.secretAccessKey,
          sessionToken: config.credentials.sessionToken,
        }
      : undefined,
  };

  const clock = new ServerClock();
  const newS3 = (
    overrides: Pick<
      S3ClientConfig,
      'credentials' | 'retryMode' | 'maxAttempts' | 'requestHandler' | 'retryStrategy' | 'cacheMiddleware'
    > = {},
  ): S3Client => {
    const client = new S3Client({ ...common, ...overrides, forcePathStyle: config.endpoint !== undefined });
    client.middlewareStack.add(
      (next, context) => (args) => {
        requests.add(`S3.${operationName(context.commandName)}`);
        return next(args);
      },
      { ...PER_ATTEMPT, name: 'appsDeployerCountS3' },
    );
    return client;
  };
  const s3 = newS3();
  clock.attach(s3);
  /** Clients for single requests, sharing the template's sockets, retry limiter, credentials and clock
   * offset; the apps bucket's feed the lock's server clock, as the template does. */
  const s3PoolOf = (template: S3Client, feedsClock: boolean): ClientPool<S3Client> =>
    poolLike(
      template,
      (shared) => {
        const client = newS3({ ...shared, cacheMiddleware: true });
        if (feedsClock) clock.attach(client);
        return client;
      },
      POOLED_CLIENTS_MAX,
    );
  const s3Pool = s3PoolOf(s3, true);
  const lockS3 = newS3({
    retryMode: 'standard',
    // the lock retries within its own deadlines; an operator's lower bound (APPS_DEPLOYER_AWS_MAX_ATTEMPTS) holds
    maxAttempts: Math.min(LOCK_MAX_ATTEMPTS, config.maxAttempts),
    // a hung request must not outlive the lock's loss deadline (reconcile/lock.ts)
    requestHandler: { requestTimeout: LOCK_REQUEST_TIMEOUT_MS, connectionTimeout: LOCK_REQUEST_TIMEOUT_MS },
  });
  clock.attach(lockS3);
  // the release bucket through an assumed role (cross-account), everything else our own credentials
  const release = config.releaseAccess;
  const releaseS3 = release ? newS3({ credentials: releaseRoleCredentials(config, release) }) : undefined;
  const releasePool = releaseS3 ? s3PoolOf(releaseS3, false) : undefined;
  const isRelease = (bucket: string | undefined): boolean =>
    releaseS3 !== undefined && bucket === release?.bucket;
  const poolFor = (bucket: string | undefined): ClientPool<S3Client> =>
    isRelease(bucket) ? (releasePool ?? s3Pool) : s3Pool;
  /** One request on a pooled client of the bucket's. */
  const s3Send = <T>(bucket: string | undefined, fn: (client: S3Client) => Promise<T>): Promise<T> =>
    poolFor(bucket).use(fn);
  /** The bucket's client for lib-storage, which sends several parts at once on one client: a template,
   * whose middleware is resolved per request (a cached chain would also keep its first body alive). */
  const uploadClientFor = (bucket: string | undefined): S3Client =>
    isRelease(bucket) && releaseS3 ? releaseS3 : s3;

  const limiter =
    options.limiter ??
    new QuotaPools({ lambdaControl: options.lambdaRequestsPerSecond ?? DEFAULT_LAMBDA_REQUESTS_PER_SECOND });
  /** Each attempt takes a token from the pool AWS counts it in, then is counted by operation. */
  const pass = async (service: 'Lambda' | 'IAM', commandName: unknown): Promise<void> => {
    const operation = operationName(commandName);
    const pool = quotaPoolOf(service, operation);
    const started = Date.now();
    await limiter.take(pool);
    const waited = Date.now() - started;
    if (waited > 250) options.logger?.debug({ waitedMs: waited, pool, operation }, 'rate limit: waited');
    requests.add(`${service}.${operation}`);
  };

  const newLambda = (
    overrides: Pick<
      LambdaClientConfig,
      'requestHandler' | 'retryStrategy' | 'credentials' | 'cacheMiddleware'
    >,
  ): LambdaClient => {
    const client = new LambdaClient({ ...common, ...overrides });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        await pass('Lambda', context.commandName);
        return next(args);
      },
      { ...PER_ATTEMPT, name: 'appsDeployerLambdaRateAndCount' },
    );
    return client;
  };
  const lambdaPool = poolLike(
    newLambda({}),
    (shared) => newLambda({ ...shared, cacheMiddleware: true }),
    POOLED_CLIENTS_MAX,
  );
  const lambdaSend = <T>(fn: (client: LambdaClient) => Promise<T>): Promise<T> => lambdaPool.use(fn);

  const iam = new IAMClient(common);
  iam.middlewareStack.add(
    (next, context) => async (args) => {
      await pass('IAM', context.commandName);
      return next(args);
    },
    { ...PER_ATTEMPT, name: 'appsDeployerIamRateAndCount' },
  );

  const lockPort: LockS3Port = {
    getObject: (input) => lockS3.send(new GetObjectCommand(input)),
    putObject: (input) => lockS3.send(new PutObjectCommand(input)),
    deleteObject: (input) => lockS3.send(new DeleteObjectCommand(input)),
    headObject: (input) => lockS3.send(new HeadObjectCommand(input)),
    emulatorEndpoint: config.endpoint,
  };

  const logs = new CloudWatchLogsClient(common);
  logs.middlewareStack.add(
    (next, context) => (args) => {
      requests.add(`Logs.${operationName(context.commandName)}`);
      return next(args);
    },
    { ...PER_ATTEMPT, name: 'appsDeployerCountLogs' },
  );
  const logsPort: LogsPort = {
    describeLogGroups: (input) => logs.send(new DescribeLogGroupsCommand(input)),
    createLogGroup: async (input) => {
      await logs.send(new CreateLogGroupCommand(input));
    },
    putRetentionPolicy: async (input) => {
      await logs.send(new PutRetentionPolicyCommand(input));
    },
  };

  const s3Port: S3Port = {
    emulatorEndpoint: config.endpoint,
    headObject: (input) => s3Send(input.Bucket, (c) => c.send(new HeadObjectCommand(input))),
    getObject: (input) => s3Send(input.Bucket, (c) => c.send(new GetObjectCommand(input))),
    putObject: (input) => s3Send(input.Bucket, (c) => c.send(new PutObjectCommand(input))),
    deleteObject: (input) => s3Send(input.Bucket, (c) => c.send(new DeleteObjectCommand(input))),
    listObjectsV2: (input) => s3Send(input.Bucket, (c) => c.send(new ListObjectsV2Command(input))),
    upload: async (input: UploadInput) => {
      const upload = new Upload({
        client: uploadClientFor(input.Bucket),
        params: { ...input },
        partSize: UPLOAD_PART_SIZE,
        queueSize: UPLOAD_QUEUE_SIZE,
        leavePartsOnError: false,
      });
      const out = await upload.done();
      return { ETag: out.ETag };
    },
  };

  const wait = (waiter: FunctionWaiter, waiterName: string, functionName: string, maxWaitSeconds: number) =>
    // one pooled client for the whole wait: the waiter's polls are sequential
    lambdaSend((client) => runWaiter(client, waiter, waiterName, functionName, maxWaitSeconds));

  const lambdaPort: LambdaPort = {
    getFunction: (input) => lambdaSend((c) => c.send(new GetFunctionCommand(input))),
    createFunction: (input) => lambdaSend((c) => c.send(new CreateFunctionCommand(input))),
    updateFunctionCode: (input) => lambdaSend((c) => c.send(new UpdateFunctionCodeCommand(input))),
    updateFunctionConfiguration: (input) =>
      lambdaSend((c) => c.send(new UpdateFunctionConfigurationCommand(input))),
    tagResource: async (input) => {
      await lambdaSend((c) => c.send(new TagResourceCommand(input)));
    },
    untagResource: async (input) => {
      await lambdaSend((c) => c.send(new UntagResourceCommand(input)));
    },
    putFunctionConcurrency: async (input) => {
      await lambdaSend((c) => c.send(new PutFunctionConcurrencyCommand(input)));
    },
    deleteFunctionConcurrency: async (input) => {
      await lambdaSend((c) => c.send(new DeleteFunctionConcurrencyCommand(input)));
    },
    getAccountSettings: () => lambdaSend((c) => c.send(new GetAccountSettingsCommand({}))),
    deleteFunction: async (input) => {
      await lambdaSend((c) => c.send(new DeleteFunctionCommand(input)));
    },
    listFunctions: (input) => lambdaSend((c) => c.send(new ListFunctionsCommand(input))),
    waitActive: (name, maxWaitSeconds) =>
      wait(waitUntilFunctionActiveV2, 'FunctionActiveV2', name, maxWaitSeconds),
    waitUpdated: (name, maxWaitSeconds) =>
      wait(waitUntilFunctionUpdatedV2, 'FunctionUpdatedV2', name, maxWaitSeconds),
  };

  const iamPort: IamPort = {
    getRole: (input) => iam.send(new GetRoleCommand(input)),
    createRole: (input) => iam.send(new CreateRoleCommand(input)),
    attachRolePolicy: (input) => iam.send(new AttachRolePolicyCommand(input)),
    detachRolePolicy: async (input) => {
      await iam.send(new DetachRolePolicyCommand(input));
    },
    listAttachedRolePolicies: (input) => iam.send(new ListAttachedRolePoliciesCommand(input)),
    getPolicy: (input) => iam.send(new GetPolicyCommand(input)),
    getPolicyVersion: (input) => iam.send(new GetPolicyVersionCommand(input)),
    createPolicy: (input) => iam.send(new CreatePolicyCommand(input)),
    attachGroupPolicy: async (input) => {
      await iam.send(new AttachGroupPolicyCommand(input));
    },
    listAttachedGroupPolicies: (input) => iam.send(new ListAttachedGroupPoliciesCommand(input)),
    getGroup: (input) => iam.send(new GetGroupCommand(input)),
    createGroup: (input) => iam.send(new CreateGroupCommand(input)),
    tagRole: async (input) => {
      await iam.send(new TagRoleCommand(input));
    },
    tagPolicy: async (input) => {
      await iam.send(new TagPolicyCommand(input));
    },
    createPolicyVersion: (input) => iam.send(new CreatePolicyVersionCommand(input)),
    listPolicyVersions: (input) => iam.send(new ListPolicyVersionsCommand(input)),
    deletePolicyVersion: async (input) => {
      await iam.send(new DeletePolicyVersionCommand(input));
    },
  };

  return {
    s3: s3Port,
    lockS3: lockPort,
    lambda: lambdaPort,
    iam: iamPort,
    logs: logsPort,
    requests,
    region: config.region,
    clock,
  };
}
