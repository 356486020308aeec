/**
 * manifest.json text → value, strictly (strict-json.ts), every problem an issue with its JSON path:
 * duplicate keys, nesting deeper than MAX_MANIFEST_DEPTH, forbidden keys, lone surrogates, numbers a
 * float cannot hold. Contract: DESIGN.md "Manifest" ("Parsed strictly").
 */
import { IssueList, type IssueCode } from './issues';
import { parseStrictJson, type StrictJsonProblemKind } from './strict-json';

/** The deepest nesting a manifest may have: the top-level object is depth 1. */
export const MAX_MANIFEST_DEPTH = 64;

const MANIFEST_ENTRY = 'manifest.json';

const CODES: Record<StrictJsonProblemKind, IssueCode> = {
  'duplicate-key': 'MANIFEST_DUPLICATE_KEY',
  'too-deep': 'MANIFEST_TOO_DEEP',
  'forbidden-key': 'MANIFEST_FORBIDDEN_KEY',
  'lone-surrogate': 'MANIFEST_LONE_SURROGATE',
  'inexact-number': 'MANIFEST_INEXACT_NUMBER',
};

/**
 * The manifest's value, or undefined when it is not JSON or nested too deep (then nothing else is
 * checked). Values with other problems are returned, so that schema problems are reported with them.
 */
export function parseManifestText(text: string, issues: IssueList): unknown {
  const result = parseStrictJson(text, { maxDepth: MAX_MANIFEST_DEPTH });
  if (!result.ok) {
    const { message, line, column } = result.syntax;
    issues.error(
      'MANIFEST_NOT_JSON',
      MANIFEST_ENTRY,
      `manifest.json is not valid JSON: ${message} at line ${line}, column ${column}`,
    );
    return undefined;
  }
  for (const p of result.problems) issues.error(CODES[p.kind], p.path, `manifest.json: ${p.message}`);
  for (const [kind, n] of Object.entries(result.omitted) as [StrictJsonProblemKind, number][]) {
    issues.error(
      CODES[kind],
      MANIFEST_ENTRY,
      `manifest.json has ${n} more problem(s) of this kind, not listed`,
    );
  }
  return result.problems.some((p) => p.kind === 'too-deep') ? undefined : result.value;
}
