/**
 * The IAM side of adoption, the only place the deployer takes over IAM objects it did not create:
 *  - the execute role upstream created (no managed-by tag; it must trust Lambda) is tagged as ours,
 *    so that reconcile stops refusing it;
 *  - upstream's invoke policy (Sid "AllowLambda": lambda:InvokeFunction on a list of function ARNs that
 *    grows per function; "AllowS3"/"AllowS3list": reads of the apps bucket) is rewritten to the
 *    deployer's tag-scoped document (keeping the apps bucket reads, invoke-reads.ts), then tagged as
 *    ours. Rewritten only when every function it allows by ARN is the deployer's after this run (or no
 *    longer exists): otherwise the Mattermost server would lose those functions, so it is left and
 *    reported. A statement adopt does not recognise also leaves it as it is.
 * Both writes need deploy/iam/adoption-policy.json (iam:CreatePolicyVersion is nowhere else).
 * With IAM creation off the deployer writes no IAM object, so there is nothing to take over.
 */
import type { Role } from '@aws-sdk/client-iam';
import type { IamPort } from '../aws/ports';
import { isNotFound } from '../aws/errors';
import type { DeployerConfig } from '../config';
import {
  MANAGED_IAM_TAG,
  decodePolicyDocument,
  invokePolicyDocument,
  isManagedIamObject,
  isWantedInvokeDocument,
  sameDocument,
  trustsLambda,
} from '../provision/iam';
import { appsBucketReadStatements, withAppsBucketReads } from '../provision/invoke-reads';
import { MAX_POLICY_VERSIONS } from './constants';
import type { AdoptIamObject } from './types';

interface Statement {
  Effect?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The execute role: ours, or to take over (it must trust Lambda). */
export function inspectExecuteRole(config: DeployerConfig, role: Role): AdoptIamObject {
  const arn = role.Arn ?? config.executeRoleName;
  if (!config.createIam)
    return { arn, status: 'not-needed', detail: 'IAM creation is off: the deployer uses the role as it is' };
  if (isManagedIamObject(role.Tags)) return { arn, status: 'ours', detail: 'carries the managed-by tag' };
  if (!trustsLambda(decodePolicyDocument(role.AssumeRolePolicyDocument)))
    return {
      arn,
      status: 'left',
      detail: 'created by another tool and does not let lambda.amazonaws.com assume it: not taken over',
    };
  return { arn, status: 'take-over', detail: 'created by another tool (upstream); trusts Lambda' };
}

export interface InvokeContext {
  partition: string;
  accountId: string;
  appsBucket: string;
  /** will a function of this name be the deployer's after this run? undefined: no such function */
  oursAfter: (lambdaName: string) => boolean | undefined;
}

/** Sorts the statements of upstream's document; undefined (and a reason) for one adopt cannot place. */
export function classifyInvokeDocument(
  doc: unknown,
  ctx: InvokeContext,
): { functions: string[]; reads: boolean; unknown?: string } {
  const functions: string[] = [];
  let reads = false;
  const fnArn = new RegExp(
    `^arn:${ctx.partition}:lambda:[a-z0-9-]+:${ctx.accountId}:function:([A-Za-z0-9_-]+)$`,
  );
  const bucket = `arn:${ctx.partition}:s3:::${ctx.appsBucket}`;
  const ours = (JSON.parse(invokePolicyDocument(ctx.partition, ctx.accountId)) as { Statement: unknown[] })
    .Statement[0];
  const ourReads = appsBucketReadStatements(ctx.partition, ctx.appsBucket);
  for (const raw of list((doc as { Statement?: unknown } | undefined)?.Statement)) {
    const s = raw as Statement;
    if (sameDocument(s, ours)) continue;
    // the reads as the deployer writes them (their listing is conditioned, so not "plain" below)
    if (ourReads.some((r) => sameDocument(s, r))) {
      reads = true;
      continue;
    }
    const plain = s.Effect === 'Allow' && s.Condition === undefined && !s.NotAction && !s.NotResource;
    const actions = list(s.Action);
    const resources = list(s.Resource).map(String);
    if (plain && actions.length > 0 && actions.every((a) => a === 'lambda:InvokeFunction')) {
      const names = resources.map((r) => fnArn.exec(r)?.[1]);
      if (names.every((n): n is string => n !== undefined)) {
        functions.push(...names);
        continue;
      }
    }
    const readsOnly =
      actions.length > 0 && actions.every((a) => a === 's3:GetObject' || a === 's3:ListBucket');
    if (plain && readsOnly && resources.every((r) => r === bucket || r.startsWith(`${bucket}/`))) {
      reads = true;
      continue;
    }
    return { functions, reads, unknown: JSON.stringify(raw) };
  }
  return { functions, reads };
}

/** The invoke policy: missing, ours, to take over, or left (with the reason). */
export async function inspectInvokePolicy(
  iam: IamPort,
  config: DeployerConfig,
  ctx: InvokeContext,
): Promise<AdoptIamObject> {
  const arn = `arn:${ctx.partition}:iam::${ctx.accountId}:policy/${config.invokePolicyName}`;
  let policy;
  try {
    policy = (await iam.getPolicy({ PolicyArn: arn })).Policy;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!policy) return { arn, status: 'missing', detail: 'reconcile creates it' };
  if (!config.createIam)
    return {
      arn,
      status: 'not-needed',
      detail: 'IAM creation is off: the deployer uses the policy as it is',
    };
  const version = policy.DefaultVersionId ?? 'v1';
  const current = (await iam.getPolicyVersion({ PolicyArn: arn, VersionId: version })).PolicyVersion
    ?.Document;
  const wanted = invokePolicyDocument(ctx.partition, ctx.accountId);
  if (isManagedIamObject(policy.Tags)) {
    return isWantedInvokeDocument(current, wanted, arn, config.appsBucket)
      ? { arn, status: 'ours', detail: 'carries the managed-by tag and the tag-scoped document' }
      : {
          arn,
          status: 'left',
          detail: `the deployer's, but its default version ${version} differs from the wanted document: see deploy/README.md for the administrator's command`,
        };
  }
  const found = classifyInvokeDocument(decodePolicyDocument(current), ctx);
  if (found.unknown !== undefined)
    return {
      arn,
      status: 'left',
      detail: `holds a statement adopt does not recognise, left as it is: ${found.unknown.slice(0, 300)}`,
    };
  const cut = found.functions.filter((name) => ctx.oursAfter(name) === false);
  if (cut.length > 0)
    return {
      arn,
      status: 'left',
      detail:
        `allows ${cut.length} function(s) by ARN that are not adopted (the Mattermost server would lose them): ` +
        `${cut.slice(0, 10).join(', ')}${cut.length > 10 ? ', …' : ''}; adopt or remove them, then run adopt again`,
    };
  const document = found.reads ? withAppsBucketReads(wanted, ctx.partition, config.appsBucket) : wanted;
  return {
    arn,
    status: 'take-over',
    detail:
      `upstream's policy (${found.functions.length} function ARN(s), all adopted or gone): rewritten to the ` +
      `tag-scoped document${found.reads ? ', keeping the apps bucket reads' : ''}, then tagged as ours`,
    document,
  };
}

/** Rewrites the invoke policy (a new default version; the oldest other version deleted when IAM's
 * limit of 5 is reached), then tags it as ours: a crash in between leaves it untagged, and the next
 * adopt finds the wanted document and only tags it. */
export async function takeOverInvokePolicy(iam: IamPort, arn: string, document: string): Promise<void> {
  const current = (await iam.getPolicy({ PolicyArn: arn })).Policy;
  const version = current?.DefaultVersionId ?? 'v1';
  const doc = (await iam.getPolicyVersion({ PolicyArn: arn, VersionId: version })).PolicyVersion?.Document;
  if (!sameDocument(decodePolicyDocument(doc), JSON.parse(document))) {
    const versions = (await iam.listPolicyVersions({ PolicyArn: arn })).Versions ?? [];
    if (versions.length >= MAX_POLICY_VERSIONS) {
      const oldest = versions
        .filter((v) => !v.IsDefaultVersion && v.VersionId)
        .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
      if (oldest?.VersionId) await iam.deletePolicyVersion({ PolicyArn: arn, VersionId: oldest.VersionId });
    }
    await iam.createPolicyVersion({ PolicyArn: arn, PolicyDocument: document, SetAsDefault: true });
  }
  await iam.tagPolicy({ PolicyArn: arn, Tags: [MANAGED_IAM_TAG] });
}

export async function takeOverExecuteRole(iam: IamPort, roleName: string): Promise<void> {
  await iam.tagRole({ RoleName: roleName, Tags: [MANAGED_IAM_TAG] });
}
