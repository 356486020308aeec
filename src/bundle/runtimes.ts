/**
 * The one Lambda runtime lifecycle table, and `judgeRuntime`. A runtime is judged by dates, so the
 * verdict follows AWS's schedule without a code change: supported → fine; deprecated → warning;
 * creation blocked by AWS → error naming the date and a replacement (CreateFunction would fail after
 * our IAM writes); an unknown version of a known family → warning; an unknown family → error.
 *
 * Sources (stored copies of public pages, read 2026-11): AWS Lambda Developer Guide
 * (lambda-runtimes.html, lambda-nodejs.html, lambda-python.html, lambda-java.html, lambda-golang.html),
 * and where the AWS table itself was not available, public trackers that copy it (cfn-lint
 * LmbdRuntimeLifecycle.json and issue #4531 / PR #4532 of 2026-06-02, tflint-ruleset-aws). Each row names
 * its source; rows marked "inferred" follow a documented extension that the stored copies do not show
 * row by row. AWS moves these dates: update the rows (and their source) when it does.
 */

export type RuntimeFamily = 'nodejs' | 'python' | 'java' | 'dotnet' | 'ruby' | 'provided' | 'go';

export interface RuntimeLifecycle {
  /** runtime identifier as given to CreateFunction */
  id: string;
  family: RuntimeFamily;
  /** ISO dates (UTC). Deprecated: no more patches; warning. */
  deprecated?: string;
  /** AWS refuses CreateFunction with this runtime from this date on: error. */
  createBlocked?: string;
  /** AWS refuses UpdateFunctionConfiguration/Code from this date on. */
  updateBlocked?: string;
  /** available only for container images, never for .zip functions */
  containerOnly?: boolean;
  /** replacement to suggest, when not simply the newest supported runtime of the family */
  successor?: string;
  source: string;
}

const AWS_NODEJS = 'AWS Lambda docs, lambda-nodejs.html';
const AWS_PYTHON = 'AWS Lambda docs, lambda-python.html';
const AWS_JAVA = 'AWS Lambda docs, lambda-java.html';
const AWS_GO = 'AWS Lambda docs, lambda-golang.html (OS-only runtimes)';
const AWS_2026_06 =
  'AWS lambda-runtimes.html as of 2026-06-02 (cfn-lint issue #4531, PR #4532: block dates moved to 2027-02-01 / 2027-03-03)';
const CONFIRMED_2026_02 =
  'AWS lambda-runtimes.html, last dates confirmed for this runtime (create 2026-02-03, update 2026-03-09). AWS extended python3.8/nodejs20.x to 2027 in 2026-06 (cfn-lint PR #4532), but no source confirms the extension for this row, so we keep the confirmed, stricter dates; DESIGN.md lists nodejs16.x as creation-blocked';
const INFERRED_AL2 =
  'inferred: AL2 runtimes (java8.al2, java11, java17, python3.11) got a one-year extension in 2026-06 (cfn-lint PR #4532); last dates confirmed from AWS: 2026-06-30 / 2026-07-31 / 2026-08-31';
const DOTNET = '.NET dates from AWS lambda-runtimes.html as copied by endoflife.ai (2026)';
const CFN_LINT_2025 = 'cfn-lint LmbdRuntimeLifecycle.json (2025), copied from AWS lambda-runtimes.html';
const AWS_2024_NODE14 = 'AWS lambda-runtimes.html as quoted in aws-cdk discussion #29108 and AWS re:Post';
const RUBY =
  'deprecation date from tflint-ruleset-aws (AWS lambda-runtimes.html); block dates estimated (+1/+2 months)';

/** Newest first within each family: the first row of a family that is not deprecated is its replacement. */
// prettier-ignore
export const RUNTIME_LIFECYCLE: readonly RuntimeLifecycle[] = Object.freeze([
  // Node.js
  { id: 'nodejs24.x', family: 'nodejs', deprecated: '2028-04-30', createBlocked: '2028-06-01', updateBlocked: '2028-07-01', source: AWS_NODEJS },
  { id: 'nodejs22.x', family: 'nodejs', deprecated: '2027-04-30', createBlocked: '2027-06-01', updateBlocked: '2027-07-01', source: AWS_NODEJS },
  { id: 'nodejs20.x', family: 'nodejs', deprecated: '2026-04-30', createBlocked: '2027-02-01', updateBlocked: '2027-03-03', source: AWS_2026_06 },
  { id: 'nodejs18.x', family: 'nodejs', deprecated: '2025-09-01', createBlocked: '2026-02-03', updateBlocked: '2026-03-09', source: CONFIRMED_2026_02 },
  { id: 'nodejs16.x', family: 'nodejs', deprecated: '2024-06-12', createBlocked: '2026-02-03', updateBlocked: '2026-03-09', source: CONFIRMED_2026_02 },
  { id: 'nodejs14.x', family: 'nodejs', deprecated: '2023-12-04', createBlocked: '2024-01-09', updateBlocked: '2025-11-01', source: AWS_2024_NODE14 },
  { id: 'nodejs12.x', family: 'nodejs', deprecated: '2023-03-31', createBlocked: '2023-03-31', updateBlocked: '2023-04-30', source: CFN_LINT_2025 },
  { id: 'nodejs10.x', family: 'nodejs', deprecated: '2021-07-30', createBlocked: '2021-07-30', updateBlocked: '2022-02-14', source: CFN_LINT_2025 },
  { id: 'nodejs8.10', family: 'nodejs', deprecated: '2020-03-06', createBlocked: '2020-03-06', updateBlocked: '2020-03-06', source: CFN_LINT_2025 },
  { id: 'nodejs6.10', family: 'nodejs', deprecated: '2019-08-12', createBlocked: '2019-08-12', updateBlocked: '2019-08-12', source: CFN_LINT_2025 },
  { id: 'nodejs4.3-edge', family: 'nodejs', deprecated: '2019-04-30', createBlocked: '2019-04-30', updateBlocked: '2019-04-30', source: CFN_LINT_2025 },
  { id: 'nodejs4.3', family: 'nodejs', deprecated: '2020-03-05', createBlocked: '2020-03-05', updateBlocked: '2020-03-05', source: CFN_LINT_2025 },
  { id: 'nodejs', family: 'nodejs', deprecated: '2016-10-31', createBlocked: '2016-10-31', updateBlocked: '2016-10-31', source: CFN_LINT_2025 },
  // Python
  { id: 'python3.14', family: 'python', deprecated: '2029-06-30', createBlocked: '2029-07-31', updateBlocked: '2029-08-31', source: AWS_PYTHON },
  { id: 'python3.13', family: 'python', deprecated: '2029-06-30', createBlocked: '2029-07-31', updateBlocked: '2029-08-31', source: AWS_PYTHON },
  { id: 'python3.12', family: 'python', deprecated: '2028-10-31', createBlocked: '2028-11-30', updateBlocked: '2029-01-10', source: AWS_PYTHON },
  { id: 'python3.11', family: 'python', deprecated: '2027-06-30', createBlocked: '2027-07-31', updateBlocked: '2027-08-31', source: AWS_PYTHON },
  { id: 'python3.10', family: 'python', deprecated: '2026-10-31', createBlocked: '2026-11-30', updateBlocked: '2027-01-15', source: AWS_PYTHON },
  { id: 'python3.9', family: 'python', deprecated: '2025-12-15', createBlocked: '2026-02-03', updateBlocked: '2026-03-09', source: CONFIRMED_2026_02 },
  { id: 'python3.8', family: 'python', deprecated: '2024-10-14', createBlocked: '2027-02-01', updateBlocked: '2027-03-03', source: AWS_2026_06 },
  { id: 'python3.7', family: 'python', deprecated: '2023-12-04', createBlocked: '2024-01-09', updateBlocked: '2025-11-01', source: CFN_LINT_2025 },
  { id: 'python3.6', family: 'python', deprecated: '2022-07-18', createBlocked: '2022-07-18', updateBlocked: '2022-08-29', source: CFN_LINT_2025 },
  { id: 'python2.7', family: 'python', deprecated: '2021-07-15', createBlocked: '2021-07-15', updateBlocked: '2022-05-30', source: CFN_LINT_2025 },
  // Java
  { id: 'java25', family: 'java', deprecated: '2029-06-30', createBlocked: '2029-07-31', updateBlocked: '2029-08-31', source: AWS_JAVA },
  { id: 'java21', family: 'java', deprecated: '2029-06-30', createBlocked: '2029-07-31', updateBlocked: '2029-08-31', source: AWS_JAVA },
  { id: 'java17', family: 'java', deprecated: '2027-06-30', createBlocked: '2027-07-31', updateBlocked: '2027-08-31', source: AWS_JAVA },
  { id: 'java11', family: 'java', deprecated: '2027-06-30', createBlocked: '2027-07-31', updateBlocked: '2027-08-31', source: AWS_JAVA },
  { id: 'java8.al2', family: 'java', deprecated: '2027-06-30', createBlocked: '2027-07-31', updateBlocked: '2027-08-31', source: AWS_JAVA },
  { id: 'java8', family: 'java', deprecated: '2024-01-08', createBlocked: '2024-02-08', updateBlocked: '2025-11-01', source: CFN_LINT_2025 },
  // .NET
  { id: 'dotnet10', family: 'dotnet', deprecated: '2028-11-14', createBlocked: '2028-12-14', updateBlocked: '2029-01-15', source: DOTNET },
  { id: 'dotnet9', family: 'dotnet', containerOnly: true, source: DOTNET },
  { id: 'dotnet8', family: 'dotnet', deprecated: '2026-11-10', createBlocked: '2027-02-01', updateBlocked: '2027-03-03', source: DOTNET },
  { id: 'dotnet7', family: 'dotnet', containerOnly: true, source: DOTNET },
  { id: 'dotnet6', family: 'dotnet', deprecated: '2024-12-20', createBlocked: '2027-02-01', updateBlocked: '2027-03-03', source: DOTNET },
  { id: 'dotnet5.0', family: 'dotnet', containerOnly: true, source: DOTNET },
  { id: 'dotnetcore3.1', family: 'dotnet', deprecated: '2023-04-03', createBlocked: '2023-04-03', updateBlocked: '2023-05-03', source: CFN_LINT_2025 },
  { id: 'dotnetcore2.1', family: 'dotnet', deprecated: '2022-01-05', createBlocked: '2022-01-05', updateBlocked: '2022-04-13', source: CFN_LINT_2025 },
  { id: 'dotnetcore2.0', family: 'dotnet', deprecated: '2019-05-30', createBlocked: '2019-05-30', updateBlocked: '2019-05-30', source: CFN_LINT_2025 },
  { id: 'dotnetcore1.0', family: 'dotnet', deprecated: '2019-06-27', createBlocked: '2019-07-30', updateBlocked: '2019-07-30', source: CFN_LINT_2025 },
  // Ruby
  { id: 'ruby4.0', family: 'ruby', source: 'added to Lambda in 2026 (cfn-lint PR #4532); no deprecation date published' },
  { id: 'ruby3.4', family: 'ruby', deprecated: '2028-03-31', createBlocked: '2028-04-30', updateBlocked: '2028-05-31', source: RUBY },
  { id: 'ruby3.3', family: 'ruby', deprecated: '2027-03-31', createBlocked: '2027-04-30', updateBlocked: '2027-05-31', source: RUBY },
  { id: 'ruby3.2', family: 'ruby', deprecated: '2026-03-31', createBlocked: '2026-06-01', updateBlocked: '2026-07-01', source: RUBY },
  { id: 'ruby2.7', family: 'ruby', deprecated: '2023-12-07', createBlocked: '2024-01-09', updateBlocked: '2025-11-01', source: CFN_LINT_2025 },
  { id: 'ruby2.5', family: 'ruby', deprecated: '2021-07-30', createBlocked: '2021-07-30', updateBlocked: '2022-03-31', source: CFN_LINT_2025 },
  // OS-only runtimes (Go, Rust, custom)
  { id: 'provided.al2023', family: 'provided', deprecated: '2029-06-30', createBlocked: '2029-07-31', updateBlocked: '2029-08-31', source: AWS_GO },
  { id: 'provided.al2', family: 'provided', deprecated: '2027-06-30', createBlocked: '2027-07-31', updateBlocked: '2027-08-31', source: INFERRED_AL2 },
  { id: 'provided', family: 'provided', deprecated: '2024-01-08', createBlocked: '2024-02-08', updateBlocked: '2025-11-01', successor: 'provided.al2023', source: CFN_LINT_2025 },
  // Go: the managed go1.x runtime is gone; Go binaries run on provided.al2023 (as "bootstrap")
  { id: 'go1.x', family: 'go', deprecated: '2024-01-08', createBlocked: '2024-02-08', updateBlocked: '2025-11-01', successor: 'provided.al2023', source: CFN_LINT_2025 },
] satisfies RuntimeLifecycle[]);

const FAMILY_PATTERNS: readonly [RuntimeFamily, RegExp][] = [
  ['nodejs', /^nodejs(\d[\w.-]*)?$/],
  ['python', /^python\d[\w.]*$/],
  ['java', /^java\d[\w.]*$/],
  ['dotnet', /^dotnet(core)?\d[\w.]*$/],
  ['ruby', /^ruby\d[\w.]*$/],
  ['provided', /^provided(\.[\w.]+)?$/],
  ['go', /^go\d[\w.]*$/],
];

/** Families with no managed runtime left: their replacement lives in another family. */
const FAMILY_SUCCESSOR: Partial<Record<RuntimeFamily, string>> = { go: 'provided.al2023' };

const BY_ID = new Map(RUNTIME_LIFECYCLE.map((r) => [r.id, r]));

export function runtimeFamily(runtime: string): RuntimeFamily | undefined {
  return FAMILY_PATTERNS.find(([, re]) => re.test(runtime))?.[0];
}

export function lifecycleOf(runtime: string): RuntimeLifecycle | undefined {
  return BY_ID.get(runtime);
}

const onOrAfter = (now: Date, isoDate: string | undefined): boolean =>
  isoDate !== undefined && now.getTime() >= Date.parse(`${isoDate}T00:00:00Z`);

/** The newest runtime of the family that is neither deprecated nor container-only at `now`. */
export function newestSupported(family: RuntimeFamily, now: Date = new Date()): string | undefined {
  const succ = FAMILY_SUCCESSOR[family];
  if (succ) return succ;
  return RUNTIME_LIFECYCLE.find(
    (r) => r.family === family && !r.containerOnly && !onOrAfter(now, r.deprecated),
  )?.id;
}

export type RuntimeStatus =
  'supported' | 'deprecated' | 'create-blocked' | 'container-only' | 'unknown-version' | 'unknown';

export interface RuntimeJudgement {
  runtime: string;
  status: RuntimeStatus;
  /** what validation makes of it */
  severity: 'none' | 'warning' | 'error';
  family?: RuntimeFamily;
  lifecycle?: RuntimeLifecycle;
  /** a runtime to use instead, when there is one */
  replacement?: string;
  /** the finding in one sentence (empty for supported runtimes) */
  message: string;
}

function replacementFor(
  r: RuntimeLifecycle | undefined,
  family: RuntimeFamily,
  now: Date,
): string | undefined {
  return r?.successor ?? newestSupported(family, now);
}

/** Judges a runtime identifier at `now` (default: the clock) against the lifecycle table. */
export function judgeRuntime(runtime: string, now: Date = new Date()): RuntimeJudgement {
  const lifecycle = BY_ID.get(runtime);
  const family = lifecycle?.family ?? runtimeFamily(runtime);
  if (!family) {
    return {
      runtime,
      status: 'unknown',
      severity: 'error',
      message: `runtime ${JSON.stringify(runtime)} is not an AWS Lambda runtime (known families: nodejs, python, java, dotnet, ruby, provided); use e.g. ${newestSupported('nodejs', now)} or provided.al2023`,
    };
  }
  const replacement = replacementFor(lifecycle, family, now);
  const instead = replacement ? `; use ${replacement}` : '';
  if (!lifecycle) {
    if (FAMILY_SUCCESSOR[family]) {
      return {
        runtime,
        status: 'unknown',
        severity: 'error',
        family,
        replacement,
        message: `runtime ${JSON.stringify(runtime)} does not exist: AWS Lambda has no managed ${family} runtime${instead}`,
      };
    }
    return {
      runtime,
      status: 'unknown-version',
      severity: 'warning',
      family,
      replacement,
      message: `runtime ${JSON.stringify(runtime)} is not in the deployer's lifecycle table (a ${family} version it does not know); AWS will refuse it unless Lambda supports it${instead}`,
    };
  }
  if (lifecycle.containerOnly) {
    return {
      runtime,
      status: 'container-only',
      severity: 'error',
      family,
      lifecycle,
      replacement,
      message: `runtime ${runtime} exists only for container images, not for .zip functions${instead}`,
    };
  }
  if (onOrAfter(now, lifecycle.createBlocked)) {
    return {
      runtime,
      status: 'create-blocked',
      severity: 'error',
      family,
      lifecycle,
      replacement,
      message: `runtime ${runtime} is deprecated since ${lifecycle.deprecated} and AWS Lambda refuses to create functions with it since ${lifecycle.createBlocked}${instead}`,
    };
  }
  if (onOrAfter(now, lifecycle.deprecated)) {
    return {
      runtime,
      status: 'deprecated',
      severity: 'warning',
      family,
      lifecycle,
      replacement,
      message: `runtime ${runtime} is deprecated since ${lifecycle.deprecated} (no more security patches); AWS Lambda refuses to create functions with it from ${lifecycle.createBlocked}${instead}`,
    };
  }
  return { runtime, status: 'supported', severity: 'none', family, lifecycle, message: '' };
}
