/**
 * Manifest validation: a JSON Schema checked by ajv (allErrors), then small semantic rules. Every
 * problem is reported at once with its JSON path ("$.aws_lambda.functions[1].runtime"); warnings are
 * kept apart from errors. Contract: DESIGN.md "Manifest" (the upstream apps.Manifest, both aws_lambda
 * shapes, unknown extra fields kept).
 */
import Ajv, { type ErrorObject } from 'ajv';
import { checkLambdaLimits } from './aws-limits';
import { IssueList, q, type IssueCode } from './issues';
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

/** Permissions the upstream Apps framework knows; others are kept, with a warning. */
export const KNOWN_PERMISSIONS = [
  'user_joined_channel_notification',
  'act_as_bot',
  'act_as_user',
  'act_as_admin',
  'remote_oauth2',
  'remote_webhooks',
] as const;

/** Manifest fields holding a call: `{path, expand?, state?}` or a bare path string. */
export const CALL_FIELDS = [
  'bindings',
  'on_install',
  'on_version_changed',
  'on_uninstall',
  'on_enable',
  'on_disable',
  'get_oauth2_connect_url',
  'on_oauth2_complete',
  'on_remote_webhook',
] as const;

const callSchema = {
  'x-message':
    'must be a call: a path string starting with "/", or an object {"path": "/...", "expand"?, "state"?}',
  anyOf: [
    { type: 'string', pattern: '^/' },
    {
      type: 'object',
      required: ['path'],
      properties: {
        path: { type: 'string', pattern: '^/', 'x-message': 'must be a path starting with "/"' },
        expand: { type: 'object' },
      },
    },
  ],
};

const functionSchema = {
  type: 'object',
  required: ['path', 'name', 'handler', 'runtime'],
  properties: {
    path: { type: 'string', pattern: '^/', 'x-message': 'must be a call path starting with "/"' },
    name: {
      type: 'string',
      pattern: FUNCTION_NAME_PATTERN.source,
      'x-message': 'must be one or more characters of A-Z a-z 0-9, space, "_" and "-"',
    },
    handler: { type: 'string', pattern: '\\S', 'x-message': 'must be a non-empty handler name' },
    runtime: { type: 'string', minLength: 1, 'x-message': 'must be a Lambda runtime identifier' },
  },
};

/** The schema of a manifest for this deployer (an upstream apps.Manifest with an aws_lambda section). */
export const MANIFEST_SCHEMA = {
  $id: 'https://mattermost.com/apps-deployer/manifest.json',
  type: 'object',
  required: ['app_id', 'version', 'display_name', 'homepage_url', 'aws_lambda'],
  properties: {
    app_id: {
      type: 'string',
      pattern: APP_ID_PATTERN.source,
      'x-message': 'must be 3-32 characters of A-Z a-z 0-9 "." "_" "-"',
    },
    version: {
      type: 'string',
      pattern: VERSION_PATTERN.source,
      'x-message': 'must be 1-10 characters of A-Z a-z 0-9 "." "-" (no "_")',
    },
    display_name: { type: 'string', pattern: '\\S', 'x-message': 'must be a non-empty name' },
    description: { type: 'string' },
    homepage_url: { type: 'string' },
    icon: { type: 'string', minLength: 1 },
    app_type: { type: 'string' },
    root_url: { type: 'string' },
    http: { type: 'object' },
    requested_permissions: { type: 'array', items: { type: 'string' } },
    requested_locations: {
      type: 'array',
      items: { type: 'string', pattern: '^/', 'x-message': 'must be a location starting with "/"' },
    },
    remote_webhook_auth_type: {
      enum: ['none', 'secret', 'jwt'],
      'x-message': 'must be "none", "secret" or "jwt"',
    },
    ...Object.fromEntries(CALL_FIELDS.map((f) => [f, callSchema])),
    aws_lambda: {
      type: ['array', 'object'],
      'x-message': 'must be a list of functions, or an object {"functions": [...]}',
      if: { type: 'array' },
      then: { items: functionSchema, minItems: 1 },
      else: {
        required: ['functions'],
        properties: { functions: { type: 'array', items: functionSchema, minItems: 1 } },
      },
    },
  },
};

let compiled: ReturnType<Ajv['compile']> | undefined;

function validator(): ReturnType<Ajv['compile']> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    ajv.addVocabulary(['x-message']);
    compiled = ajv.compile(MANIFEST_SCHEMA);
  }
  return compiled;
}

/** JSON pointer ("/aws_lambda/0/name") → JSON path ("$.aws_lambda[0].name"). */
export function jsonPath(pointer: string, extra?: string): string {
  const parts = pointer === '' ? [] : pointer.slice(1).split('/');
  if (extra !== undefined) parts.push(extra);
  let out = '$';
  for (const raw of parts) {
    const p = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (/^\d+$/.test(p)) out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(p)) out += `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  object: 'an object',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
};

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return v.length > 60 ? `${q(v.slice(0, 57))}...` : q(v);
  return String(v);
}

/** One readable message per failing rule; anyOf/if-then noise folded into the parent's message. */
function schemaIssues(errors: ErrorObject[]): Issue[] {
  const out = new Map<string, Issue>();
  // an anyOf failure makes its branches fail too: report the anyOf once, with its message
  const anyOfPaths = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'if') continue;
    if (
      e.keyword !== 'anyOf' &&
      [...anyOfPaths].some((p) => e.instancePath.startsWith(p) && e.schemaPath.includes('/anyOf/'))
    ) {
      continue;
    }
    let path = jsonPath(e.instancePath);
    const custom = (e.parentSchema as { 'x-message'?: string } | undefined)?.['x-message'];
    let predicate: string;
    let code: IssueCode = 'MANIFEST_SCHEMA';
    switch (e.keyword) {
      case 'required':
        path = jsonPath(e.instancePath, (e.params as { missingProperty: string }).missingProperty);
        predicate = 'is required';
        break;
      case 'type': {
        const t = (e.params as { type: string | string[] }).type;
        predicate = custom
          ? `${custom}, not ${describeValue(e.data)}`
          : `must be ${(Array.isArray(t) ? t : [t]).map((x) => TYPE_NAMES[x] ?? x).join(' or ')}, not ${describeValue(e.data)}`;
        break;
      }
      case 'minItems':
        if (e.instancePath.startsWith('/aws_lambda')) {
          code = 'NO_FUNCTIONS';
          predicate =
            'must list at least one function (a bundle for this deployer deploys AWS Lambda functions)';
        } else predicate = `must have at least ${(e.params as { limit: number }).limit} items`;
        break;
      default:
        predicate = custom ? `${custom}, not ${describeValue(e.data)}` : (e.message ?? 'is invalid');
    }
    const subject = path === '$' ? 'the manifest' : path.replace(/^\$\.?/, '');
    const key = `${path}\u0000${predicate}`;
    if (!out.has(key)) out.set(key, { severity: 'error', code, path, message: `${subject} ${predicate}` });
  }
  return [...out.values()];
}

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
