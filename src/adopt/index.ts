/**
 * `adopt` (DESIGN.md "Adoption from the upstream deployer"): takes over what appsctl or the upstream
 * Cloud deployer created, only where it is exactly what the deployer would have made.
 *
 *   read: the execute role · provisioned versions and their release bundles (versions.ts) ·
 *   candidate functions and their verdicts (functions.ts) · versions: adopted whole or not at all ·
 *   the execute role and the invoke policy (iam.ts)
 *   apply (--apply, under the reconcile lock; every write guarded by it), per adoptable version:
 *   tag each function with the full tag set → rewrite the manifest with the deployer's metadata
 *   (If-Match its listed ETag: the version is then "provisioned from this bundle") → a `provisioned`
 *   marker for its release object (reconcile then sees it up to date; its missing settings fingerprint
 *   makes the next run converge timeout, memory, VPC) · then the execute role · then the invoke policy.
 * Everything else is reported and left alone. Tagging first and marking last keeps every step
 * resumable: an interrupted adopt is completed by the next one (already tagged functions count as ours).
 */
import { randomUUID } from 'node:crypto';
import type { AwsPorts } from '../aws/ports';
import { toRunError } from '../aws/failure-class';
import { isNotFound } from '../aws/errors';
import { validateBundle } from '../bundle/validate';
import type { ValidationResult } from '../bundle/types';
import { ENV, type DeployerConfig } from '../config';
import { ConfigError } from '../errors';
import type { Logger } from '../log';
import { guardWrites } from '../provision/guard';
import { parseArn } from '../provision/iam';
import { newRunLock } from '../reconcile/run-lock';
import { candidates, expectedFunctions, judgeCandidates, listFunctions } from './functions';
import { inspectExecuteRole, inspectInvokePolicy } from './iam';
import { applyAdoption } from './apply';
import { ADOPT_VERSION, type AdoptFunction, type AdoptReport, type AdoptVersion } from './types';
import { provisionedVersions, type ProvisionedVersion } from './versions';

export { ADOPT_VERSION, type AdoptReport } from './types';

export interface AdoptDeps {
  ports: AwsPorts;
  config: DeployerConfig;
  logger: Logger;
  /** defaults to the bundle module's validateBundle */
  validate?: (file: string) => Promise<ValidationResult>;
  /** parent of the temp directory for release bundles (default os.tmpdir()) */
  tmpRoot?: string;
}

export interface AdoptOptions {
  apply?: boolean;
  only?: string;
  runId?: string;
}

async function executeRole(deps: AdoptDeps) {
  const name = deps.config.executeRoleName;
  try {
    const role = (await deps.ports.iam.getRole({ RoleName: name })).Role;
    if (role?.Arn) return role;
  } catch (err) {
    if (!isNotFound(err)) throw toRunError(err, `read the execute role ${name}`);
  }
  throw new ConfigError(
    `the execute role "${name}" does not exist: the functions to adopt run under it`,
    `set ${ENV.executeRoleName} to the role the upstream deployer used (upstream's default is mattermost-apps-execute-lambda-role)`,
  );
}

/** A version is adopted whole: every function of its bundle exists and matches (or is ours already). */
function versionVerdict(v: ProvisionedVersion, byName: Map<string, AdoptFunction>): AdoptVersion {
  const base = { appId: v.appId, version: v.version, manifestKey: v.manifestKey, releaseKey: v.release?.key };
  if (v.ours && v.markerMissing !== undefined)
    return {
      ...base,
      status: 'adopt',
      detail:
        "its manifest is the deployer's already; its release object's judgement marker is missing (an interrupted adopt)",
    };
  if (v.ours)
    return { ...base, status: 'already-ours', detail: 'its manifest carries the deployer metadata' };
  if (v.problem || !v.bundle)
    return { ...base, status: 'left', reason: v.problem?.reason, detail: v.problem?.detail ?? '' };
  const fns = v.bundle.functions.map((fn) => ({ fn, verdict: byName.get(fn.lambdaName) }));
  const missing = fns.filter((f) => !f.verdict).map((f) => f.fn.lambdaName);
  if (missing.length > 0)
    return {
      ...base,
      status: 'left',
      reason: 'function-missing',
      detail: `no function ${missing.join(', ')}`,
    };
  const notOurs = fns.filter(
    (f) =>
      f.verdict?.status !== 'adopt' &&
      !(
        f.verdict?.status === 'already-ours' &&
        f.verdict.taggedAs?.appId === v.appId &&
        f.verdict.taggedAs.version === v.version
      ),
  );
  if (notOurs.length > 0) {
    for (const f of fns)
      if (f.verdict?.status === 'adopt')
        Object.assign(f.verdict, {
          status: 'left',
          reason: 'version-incomplete',
          detail: `matches, but ${notOurs.map((n) => n.fn.lambdaName).join(', ')} of ${v.appId} ${v.version} does not: a version is adopted whole`,
        });
    return {
      ...base,
      status: 'left',
      reason: notOurs[0]?.verdict?.reason,
      detail: `not adoptable: ${notOurs.map((n) => `${n.fn.lambdaName} (${n.verdict?.reason ?? n.verdict?.status})`).join(', ')}`,
    };
  }
  return { ...base, status: 'adopt', detail: `${fns.length} function(s) match the release bundle` };
}

function exitCode(report: Omit<AdoptReport, 'exitCode'>): 0 | 1 {
  const left =
    report.functions.some((f) => f.status === 'left') ||
    report.versions.some((v) => v.status === 'left') ||
    report.executeRole.status === 'left' ||
    report.invokePolicy.status === 'left';
  return left ? 1 : 0;
}

/** Judges everything (reads only); with `apply`, under the reconcile lock taken first, adopts what
 * matched. */
export async function adopt(deps: AdoptDeps, options: AdoptOptions = {}): Promise<AdoptReport> {
  if (!options.apply) return judge(deps, options);
  const { ports, config } = deps;
  const runId = options.runId ?? randomUUID();
  const logger = deps.logger.child({ runId, command: 'adopt' });
  const lock = newRunLock(ports, config, { runId, logger });
  await lock.acquire().catch((err: unknown) => {
    throw toRunError(err, `take the lock in s3://${config.appsBucket}`);
  });
  try {
    // judged under the lock, so that no reconcile changes what was judged before it is adopted
    const guarded = guardWrites(ports, () => lock.assertCanWrite());
    const { report, versions } = await judgement({ ...deps, ports: guarded }, options);
    await applyAdoption({ ports: guarded, config, logger, runId }, report, versions);
    return { ...report, exitCode: exitCode(report) };
  } finally {
    await lock.release();
  }
}

async function judge(deps: AdoptDeps, options: AdoptOptions): Promise<AdoptReport> {
  const { report } = await judgement(deps, options);
  return { ...report, exitCode: exitCode(report) };
}

async function judgement(
  deps: AdoptDeps,
  options: AdoptOptions,
): Promise<{ report: Omit<AdoptReport, 'exitCode'>; versions: ProvisionedVersion[] }> {
  const { ports, config } = deps;
  const role = await executeRole(deps);
  const roleArn = role.Arn ?? '';
  const versions = await provisionedVersions(
    {
      s3: ports.s3,
      appsBucket: config.appsBucket,
      releaseBucket: config.releaseBucket,
      releasePrefix: config.releasePrefix,
      releaseLayout: config.releaseLayout,
      validate: deps.validate ?? ((file) => validateBundle(file)),
      tmpRoot: deps.tmpRoot,
    },
    options.only,
  );
  const expected = expectedFunctions(versions);
  const all = await listFunctions(ports.lambda);
  const functions = await judgeCandidates(
    ports.lambda,
    candidates(all, expected, roleArn, options.only),
    expected,
    roleArn,
    config,
  );
  const byName = new Map(functions.map((f) => [f.lambdaName, f]));
  // after the functions (a version left whole marks its matching functions version-incomplete)
  const versionVerdicts = versions.map((v) => versionVerdict(v, byName));
  const existing = new Set(all.map((f) => f.FunctionName));
  const { partition, accountId } = parseArn(roleArn);
  const invokePolicy = await inspectInvokePolicy(ports.iam, config, {
    partition,
    accountId,
    appsBucket: config.appsBucket,
    oursAfter: (name) => {
      if (!existing.has(name)) return undefined;
      const status = byName.get(name)?.status;
      return status === 'adopt' || status === 'already-ours';
    },
  });
  const report: Omit<AdoptReport, 'exitCode'> = {
    adoptVersion: ADOPT_VERSION,
    dryRun: options.apply !== true,
    ...(options.only !== undefined ? { only: options.only } : {}),
    functions,
    versions: versionVerdicts,
    executeRole: inspectExecuteRole(config, role),
    invokePolicy,
  };
  return { report, versions };
}
