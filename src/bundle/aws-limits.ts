/**
 * AWS's documented limits on every value that flows from a bundle into an AWS request, so that the
 * validator refuses what AWS would refuse after our IAM writes (the emulators check few of them).
 * Sources (AWS documentation, read 2026-11): Lambda API reference, CreateFunction (FunctionName 1-64 of
 * [a-zA-Z0-9-_]; Handler at most 128 of [^\s]+; Description 0-256) and TagResource (at most 50 tags; key
 * 1-128, value 0-256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@], no "aws:" prefix); Amazon S3 user guide,
 * "Working with object metadata" (user-defined metadata at most 2 KB: the UTF-8 bytes of every key and
 * value; values AWS cannot print are dropped, so they must be printable ASCII).
 * Where the values come from: function name (computed from app id, version and the manifest's name,
 * names.ts), handler and runtime (manifest; the runtime judged by runtimes.ts), tags (app id, version,
 * bundle sha256), description (below), the manifest object's metadata (bundle sha256, release key, run
 * id: ASCII by construction), static asset keys (checked against S3's 1,024 bytes in validate.ts).
 */
import { IssueList, q } from './issues';
import { LAMBDA_NAME_PATTERN } from './names';

export const LAMBDA_HANDLER_MAX_LENGTH = 128;
export const LAMBDA_DESCRIPTION_MAX_LENGTH = 256;
export const LAMBDA_MAX_TAGS = 50;
export const TAG_KEY_MAX_LENGTH = 128;
export const TAG_VALUE_MAX_LENGTH = 256;
export const S3_USER_METADATA_MAX_BYTES = 2048;

/** Lambda's handler pattern. JavaScript's \s is wider than AWS's (Java's), so this is, if anything, stricter. */
const HANDLER_PATTERN = /^[^\s]+$/;
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Length as AWS counts it: Unicode characters (code points). */
function chars(s: string): number {
  return Array.from(s).length;
}

/** Why Lambda would refuse this handler, or undefined. */
export function handlerProblem(handler: string): string | undefined {
  if (!HANDLER_PATTERN.test(handler)) {
    return `handler ${q(handler)} must not contain whitespace (Lambda's pattern is [^\\s]+)`;
  }
  if (chars(handler) > LAMBDA_HANDLER_MAX_LENGTH) {
    return `handler is ${chars(handler)} characters long; Lambda takes at most ${LAMBDA_HANDLER_MAX_LENGTH}`;
  }
  return undefined;
}

/** Why Lambda would refuse this function name, or undefined. */
export function functionNameProblem(name: string): string | undefined {
  return LAMBDA_NAME_PATTERN.test(name)
    ? undefined
    : `Lambda function name ${q(name)} must be 1-64 characters of A-Z a-z 0-9 "-" "_"`;
}

/** Why a tag would be refused, or undefined. */
export function tagProblem(key: string, value: string): string | undefined {
  if (chars(key) < 1 || chars(key) > TAG_KEY_MAX_LENGTH)
    return `tag key ${q(key)} must be 1-${TAG_KEY_MAX_LENGTH} characters`;
  if (chars(value) > TAG_VALUE_MAX_LENGTH)
    return `tag ${q(key)}: its value must be at most ${TAG_VALUE_MAX_LENGTH} characters`;
  for (const [what, s] of [
    ['key', key],
    ['value', value],
  ] as const) {
    if (!TAG_PATTERN.test(s))
      return `tag ${what} ${q(s)} may hold only letters, digits, spaces and _ . : / = + - @`;
    if (/^aws:/i.test(s)) return `tag ${what} ${q(s)} must not start with "aws:" (reserved by AWS)`;
  }
  return undefined;
}

/** Why S3 would refuse or drop this user metadata, or undefined. */
export function userMetadataProblem(metadata: Record<string, string>): string | undefined {
  let total = 0;
  for (const [key, value] of Object.entries(metadata)) {
    if (!PRINTABLE_ASCII.test(key) || !PRINTABLE_ASCII.test(value))
      return `metadata ${q(key)} must be printable ASCII (S3 drops what it cannot print)`;
    total += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  return total > S3_USER_METADATA_MAX_BYTES
    ? `user metadata is ${total} bytes; S3 takes at most ${S3_USER_METADATA_MAX_BYTES}`
    : undefined;
}

/** The description every function gets: cut to Lambda's 256 characters, never inside a character. */
export function functionDescription(appId: string, version: string, fnName: string): string {
  return Array.from(`Mattermost app ${appId} ${version}: ${fnName}`)
    .slice(0, LAMBDA_DESCRIPTION_MAX_LENGTH)
    .join('');
}

/** What checkLambdaLimits needs of a manifest function. */
export interface LimitedFunction {
  name: string;
  handler: string;
  lambdaName: string;
  jsonPath: string;
}

/**
 * Every Lambda limit on what the bundle's functions would send: handler (HANDLER_INVALID), and, as a
 * guard on the name rules, the computed function name, the tags from app id and version, and the
 * description (LAMBDA_LIMIT).
 */
export function checkLambdaLimits(
  appId: string,
  version: string,
  functions: readonly LimitedFunction[],
  issues: IssueList,
): void {
  for (const [key, value] of [
    ['mattermost-app-id', appId],
    ['mattermost-app-version', version],
  ] as const) {
    const problem = tagProblem(key, value);
    if (problem)
      issues.error('LAMBDA_LIMIT', key === 'mattermost-app-id' ? '$.app_id' : '$.version', problem);
  }
  for (const fn of functions) {
    const handler = handlerProblem(fn.handler);
    if (handler)
      issues.error('HANDLER_INVALID', `${fn.jsonPath}.handler`, `function ${q(fn.name)}: ${handler}`);
    const name = functionNameProblem(fn.lambdaName);
    if (name) issues.error('LAMBDA_LIMIT', `${fn.jsonPath}.name`, `function ${q(fn.name)}: ${name}`);
    const description = functionDescription(appId, version, fn.name);
    if (chars(description) > LAMBDA_DESCRIPTION_MAX_LENGTH) {
      issues.error('LAMBDA_LIMIT', `${fn.jsonPath}.name`, `function ${q(fn.name)}: description too long`);
    }
  }
}
