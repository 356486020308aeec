/**
 * Per-app overrides from an operator's file (APPS_DEPLOYER_OVERRIDES_FILE; a ConfigMap in the chart),
 * YAML or JSON: `{apps: {<app_id>: {timeout, memory, environment, logRetentionDays, architecture,
 * reservedConcurrency}}}` — the last two only here. Validated with a schema (ajv), every problem with
 * its path in the file, together with the rest of the configuration (one ConfigError, exit 2).
 */
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { LOG_RETENTION_DAYS, MEMORY_RANGE, TIMEOUT_RANGE } from './config';

export type Architecture = 'x86_64' | 'arm64';
export const ARCHITECTURES: readonly Architecture[] = ['x86_64', 'arm64'];
/** The file may not be larger than this (it is read at every start). */
export const MAX_OVERRIDES_FILE_BYTES = 1024 * 1024;

export interface AppOverride {
  timeout?: number;
  memory?: number;
  environment?: Record<string, string>;
  logRetentionDays?: number;
  architecture?: Architecture;
  reservedConcurrency?: number;
}

export type Overrides = Record<string, AppOverride>;

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['apps'],
  properties: {
    apps: {
      type: 'object',
      propertyNames: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          timeout: { type: 'integer', minimum: TIMEOUT_RANGE.min, maximum: TIMEOUT_RANGE.max },
          memory: { type: 'integer', minimum: MEMORY_RANGE.min, maximum: MEMORY_RANGE.max },
          environment: { type: 'object', additionalProperties: { type: 'string' } },
          logRetentionDays: { enum: [...LOG_RETENTION_DAYS] },
          architecture: { enum: [...ARCHITECTURES] },
          reservedConcurrency: { type: 'integer', minimum: 0 },
        },
      },
    },
  },
} as const;

let validator: ReturnType<Ajv['compile']> | undefined;
function validate(doc: unknown): ErrorObject[] {
  validator ??= new Ajv({ allErrors: true, strict: true }).compile(SCHEMA);
  return validator(doc) ? [] : [...(validator.errors ?? [])];
}

function describe(file: string, e: ErrorObject): string {
  const where = e.instancePath === '' ? '/' : e.instancePath;
  const params = e.params as Record<string, unknown>;
  const extra =
    params.additionalProperty !== undefined
      ? ` "${String(params.additionalProperty)}"`
      : params.allowedValues !== undefined
        ? `: ${(params.allowedValues as unknown[]).join(', ')}`
        : '';
  return `${file}: ${where} ${e.message ?? 'is invalid'}${extra}`;
}

/** Reads and validates the file; problems are pushed (with the file and the path in it). */
export function loadOverrides(file: string | undefined, label: string, problems: string[]): Overrides {
  if (file === undefined) return {};
  let text: string;
  try {
    const buf = readFileSync(file);
    if (buf.length > MAX_OVERRIDES_FILE_BYTES) {
      problems.push(`${label} ${file}: larger than ${MAX_OVERRIDES_FILE_BYTES} bytes`);
      return {};
    }
    text = buf.toString('utf8');
  } catch (err) {
    problems.push(`${label} ${file} cannot be read (${(err as Error).message})`);
    return {};
  }
  let doc: unknown;
  try {
    // YAML 1.2 is a superset of JSON: one parser for both
    doc = parseYaml(text, { maxAliasCount: 0 });
  } catch (err) {
    problems.push(`${file}: not YAML or JSON (${(err as Error).message.split('\n')[0]})`);
    return {};
  }
  const errors = validate(doc);
  if (errors.length > 0) {
    for (const e of errors) problems.push(describe(file, e));
    return {};
  }
  return (doc as { apps: Overrides }).apps;
}
