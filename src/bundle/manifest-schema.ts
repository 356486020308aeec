/**
 * The manifest's JSON Schema (ajv, allErrors) and its findings as issues: one readable message per
 * failing rule, each with its JSON path ("$.aws_lambda.functions[1].runtime"). Contract: DESIGN.md
 * "Manifest" (the upstream apps.Manifest, both aws_lambda shapes, unknown extra fields kept).
 */
import Ajv, { type ErrorObject } from 'ajv';
import { q, type IssueCode } from './issues';
import { APP_ID_PATTERN, FUNCTION_NAME_PATTERN, VERSION_PATTERN } from './names';
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

export function validator(): ReturnType<Ajv['compile']> {
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
export function schemaIssues(errors: ErrorObject[]): Issue[] {
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
