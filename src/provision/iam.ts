/**
 * IAM, once per run (DESIGN.md "IAM"):
 *  - the execute role (trust: lambda.amazonaws.com; AWSLambdaBasicExecutionRole attached), created if
 *    missing unless config.createIam is false, in which case a missing role is an IamError naming the fix;
 *  - the invoke policy: lambda:InvokeFunction on functions carrying the managed-by tag (an
 *    aws:ResourceTag condition, so it never grows per function) plus the server's reads of the apps
 *    bucket (invoke-reads.ts), created when missing; a managed one without the reads (older installs)
 *    is accepted with a notice; a managed one
 *    whose document drifted is a ConfigError (never rewritten: see invokePolicyDrift), and attached
 *    to the invoke group (created when missing and createIam).
 * Everything is read first and written only when it differs.
 * The deployer never changes a role or policy it did not create (iam-ownership.ts).
 */
import type { Role } from '@aws-sdk/client-iam';
import { isAwsError, isNotFound } from '../aws/errors';
import { ENV } from '../config';
import { ConfigError } from '../errors';
import { usesVpc } from '../settings/config';
import { BASIC_EXECUTION_POLICY_PATH, VPC_EXECUTION_POLICY_PATH } from './constants';
import type { StepContext } from './context';
import { IamError } from './errors';
import { MANAGED_IAM_TAG, refuseUnmanaged, type IamOptions } from './iam-ownership';
import { withAppsBucketReads } from './invoke-reads';
import { FUNCTION_TAGS, type ResourceOutcome } from './types';

export { MANAGED_IAM_TAG, isManagedIamObject, type IamOptions } from './iam-ownership';

/** Page size of IAM list calls. */
const IAM_PAGE_SIZE = 100;

export interface IamState {
  roleName: string;
  roleArn: string;
  /** created in this run, or recently enough that IAM may still be propagating it */
  roleIsNew: boolean;
  partition: string;
  accountId: string;
  invokePolicyArn: string;
}

export const LAMBDA_SERVICE_PRINCIPAL = 'lambda.amazonaws.com';

export function executeRoleTrustPolicy(): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: LAMBDA_SERVICE_PRINCIPAL },
        Action: 'sts:AssumeRole',
      },
    ],
  });
}

/** The invoke policy: the same document whatever the number of functions. */
export function invokePolicyDocument(partition: string, accountId: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'InvokeMattermostAppsManagedByTheDeployer',
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: `arn:${partition}:lambda:*:${accountId}:function:*`,
        Condition: {
          StringEquals: { [`aws:ResourceTag/${FUNCTION_TAGS.managedBy}`]: FUNCTION_TAGS.managedByValue },
        },
      },
    ],
  });
}

/** The invoke policy the deployer creates: the invoke statement and the server's apps bucket reads. */
export function wantedInvokePolicyDocument(partition: string, accountId: string, appsBucket: string): string {
  return withAppsBucketReads(invokePolicyDocument(partition, accountId), partition, appsBucket);
}

/** IAM returns policy documents URL-encoded (emulators sometimes do not). */
export function decodePolicyDocument(doc: string | undefined): unknown {
  if (!doc) return undefined;
  const text = doc.trimStart().startsWith('{') ? doc : decodeURIComponent(doc);
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Stable form of a JSON value: keys sorted, single values and one-element arrays alike. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 1 ? canonical(value[0]) : value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function sameDocument(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

/** True when a trust policy lets lambda.amazonaws.com assume the role. */
export function trustsLambda(doc: unknown): boolean {
  const statements = asArray((doc as { Statement?: unknown } | undefined)?.Statement);
  return statements.some((s) => {
    const st = s as { Effect?: string; Action?: unknown; Principal?: { Service?: unknown } };
    return (
      st.Effect === 'Allow' &&
      asArray(st.Action).some((a) => a === 'sts:AssumeRole' || a === 'sts:*' || a === '*') &&
      asArray(st.Principal?.Service).includes(LAMBDA_SERVICE_PRINCIPAL)
    );
  });
}

/** arn:<partition>:iam::<account>:role/<name> → partition and account. */
export function parseArn(arn: string): { partition: string; accountId: string } {
  const parts = arn.split(':');
  const partition = parts[1];
  const accountId = parts[4];
  if (!partition || !accountId) throw new Error(`unexpected ARN "${arn}"`);
  return { partition, accountId };
}

async function getRole(ctx: StepContext, roleName: string): Promise<Role | undefined> {
  return ctx.retry('iam', roleName, async () => {
    try {
      return (await ctx.ports.iam.getRole({ RoleName: roleName })).Role;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
}

async function ensureRole(
  ctx: StepContext,
  options: IamOptions,
): Promise<{ role: Role; outcome: ResourceOutcome; created: boolean }> {
  const roleName = ctx.config.executeRoleName;
  let role = await getRole(ctx, roleName);
  let created = false;
  if (role)
    refuseUnmanaged(ctx, options, 'the execute role', role.Arn ?? roleName, ENV.executeRoleName, role.Tags);
  if (!role) {
    if (!ctx.config.createIam) {
      throw new IamError(
        `the execute role "${roleName}" does not exist and IAM creation is disabled (${ENV.createIam}=false)`,
        {
          resource: roleName,
          hint:
            `create role "${roleName}" trusting ${LAMBDA_SERVICE_PRINCIPAL} with AWSLambdaBasicExecutionRole attached ` +
            `(deploy/iam/execute-role-trust-policy.json), or set ${ENV.createIam}=true, or name an existing role in ${ENV.executeRoleName}`,
        },
      );
    }
    role = await ctx.retry('iam', roleName, async () => {
      try {
        const out = await ctx.ports.iam.createRole({
          RoleName: roleName,
          AssumeRolePolicyDocument: executeRoleTrustPolicy(),
          Description: 'Execution role of Mattermost app functions deployed by apps-deployer',
          Tags: [MANAGED_IAM_TAG],
        });
        created = true;
        return out.Role;
      } catch (err) {
        // another run created it in between: read it
        if (!isAwsError(err, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw err;
        const other = (await ctx.ports.iam.getRole({ RoleName: roleName })).Role;
        if (other)
          refuseUnmanaged(
            ctx,
            options,
            'the execute role',
            other.Arn ?? roleName,
            ENV.executeRoleName,
            other.Tags,
          );
        return other;
      }
    });
    if (!role)
      throw new IamError(`IAM returned no role for "${roleName}"`, { resource: roleName, hint: 'run again' });
  }
  if (!created && !trustsLambda(decodePolicyDocument(role.AssumeRolePolicyDocument))) {
    throw new IamError(`the execute role "${roleName}" does not let Lambda assume it`, {
      resource: role.Arn ?? roleName,
      hint: `add a trust statement allowing "${LAMBDA_SERVICE_PRINCIPAL}" to sts:AssumeRole (deploy/iam/execute-role-trust-policy.json), or name another role in ${ENV.executeRoleName}`,
    });
  }

  const { partition } = parseArn(role.Arn ?? '');
  const basicArn = `arn:${partition}:iam::aws:${BASIC_EXECUTION_POLICY_PATH}`;
  const attached = await listAllAttached(ctx, roleName, (marker) =>
    ctx.ports.iam.listAttachedRolePolicies({ RoleName: roleName, Marker: marker, MaxItems: IAM_PAGE_SIZE }),
  );
  let outcome: ResourceOutcome = created ? 'created' : 'unchanged';
  const needed: { arn: string; why: string }[] = [
    { arn: basicArn, why: 'AWSLambdaBasicExecutionRole (functions cannot write logs)' },
  ];
  // functions in a VPC need ENI permissions; detached only once every function has left the VPC
  if (usesVpc({ subnetIds: ctx.config.lambdaSubnetIds }))
    needed.push({
      arn: `arn:${partition}:iam::aws:${VPC_EXECUTION_POLICY_PATH}`,
      why: 'AWSLambdaVPCAccessExecutionRole (functions cannot start in the VPC)',
    });
  for (const { arn, why } of needed) {
    if (attached.includes(arn)) continue;
    if (ctx.config.createIam) {
      await ctx.retry('iam', roleName, () =>
        ctx.ports.iam.attachRolePolicy({ RoleName: roleName, PolicyArn: arn }),
      );
      if (!created) outcome = 'updated';
    } else {
      ctx.logger.warn(
        { role: roleName, policy: arn },
        `the execute role lacks ${why}; IAM creation is disabled, so it was not attached`,
      );
    }
  }
  return { role, outcome, created };
}

async function listAllAttached(
  ctx: StepContext,
  resource: string,
  page: (marker: string | undefined) => Promise<{
    AttachedPolicies?: { PolicyArn?: string }[];
    IsTruncated?: boolean;
    Marker?: string;
  }>,
): Promise<string[]> {
  const arns: string[] = [];
  let marker: string | undefined;
  do {
    const out = await ctx.retry('iam', resource, () => page(marker));
    for (const p of out.AttachedPolicies ?? []) if (p.PolicyArn) arns.push(p.PolicyArn);
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker);
  return arns;
}

async function ensureInvokePolicy(
  ctx: StepContext,
  policyArn: string,
  document: string,
  options: IamOptions,
): Promise<ResourceOutcome> {
  const name = ctx.config.invokePolicyName;
  const existing = await ctx.retry('iam', name, async () => {
    try {
      return (await ctx.ports.iam.getPolicy({ PolicyArn: policyArn })).Policy;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  });
  if (!existing) {
    if (!ctx.config.createIam) {
      ctx.logger.warn(
        { policy: policyArn },
        'the invoke policy does not exist and IAM creation is disabled: the Mattermost server must be allowed to invoke the functions and read the apps bucket some other way (deploy/iam/invoke-policy.json)',
      );
      return 'unchanged';
    }
    await ctx.retry('iam', name, async () => {
      try {
        await ctx.ports.iam.createPolicy({
          PolicyName: name,
          PolicyDocument: withAppsBucketReads(document, parseArn(policyArn).partition, ctx.config.appsBucket),
          Description:
            'Lets the Mattermost server invoke app functions deployed by apps-deployer (by tag) and read app manifests and static assets',
          Tags: [MANAGED_IAM_TAG],
        });
      } catch (err) {
        if (!isAwsError(err, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw err;
      }
    });
    return 'created';
  }
  refuseUnmanaged(ctx, options, 'the invoke policy', policyArn, ENV.invokePolicyName, existing.Tags);
  const current = await ctx.retry('iam', name, () =>
    ctx.ports.iam.getPolicyVersion({ PolicyArn: policyArn, VersionId: existing.DefaultVersionId ?? 'v1' }),
  );
  const currentDocument = current.PolicyVersion?.Document;
  if (isWantedInvokeDocument(currentDocument, document, policyArn, ctx.config.appsBucket)) {
    if (sameDocument(decodePolicyDocument(currentDocument), JSON.parse(document)))
      noticeMissingReads(ctx, policyArn, document);
    return 'unchanged';
  }
  if (!ctx.config.createIam) {
    ctx.logger.warn(
      { policy: policyArn },
      'the invoke policy differs from the wanted one; IAM creation is disabled, left as is',
    );
    return 'unchanged';
  }
  const wanted = withAppsBucketReads(document, parseArn(policyArn).partition, ctx.config.appsBucket);
  throw invokePolicyDrift(policyArn, existing.DefaultVersionId ?? 'v1', wanted);
}

/** Invoke policies already told about (once per process: a long-lived service runs reconcile often). */
const readsNoticeGiven = new Set<string>();

/**
 * A managed invoke policy created before the deployer granted the apps bucket reads is accepted as is
 * (never rewritten), but the Mattermost server cannot read manifests or static assets with it.
 */
function noticeMissingReads(ctx: StepContext, policyArn: string, document: string): void {
  if (readsNoticeGiven.has(policyArn)) return;
  readsNoticeGiven.add(policyArn);
  const wanted = withAppsBucketReads(document, parseArn(policyArn).partition, ctx.config.appsBucket);
  ctx.logger.warn(
    { policy: policyArn, wanted },
    `the invoke policy lacks the apps bucket reads (s3:GetObject on ${ctx.config.appsBucket}/manifests/* and static/*, ` +
      's3:ListBucket under manifests/) the Mattermost server needs to read app manifests and static assets, ' +
      'unless its principal has them some other way; the deployer does not rewrite it: have an IAM administrator ' +
      `save the wanted document as invoke-policy.json and run \`aws iam create-policy-version --policy-arn ${policyArn} ` +
      '--policy-document file://invoke-policy.json --set-as-default` (see deploy/README.md)',
  );
}

/**
 * The invoke document (`document`: the invoke statement alone) is as wanted: with the apps bucket reads
 * (what the deployer creates, and what `adopt` writes when upstream's policy had reads; also in the form
 * with an unconditioned listing that `adopt` wrote before), or without them (older installs; reconcile
 * then gives a notice). Anything else is drift.
 */
export function isWantedInvokeDocument(
  current: string | undefined,
  document: string,
  policyArn: string,
  appsBucket: string,
): boolean {
  const doc = decodePolicyDocument(current);
  const { partition } = parseArn(policyArn);
  return (
    sameDocument(doc, JSON.parse(document)) ||
    sameDocument(doc, JSON.parse(withAppsBucketReads(document, partition, appsBucket))) ||
    sameDocument(doc, JSON.parse(withAppsBucketReads(document, partition, appsBucket, 'unconditioned-list')))
  );
}

/**
 * A drifted managed invoke policy is never rewritten: the deployer holds no iam:CreatePolicyVersion,
 * since that policy is attached to the Mattermost server's principal and a compromised deployer could
 * otherwise rewrite it to grant anything (IAM conditions cannot constrain a policy document).
 */
function invokePolicyDrift(policyArn: string, versionId: string, document: string): ConfigError {
  return new ConfigError(
    `the invoke policy "${policyArn}" (default version ${versionId}) differs from the document the deployer wants; ` +
      'the deployer does not rewrite it (it holds no iam:CreatePolicyVersion)',
    `have an IAM administrator save the wanted document ${document} as invoke-policy.json and run ` +
      `\`aws iam create-policy-version --policy-arn ${policyArn} --policy-document file://invoke-policy.json --set-as-default\` ` +
      '(deleting the oldest non-default version first if the policy already has 5; see deploy/README.md)',
  );
}

async function ensureGroupAttachment(ctx: StepContext, policyArn: string): Promise<ResourceOutcome> {
  const group = ctx.config.invokeGroupName;
  const exists = await ctx.retry('iam', group, async () => {
    try {
      await ctx.ports.iam.getGroup({ GroupName: group, MaxItems: 1 });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  });
  let outcome: ResourceOutcome = 'unchanged';
  if (!exists) {
    if (!ctx.config.createIam) {
      ctx.logger.warn(
        { group },
        'the invoke group does not exist and IAM creation is disabled: attach the invoke policy to the Mattermost server principal yourself',
      );
      return 'unchanged';
    }
    await ctx.retry('iam', group, async () => {
      try {
        await ctx.ports.iam.createGroup({ GroupName: group });
      } catch (err) {
        if (!isAwsError(err, 'EntityAlreadyExists', 'EntityAlreadyExistsException')) throw err;
      }
    });
    outcome = 'created';
  }
  const attached = await listAllAttached(ctx, group, (marker) =>
    ctx.ports.iam.listAttachedGroupPolicies({ GroupName: group, Marker: marker, MaxItems: IAM_PAGE_SIZE }),
  );
  if (!attached.includes(policyArn)) {
    if (!ctx.config.createIam) {
      ctx.logger.warn(
        { group, policy: policyArn },
        'the invoke policy is not attached to the invoke group; IAM creation is disabled',
      );
      return outcome;
    }
    await ctx.retry('iam', group, () =>
      ctx.ports.iam.attachGroupPolicy({ GroupName: group, PolicyArn: policyArn }),
    );
    if (outcome === 'unchanged') outcome = 'updated';
  }
  return outcome;
}

/** Attaches the invoke policy to the Mattermost server's own role, when one is configured. The role is
 * the server's: it is never created, and a missing one is an error naming the setting. */
async function ensureRoleAttachment(
  ctx: StepContext,
  role: string,
  policyArn: string,
): Promise<ResourceOutcome> {
  const attached = await listAllAttached(ctx, role, async (marker) => {
    try {
      return await ctx.ports.iam.listAttachedRolePolicies({
        RoleName: role,
        Marker: marker,
        MaxItems: IAM_PAGE_SIZE,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      throw new IamError(`the invoke role "${role}" does not exist`, {
        resource: `role/${role}`,
        hint: `set ${ENV.invokeRoleName} to the IAM role the Mattermost server runs as, or leave it empty`,
        cause: err,
      });
    }
  });
  if (attached.includes(policyArn)) return 'unchanged';
  if (!ctx.config.createIam) {
    ctx.logger.warn(
      { role, policy: policyArn },
      'the invoke policy is not attached to the invoke role; IAM creation is disabled',
    );
    return 'unchanged';
  }
  await ctx.retry('iam', role, () =>
    ctx.ports.iam.attachRolePolicy({ RoleName: role, PolicyArn: policyArn }),
  );
  return 'updated';
}

/** The role counts as new while IAM may still be propagating it. */
export function roleIsNew(role: Role, created: boolean, now: number, windowMs: number): boolean {
  if (created) return true;
  const createdAt = role.CreateDate?.getTime();
  return createdAt !== undefined && now - createdAt < windowMs;
}

export async function ensureIamResources(ctx: StepContext, options: IamOptions = {}): Promise<IamState> {
  const { role, outcome: roleOutcome, created } = await ensureRole(ctx, options);
  const roleArn = role.Arn ?? '';
  ctx.emit({
    type: 'step',
    step: 'iam',
    resource: `role/${ctx.config.executeRoleName}`,
    outcome: roleOutcome,
  });
  const { partition, accountId } = parseArn(roleArn);
  const invokePolicyArn = `arn:${partition}:iam::${accountId}:policy/${ctx.config.invokePolicyName}`;
  const policyOutcome = await ensureInvokePolicy(
    ctx,
    invokePolicyArn,
    invokePolicyDocument(partition, accountId),
    options,
  );
  ctx.emit({
    type: 'step',
    step: 'iam',
    resource: `policy/${ctx.config.invokePolicyName}`,
    outcome: policyOutcome,
  });
  const groupOutcome = await ensureGroupAttachment(ctx, invokePolicyArn);
  ctx.emit({
    type: 'step',
    step: 'iam',
    resource: `group/${ctx.config.invokeGroupName}`,
    outcome: groupOutcome,
  });
  const invokeRole = ctx.config.invokeRoleName;
  if (invokeRole !== undefined) {
    ctx.emit({
      type: 'step',
      step: 'iam',
      resource: `role/${invokeRole}`,
      outcome: await ensureRoleAttachment(ctx, invokeRole, invokePolicyArn),
    });
  }
  return {
    roleName: ctx.config.executeRoleName,
    roleArn,
    // CreateDate is wall-clock time (the retry clock only measures durations)
    roleIsNew: roleIsNew(role, created, Date.now(), ctx.tuning.roleNewWindowMs),
    partition,
    accountId,
    invokePolicyArn,
  };
}
