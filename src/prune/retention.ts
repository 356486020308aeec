/**
 * Retention, part of `prune` (planned in the dry run, done only with --apply, under the lock):
 *  - run records under deployer/runs/ older than the retention (APPS_DEPLOYER_RUN_RETENTION_DAYS,
 *    default 90 days, by LastModified) expire, but the newest PRUNE_DEFAULTS.keepRunRecords stay
 *    whatever their age;
 *  - staged code deployer/code/<sha256 hex>.zip is deleted when no function of the account has that
 *    code (ListFunctions: CodeSha256 is the base64 of the same digest; any function counts, ours or
 *    not, so the sweep can only keep too much), and when it is older than the lock TTL: a younger
 *    object may belong to a run in progress (a `provision` or a reconcile staged it before its
 *    function exists). The sweep runs after the retirements, so their code goes in the same run.
 */
import type { AwsPorts } from '../aws/ports';
import { listAll, type ListedObject } from '../reconcile/listing';
import { STATE_KEYS } from '../reconcile/types';
import type { RetentionPlan } from './types';

const CODE_KEY_RE = /^deployer\/code\/([0-9a-f]{64})\.zip$/;

/** The sha256 hex of every function's code (CodeSha256 is base64), all pages of ListFunctions. */
export async function codeInUse(lambda: AwsPorts['lambda']): Promise<Set<string>> {
  const hexes = new Set<string>();
  let marker: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const res = await lambda.listFunctions({ Marker: marker, MaxItems: 50 });
    for (const fn of res.Functions ?? []) {
      if (fn.CodeSha256) hexes.add(Buffer.from(fn.CodeSha256, 'base64').toString('hex'));
    }
    marker = res.NextMarker;
    if (!marker) break;
  }
  return hexes;
}

export function planRunRecords(
  runs: readonly ListedObject[],
  now: Date,
  retentionDays: number,
  keepNewest: number,
): RetentionPlan['runRecords'] {
  const cutoff = now.getTime() - retentionDays * 86_400_000;
  const newestFirst = [...runs].sort(
    (a, b) => (b.lastModified?.getTime() ?? 0) - (a.lastModified?.getTime() ?? 0) || (a.key < b.key ? 1 : -1),
  );
  const expire = newestFirst
    .slice(keepNewest)
    .filter((o) => o.lastModified !== undefined && o.lastModified.getTime() < cutoff)
    .map((o) => o.key)
    .sort();
  return { expire, kept: runs.length - expire.length, retentionDays, keepNewest };
}

export function planStagedCode(
  code: readonly ListedObject[],
  inUse: ReadonlySet<string>,
  now: Date,
  youngSeconds: number,
): RetentionPlan['stagedCode'] {
  const cutoff = now.getTime() - youngSeconds * 1000;
  const plan: RetentionPlan['stagedCode'] = { remove: [], inUse: 0, young: 0, unrecognized: 0 };
  for (const o of code) {
    const hex = CODE_KEY_RE.exec(o.key)?.[1];
    if (hex === undefined)
      plan.unrecognized++; // not a key the deployer writes: never touched
    else if (inUse.has(hex)) plan.inUse++;
    else if (o.lastModified === undefined || o.lastModified.getTime() >= cutoff) plan.young++;
    else plan.remove.push(o.key);
  }
  plan.remove.sort();
  return plan;
}

export interface RetentionInput {
  ports: AwsPorts;
  appsBucket: string;
  now: Date;
  retentionDays: number;
  keepNewest: number;
  /** staged code younger than this may belong to a run in progress (the lock TTL) */
  youngSeconds: number;
}

export async function planRetention(input: RetentionInput): Promise<RetentionPlan> {
  const [runs, code, inUse] = await Promise.all([
    listAll(input.ports.s3, input.appsBucket, STATE_KEYS.runsPrefix),
    listAll(input.ports.s3, input.appsBucket, STATE_KEYS.codePrefix),
    codeInUse(input.ports.lambda),
  ]);
  return {
    runRecords: planRunRecords(runs, input.now, input.retentionDays, input.keepNewest),
    stagedCode: planStagedCode(code, inUse, input.now, input.youngSeconds),
  };
}

/** Deletes what the plan names (each delete idempotent); `assertCanWrite` before every one. */
export async function applyRetention(
  ports: AwsPorts,
  appsBucket: string,
  plan: RetentionPlan,
  assertCanWrite: () => void,
): Promise<{ runRecords: number; stagedCode: number }> {
  const done = { runRecords: 0, stagedCode: 0 };
  for (const key of plan.runRecords.expire) {
    assertCanWrite();
    await ports.s3.deleteObject({ Bucket: appsBucket, Key: key });
    done.runRecords++;
  }
  for (const key of plan.stagedCode.remove) {
    assertCanWrite();
    await ports.s3.deleteObject({ Bucket: appsBucket, Key: key });
    done.stagedCode++;
  }
  return done;
}
