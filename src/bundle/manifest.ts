/**
 * Manifest validation, after the strict read of its text (manifest-json.ts): the JSON Schema checked by
 * ajv (manifest-schema.ts), then small semantic rules, then AWS's limits on what the functions will
 * send (aws-limits.ts); the stored form is serialized by stored-manifest.ts. Every problem is reported
 * at once with its JSON path ("$.aws_lambda.functions[1].runtime"); warnings are kept apart from
 * errors. Contract: DESIGN.md "Manifest" (the upstream apps.Manifest, both aws_lambda shapes, unknown
 * extra fields kept).
 */
import { checkLambdaLimits } from './aws-limits';
import { IssueList, q } from './issues';
import { KNOWN_PERMISSIONS, schemaIssues, validator } from './manifest-schema';
import {
  APP_ID_PATTERN,
  FUNCTION_NAME_PATTERN,
  VERSION_PATTERN,
  isSafeRelativePath,
  lambdaFunctionName,
  upstreamLongLambdaName,
} from './names';
import { judgeRuntime } from './runtimes';
import type { Issue } from './types';

export { CALL_FIELDS, KNOWN_PERMISSIONS, MANIFEST_SCHEMA, jsonPath } from './manifest-schema';

/** A manifest function as the deployer uses it. */
export interface ManifestFunction {
  name: string;
  path: string;
  handler: string;
  runtime: string;
  /** JSON path of this function in the manifest ("$.aws_lambda.functions[0]") */
  jsonPath: string;
  lambdaName: string;
  longName: boolean;
}

export interface ManifestCheck {
  issues: Issue[];
  /** set when app_id / version are valid strings */
  appId?: string;
  version?: string;
  /** the functions whose fields are well-formed (to match with zips), in manifest order */
  functions: ManifestFunction[];
  /** icon path under static/, when given */
  icon?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The aws_lambda functions, whichever of the two shapes the manifest uses. */
export function manifestFunctions(manifest: Record<string, unknown>): { list: unknown[]; basePath: string } {
  const section = manifest.aws_lambda;
  if (Array.isArray(section)) return { list: section, basePath: '$.aws_lambda' };
  if (isRecord(section) && Array.isArray(section.functions)) {
    return { list: section.functions, basePath: '$.aws_lambda.functions' };
  }
  return { list: [], basePath: '$.aws_lambda' };
}

function checkHomepage(value: unknown, issues: IssueList): void {
  if (typeof value !== 'string') return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    issues.error(
      'BAD_HOMEPAGE_URL',
      '$.homepage_url',
      `homepage_url ${q(value)} must be an http(s) URL with a host`,
    );
  }
}

/**
 * Validates a parsed manifest: schema, then semantic rules (names unique, unique again after the Lambda
 * name mapping, runtimes judged at `now`, long names, duplicate paths, homepage URL, permissions).
 * Checks that need the bundle's entries (function zips, icon) are the caller's.
 */
export function checkManifest(manifest: unknown, now: Date = new Date()): ManifestCheck {
  const issues = new IssueList();
  const validate = validator();
  if (!validate(manifest)) issues.items.push(...schemaIssues(validate.errors ?? []));
  if (!isRecord(manifest)) return { issues: issues.items, functions: [] };

  const appId =
    typeof manifest.app_id === 'string' && APP_ID_PATTERN.test(manifest.app_id) ? manifest.app_id : undefined;
  const version =
    typeof manifest.version === 'string' && VERSION_PATTERN.test(manifest.version)
      ? manifest.version
      : undefined;

  checkHomepage(manifest.homepage_url, issues);
  if (typeof manifest.app_type === 'string' && manifest.app_type !== 'aws_lambda') {
    issues.warning(
      'APP_TYPE_NOT_AWS_LAMBDA',
      '$.app_type',
      `app_type is ${q(manifest.app_type)}; this deployer deploys the aws_lambda functions and stores the manifest as given`,
    );
  }
  if (Array.isArray(manifest.requested_permissions)) {
    manifest.requested_permissions.forEach((p, i) => {
      if (typeof p === 'string' && !(KNOWN_PERMISSIONS as readonly string[]).includes(p)) {
        issues.warning(
          'UNKNOWN_PERMISSION',
          `$.requested_permissions[${i}]`,
          `permission ${q(p)} is not one the Apps framework knows (${KNOWN_PERMISSIONS.join(', ')})`,
        );
      }
    });
  }
  let icon: string | undefined;
  if (typeof manifest.icon === 'string' && manifest.icon !== '') {
    if (isSafeRelativePath(manifest.icon)) icon = manifest.icon;
    else {
      issues.error(
        'ICON_NOT_FOUND',
        '$.icon',
        `icon ${q(manifest.icon)} must be a relative path under static/`,
      );
    }
  }

  const { list, basePath } = manifestFunctions(manifest);
  const functions: ManifestFunction[] = [];
  const byName = new Map<string, number>();
  const byLambdaName = new Map<string, number>();
  const byPath = new Map<string, number>();
  list.forEach((raw, i) => {
    const at = `${basePath}[${i}]`;
    if (!isRecord(raw)) return;
    const { name, path, handler, runtime } = raw;
    if (typeof runtime === 'string' && runtime !== '') {
      const verdict = judgeRuntime(runtime, now);
      if (verdict.severity !== 'none') {
        const code =
          verdict.status === 'deprecated'
            ? 'RUNTIME_DEPRECATED'
            : verdict.status === 'create-blocked'
              ? 'RUNTIME_CREATE_BLOCKED'
              : verdict.status === 'container-only'
                ? 'RUNTIME_CONTAINER_ONLY'
                : verdict.status === 'unknown-version'
                  ? 'RUNTIME_UNKNOWN_VERSION'
                  : 'RUNTIME_UNKNOWN';
        const fn = typeof name === 'string' ? `function ${q(name)}: ` : '';
        const issue = { code, path: `${at}.runtime`, message: `${fn}${verdict.message}` } as const;
        if (verdict.severity === 'error') issues.error(issue.code, issue.path, issue.message);
        else issues.warning(issue.code, issue.path, issue.message);
      }
    }
    if (typeof path === 'string' && path.startsWith('/')) {
      const first = byPath.get(path);
      if (first !== undefined) {
        issues.warning(
          'DUPLICATE_FUNCTION_PATH',
          `${at}.path`,
          `function ${typeof name === 'string' ? q(name) : i} has the same path ${q(path)} as ${basePath}[${first}]: calls to it go to the first function, so this one is never invoked`,
        );
      } else byPath.set(path, i);
    }
    if (typeof name !== 'string' || !FUNCTION_NAME_PATTERN.test(name)) return;
    const firstName = byName.get(name);
    if (firstName !== undefined) {
      issues.error(
        'DUPLICATE_FUNCTION_NAME',
        `${at}.name`,
        `function name ${q(name)} is used twice (also ${basePath}[${firstName}])`,
      );
      return;
    }
    byName.set(name, i);
    if (!appId || !version) return;
    const ln = lambdaFunctionName(appId, version, name);
    const clash = byLambdaName.get(ln.name);
    if (clash !== undefined) {
      const other = (list[clash] as { name: string }).name;
      issues.error(
        'LAMBDA_NAME_COLLISION',
        `${at}.name`,
        `functions ${q(other)} and ${q(name)} map to the same Lambda function name ${q(ln.name)} (spaces become "-"); rename one`,
      );
      return;
    }
    byLambdaName.set(ln.name, i);
    if (ln.long) {
      const maxShort = 64 - appId.length - version.length - 2;
      issues.warning(
        'LONG_LAMBDA_NAME',
        `${at}.name`,
        `function ${q(name)} gets the long Lambda name ${q(ln.name)} (its name part hashed, dots sanitized); the Apps plugin up to v1.2.2 invokes ${q(upstreamLongLambdaName(appId, version, name))} (dots kept, not a valid Lambda name), so this function is only reachable from a plugin that sanitizes it; a function name of at most ${maxShort} characters avoids the long form`,
      );
    }
    if (
      typeof path === 'string' &&
      path.startsWith('/') &&
      typeof handler === 'string' &&
      /\S/.test(handler) &&
      typeof runtime === 'string' &&
      runtime !== ''
    ) {
      functions.push({ name, path, handler, runtime, jsonPath: at, lambdaName: ln.name, longName: ln.long });
    }
  });
  if (appId && version) checkLambdaLimits(appId, version, functions, issues);
  return { issues: issues.items, appId, version, functions, icon };
}

export { normalizeManifest } from './stored-manifest';
