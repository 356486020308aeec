/**
 * Narrow AWS ports: only the calls the deployer makes, with the SDK's own input/output types.
 * Built by one factory (aws/clients.ts) from one config and injected; nothing here creates a client.
 * Integration tests use the real SDK clients against an emulator; unit tests may stub the SDK clients
 * underneath (aws-sdk-client-mock) for error paths an emulator cannot produce.
 */
import type { Readable } from 'node:stream';
import type { ServerClock } from './server-clock';
import type {
  DeleteObjectCommandInput,
  DeleteObjectCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  HeadObjectCommandInput,
  HeadObjectCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';
import type {
  CreateFunctionCommandInput,
  CreateFunctionCommandOutput,
  GetFunctionCommandInput,
  GetFunctionCommandOutput,
  TagResourceCommandInput,
  UntagResourceCommandInput,
  UpdateFunctionCodeCommandInput,
  UpdateFunctionCodeCommandOutput,
  UpdateFunctionConfigurationCommandInput,
  UpdateFunctionConfigurationCommandOutput,
  PutFunctionConcurrencyCommandInput,
  DeleteFunctionConcurrencyCommandInput,
  GetAccountSettingsCommandOutput,
  DeleteFunctionCommandInput,
  ListFunctionsCommandInput,
  ListFunctionsCommandOutput,
} from '@aws-sdk/client-lambda';
import type {
  AttachGroupPolicyCommandInput,
  AttachRolePolicyCommandInput,
  AttachRolePolicyCommandOutput,
  DetachRolePolicyCommandInput,
  CreatePolicyCommandInput,
  CreatePolicyCommandOutput,
  CreateRoleCommandInput,
  CreateRoleCommandOutput,
  GetPolicyCommandInput,
  GetPolicyCommandOutput,
  GetPolicyVersionCommandInput,
  GetPolicyVersionCommandOutput,
  GetRoleCommandInput,
  GetRoleCommandOutput,
  ListAttachedGroupPoliciesCommandInput,
  ListAttachedGroupPoliciesCommandOutput,
  ListAttachedRolePoliciesCommandInput,
  ListAttachedRolePoliciesCommandOutput,
  GetGroupCommandInput,
  GetGroupCommandOutput,
  CreateGroupCommandInput,
  CreateGroupCommandOutput,
  TagRoleCommandInput,
  TagPolicyCommandInput,
  CreatePolicyVersionCommandInput,
  CreatePolicyVersionCommandOutput,
  ListPolicyVersionsCommandInput,
  ListPolicyVersionsCommandOutput,
  DeletePolicyVersionCommandInput,
} from '@aws-sdk/client-iam';
import type {
  CreateLogGroupCommandInput,
  DescribeLogGroupsCommandInput,
  DescribeLogGroupsCommandOutput,
  PutRetentionPolicyCommandInput,
} from '@aws-sdk/client-cloudwatch-logs';

export interface UploadInput {
  Bucket: string;
  Key: string;
  Body: Readable | Buffer | string;
  ContentType?: string;
  Metadata?: Record<string, string>;
  /** Conditional create: only succeed when the key does not exist yet. */
  IfNoneMatch?: '*';
}

export interface S3Port {
  /** AWS_ENDPOINT_URL when set (an emulator or sandbox); undefined against AWS itself */
  readonly emulatorEndpoint?: string;
  headObject(input: HeadObjectCommandInput): Promise<HeadObjectCommandOutput>;
  getObject(input: GetObjectCommandInput): Promise<GetObjectCommandOutput>;
  putObject(input: PutObjectCommandInput): Promise<PutObjectCommandOutput>;
  deleteObject(input: DeleteObjectCommandInput): Promise<DeleteObjectCommandOutput>;
  listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput>;
  /** Streams a body of unknown length to S3 (multipart above the part size; @aws-sdk/lib-storage). */
  upload(input: UploadInput): Promise<{ ETag?: string }>;
}

/** The lock's own S3 calls: a client of their own (aws/clients.ts), in standard retry mode. */
export type LockS3Port = Pick<
  S3Port,
  'getObject' | 'putObject' | 'deleteObject' | 'headObject' | 'emulatorEndpoint'
>;

export interface LambdaPort {
  getFunction(input: GetFunctionCommandInput): Promise<GetFunctionCommandOutput>;
  createFunction(input: CreateFunctionCommandInput): Promise<CreateFunctionCommandOutput>;
  updateFunctionCode(input: UpdateFunctionCodeCommandInput): Promise<UpdateFunctionCodeCommandOutput>;
  updateFunctionConfiguration(
    input: UpdateFunctionConfigurationCommandInput,
  ): Promise<UpdateFunctionConfigurationCommandOutput>;
  tagResource(input: TagResourceCommandInput): Promise<void>;
  untagResource(input: UntagResourceCommandInput): Promise<void>;
  /** reserved concurrency (per-app overrides) */
  putFunctionConcurrency(input: PutFunctionConcurrencyCommandInput): Promise<void>;
  deleteFunctionConcurrency(input: DeleteFunctionConcurrencyCommandInput): Promise<void>;
  /** the account's concurrency limits (UnreservedConcurrentExecutions) */
  getAccountSettings(): Promise<GetAccountSettingsCommandOutput>;
  /** `prune`: only functions whose tags name the retired version (src/prune/retire.ts) */
  deleteFunction(input: DeleteFunctionCommandInput): Promise<void>;
  /** `adopt`: the account's functions, to find those the upstream deployer created; `prune`: the
   * CodeSha256 of every function, to keep staged code a function still uses */
  listFunctions(input: ListFunctionsCommandInput): Promise<ListFunctionsCommandOutput>;
  /** Waits FunctionActiveV2 with a deadline (seconds). */
  waitActive(functionName: string, maxWaitSeconds: number): Promise<void>;
  /** Waits FunctionUpdatedV2 with a deadline (seconds). */
  waitUpdated(functionName: string, maxWaitSeconds: number): Promise<void>;
}

export interface IamPort {
  getRole(input: GetRoleCommandInput): Promise<GetRoleCommandOutput>;
  createRole(input: CreateRoleCommandInput): Promise<CreateRoleCommandOutput>;
  attachRolePolicy(input: AttachRolePolicyCommandInput): Promise<AttachRolePolicyCommandOutput>;
  /** only AWSLambdaVPCAccessExecutionRole, once every function has left the VPC */
  detachRolePolicy(input: DetachRolePolicyCommandInput): Promise<void>;
  listAttachedRolePolicies(
    input: ListAttachedRolePoliciesCommandInput,
  ): Promise<ListAttachedRolePoliciesCommandOutput>;
  getPolicy(input: GetPolicyCommandInput): Promise<GetPolicyCommandOutput>;
  getPolicyVersion(input: GetPolicyVersionCommandInput): Promise<GetPolicyVersionCommandOutput>;
  createPolicy(input: CreatePolicyCommandInput): Promise<CreatePolicyCommandOutput>;
  attachGroupPolicy(input: AttachGroupPolicyCommandInput): Promise<void>;
  listAttachedGroupPolicies(
    input: ListAttachedGroupPoliciesCommandInput,
  ): Promise<ListAttachedGroupPoliciesCommandOutput>;
  /** the invoke group: read, and created when missing (config.createIam) */
  getGroup(input: GetGroupCommandInput): Promise<GetGroupCommandOutput>;
  createGroup(input: CreateGroupCommandInput): Promise<CreateGroupCommandOutput>;
  /** `adopt` only: mark an upstream execute role or invoke policy as the deployer's (MANAGED_IAM_TAG) */
  tagRole(input: TagRoleCommandInput): Promise<void>;
  tagPolicy(input: TagPolicyCommandInput): Promise<void>;
  /** `adopt` only (deploy/iam/adoption-policy.json): rewrite upstream's invoke policy to the
   * tag-scoped form; the deployer's own policy holds no iam:CreatePolicyVersion */
  createPolicyVersion(input: CreatePolicyVersionCommandInput): Promise<CreatePolicyVersionCommandOutput>;
  listPolicyVersions(input: ListPolicyVersionsCommandInput): Promise<ListPolicyVersionsCommandOutput>;
  deletePolicyVersion(input: DeletePolicyVersionCommandInput): Promise<void>;
}

/** CloudWatch Logs: the functions' log groups (/aws/lambda/<name>), created with their retention. */
export interface LogsPort {
  describeLogGroups(input: DescribeLogGroupsCommandInput): Promise<DescribeLogGroupsCommandOutput>;
  createLogGroup(input: CreateLogGroupCommandInput): Promise<void>;
  putRetentionPolicy(input: PutRetentionPolicyCommandInput): Promise<void>;
}

/** Counts the requests the SDK sends, by operation ("S3.PutObject"): for reports and for tests that
 * prove a second run sends no create/update/put. */
export interface RequestCounter {
  add(operation: string): void;
  snapshot(): Record<string, number>;
  reset(): void;
}

export interface AwsPorts {
  s3: S3Port;
  /** the reconcile lock's S3 client (standard retries, never the bulk client's adaptive rate limiter);
   * absent in ports built by hand (tests): the lock then uses `s3` */
  lockS3?: LockS3Port;
  lambda: LambdaPort;
  iam: IamPort;
  logs: LogsPort;
  requests: RequestCounter;
  /** Account id and region, for ARNs; resolved lazily by the factory. */
  region: string;
  /** S3's clock, fed by the S3 client's responses (Date header); judges the reconcile lock's expiry. */
  clock?: ServerClock;
}
